"""Executor for `backup_schedule` steps: rewrite one backup's managed block in its user's crontab, or
write, reload and enable its systemd timer units (`via: systemd-timer`).

Each step reads the crontab again just before writing it (another block may have changed in the same
wave), replaces only the lines between this backup's markers, and writes it back. Journal before write.
"""

from __future__ import annotations

from tempoctl.apply.context import ApplyContext, SentStep
from tempoctl.backup.schedule import Crontab, find_block, replace_block
from tempoctl.backup.timer import install_timer, unit_name
from tempoctl.core.steps import BackupSchedule
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
            b = BackupSchedule.of(step)
            key, name, value = b.key, b.backup, b.value
            self.actx.journal.record("intent", address=change.address, display=step.display, host=self.host)
            if value is not None:
                # The job writes beside the backups (and its log there): the destination must exist first.
                t.run(["mkdir", "-p", "-m", "700", "--", self.actx.env.state.backups[name].destination])
            if value is not None and value["via"] == "systemd-timer":
                install_timer(t, self.actx.env.name, name, key, value, self.actx.environ)
                summary = f"installed and enabled {unit_name(self.actx.env.name, name)}.timer on {self.host}"
            else:
                crontab = Crontab(t, b.user, self.actx.environ)
                before = crontab.read()
                crontab.write(replace_block(before, key, value))
                verb = "removed" if value is None else ("updated" if find_block(before, key) is not None else "installed")
                summary = f"{verb} crontab block {key} on {self.host}"
            self.actx.journal.record("done", address=change.address, host=self.host)
            sent.append(SentStep(change, step, summary=summary))
        return sent

    def await_wave(self, sent: list[SentStep]) -> None:
        return None


def make_backup_schedule_executor(actx: ApplyContext, host: str) -> BackupScheduleExecutor:
    return BackupScheduleExecutor(actx, host)
