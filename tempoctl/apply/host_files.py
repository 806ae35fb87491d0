"""Executor for `host_file` steps: write one managed file on its host, atomically (temp file in the same
directory, then a rename), with its mode and owner.

The content comes from the loaded YAML, never from the plan file, and must match the digest the plan showed;
the path is resolved on the host again right before the write and refused outside the roots, and the write
itself refuses to replace a symlink (transport's write script). Journal before write.
"""

from __future__ import annotations

from tempoctl.apply.context import ApplyContext, SentStep
from tempoctl.core.steps import HostFileWrite
from tempoctl.errors import TempoctlError
from tempoctl.observed.host.plainfiles import declared_content
from tempoctl.observed.host.roots import confine
from tempoctl.observed.host.source import transport_for
from tempoctl.plan.model import Change, Step
from tempoctl.profiles.host_files import content_digest


class HostFileError(TempoctlError):
    """A managed file could not be written as planned; nothing was written."""


class HostFileExecutor:
    def __init__(self, actx: ApplyContext, host: str) -> None:
        self.actx = actx
        self.host = host

    def _content(self, change: Change, step: Step) -> str:
        files = self.actx.env.state.hosts[self.host].files
        write = HostFileWrite.of(step)
        index = write.index
        content = declared_content(self.actx.env, files[index]) if 0 <= index < len(files) else None
        if content is None or files[index].path != write.path or content_digest(content) != write.sha256:
            raise HostFileError(f"{change.address}: the declared content is not the one the plan showed",
                                hint="Run plan again and apply the new plan.")
        return content

    def prepare(self, items: list[tuple[Change, Step]]) -> None:
        for change, step in items:
            self._content(change, step)

    def send_wave(self, items: list[tuple[Change, Step]]) -> list[SentStep]:
        host = self.actx.env.state.hosts[self.host]
        t = transport_for(self.actx.fresh.clients, self.host, host.connection)
        sent = []
        for change, step in items:
            write = HostFileWrite.of(step)
            path = write.path
            content = self._content(change, step)
            confined = confine(t, host.connection, host.roots, [path])
            if path in confined.refused:
                raise HostFileError(f"{change.address}: refusing to write {path}: it {confined.refused[path]}")
            self.actx.journal.record("intent", address=change.address, display=step.display, host=self.host)
            t.write_file_atomic(confined.real[path], content.encode(), mode=write.mode or None,
                                owner=write.owner or None)
            self.actx.journal.record("done", address=change.address, host=self.host)
            sent.append(SentStep(change, step, summary=f"wrote {path} on {self.host}"))
        return sent

    def await_wave(self, sent: list[SentStep]) -> None:
        return None


def make_host_file_executor(actx: ApplyContext, host: str) -> HostFileExecutor:
    return HostFileExecutor(actx, host)
