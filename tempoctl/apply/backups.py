"""Executor for `backup_schedule` steps: rewrite one backup's managed block in its user's crontab.

Each step reads the crontab again just before writing it (another block may have changed in the same
wave), replaces only the lines between this backup's markers, and writes it back. Journal before write.
"""

from __future__ import annotations

from tempoctl.apply.executors import ApplyContext, SentStep
from tempoctl.backup.schedule import Crontab, find_block, replace_block
from tempoctl.observed.backups import host_transport
from tempoctl.plan.model import Change, Step


class BackupScheduleExecutor:
    def __init__(self, actx: ApplyContext, host: str) -> None:
        self.actx = actx
        self.host = host

    def prepare(self, items: list[tuple[Change, Step]]) -> None:
        return None

    def send_wave(self, items: list[tuple[Change, Step]]) -> list[SentStep]:
        t = host_transport(self.actx.fresh.clients, self.actx.env, self.host)
        sent = []
        for change, step in items:
            crontab = Crontab(t, step.fields.get("user"), self.actx.environ)
            key = str(step.fields["key"])
            self.actx.journal.record("intent", address=change.address, display=step.display, host=self.host)
            before = crontab.read()
            # The job appends its log beside the backups: the destination must exist before the first run.
            t.run(["mkdir", "-p", "-m", "700", "--", self.actx.env.state.backups[str(step.fields["backup"])].destination])
            crontab.write(replace_block(before, key, step.fields["value"]))
            self.actx.journal.record("done", address=change.address, host=self.host)
            verb = "updated" if find_block(before, key) is not None else "installed"
            sent.append(SentStep(change, step, summary=f"{verb} crontab block {key} on {self.host}"))
        return sent

    def await_wave(self, sent: list[SentStep]) -> None:
        return None


def make_backup_schedule_executor(actx: ApplyContext, host: str) -> BackupScheduleExecutor:
    return BackupScheduleExecutor(actx, host)
