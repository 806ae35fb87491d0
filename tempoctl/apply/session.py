"""One apply as the backend sees it: the environment's lock held throughout, an audit row from start to
end, unfinished journal entries of earlier applies settled first, and the journal of this apply.

The lock is taken before anything is read, so settling, planning, the confirmation prompt and sending all
happen under it: two applies on one environment never interleave steps (DESIGN §7, §11).
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from tempoctl.apply.journal import Journal
from tempoctl.backend import Backend, LockHolder, open_backend
from tempoctl.desired import DesiredEnvironment
from tempoctl.errors import PartialApplyError, TempoctlError


def git_commit(folder: Path) -> str | None:
    """The commit checked out where the state files live (for the audit log), or None outside git."""
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    head = out.stdout.strip()
    return head if out.returncode == 0 and head else None


def git_state(folder: Path) -> str | None:
    """What the state files in `folder` are against HEAD, for the audit log: "committed" (HEAD holds exactly
    them), "modified" (tracked, with changes staged or not, or deleted) or "untracked" (at least one state
    file is unknown to git or ignored by it); None outside git."""
    try:
        out = subprocess.run(["git", "-C", str(folder), "status", "--porcelain=v1", "-z", "--ignored=matching",
                              "--untracked-files=all", "--", "."], capture_output=True, text=True, timeout=10,
                             check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    codes = {entry[:2] for entry in out.stdout.split("\0")
             if len(entry) > 3 and entry[3:].endswith((".yaml", ".yml"))}
    if codes & {"??", "!!"}:
        return "untracked"
    return "modified" if codes else "committed"


class ApplySession:
    """Use as `with ApplySession(env, command=...) as session:`; call `settle()`, then `journal(plan)`."""

    def __init__(self, env: DesiredEnvironment, *, command: str, lock_timeout: float = 0.0,
                 cwd: Path | None = None, echo: Callable[[str], None] = print, backend: Backend | None = None) -> None:
        self.env = env
        self.command = command
        self.lock_timeout = lock_timeout
        self.cwd = cwd
        self.echo = echo
        self.apply_id = uuid.uuid4().hex[:12]
        self._given = backend
        self.backend: Backend | None = None
        self.holder: LockHolder | None = None
        self.outcome = "failed"
        self._journal: Journal | None = None
        self._stack = ExitStack()

    def __enter__(self) -> Self:
        try:
            if self._given is None:
                self.backend = self._stack.enter_context(open_backend(self.env.state.backend, self.cwd))
            else:
                self.backend = self._given
            self.holder = self._stack.enter_context(
                self.backend.lock(self.env.name, command=self.command, timeout=self.lock_timeout))
            self.backend.audit_begin(self.env.name, self.apply_id, holder=self.holder,
                                     git_commit=git_commit(self.env.root), plan_fingerprint=None,
                                     git_state=git_state(self.env.root))
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if self.backend is not None and self.holder is not None:
                outcome, error = self.outcome, None
                if exc is not None:
                    outcome = "partial" if isinstance(exc, PartialApplyError) else "failed"
                    error = exc.summary if isinstance(exc, TempoctlError) else type(exc).__name__
                try:
                    self.backend.audit_end(self.apply_id, outcome, error)
                except TempoctlError:
                    if exc is None:
                        raise
                    # the backend failed too (its connection dropped?): report the apply's own error
        finally:
            # The lock sees the apply's own error (if any), so a failing release does not replace it.
            self._stack.__exit__(kind, exc, tb)

    def settle(self, clients: dict[str, Any] | None = None, receipt_timeout: float = 120.0) -> dict[str, Any]:
        """Settle what earlier applies left in flight (see `tempoctl.apply.resume`); returns the clients
        opened, for the plan to reuse."""
        from tempoctl.apply.resume import settle

        assert self.backend is not None
        return settle(self.env, self.backend, self.journal_for_settling(), clients=clients, echo=self.echo,
                      receipt_timeout=receipt_timeout)

    def journal_for_settling(self) -> Journal:
        return Journal(self._backend(), self.env.name, "settle", self.apply_id)

    def journal(self, fingerprint: str) -> Journal:
        """The journal of this apply, for the plan with `fingerprint` (recorded in the audit log)."""
        if self._journal is None or self._journal.fingerprint != fingerprint:
            self._journal = Journal(self._backend(), self.env.name, fingerprint, self.apply_id)
            self._backend().audit_plan(self.apply_id, fingerprint)
        return self._journal

    def _backend(self) -> Backend:
        assert self.backend is not None, "use ApplySession as a context manager"
        return self.backend
