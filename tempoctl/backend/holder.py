"""Who is applying: the identity a lock records so that a blocked operator sees who to ask (Terraform's
"Lock Info: ID, Operation, Who, Created"), and how to tell whether a local holder is still alive.

A process is identified by pid *and* its start time, so a pid reused by an unrelated process after a
kill -9 does not keep a dead apply's lock alive.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
import uuid
from dataclasses import dataclass


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def process_started(pid: int) -> str:
    """The kernel's start time of `pid` (clock ticks since boot, from /proc), or "" where unknown."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return ""
    # The command name (field 2) may contain spaces and parentheses: split after its closing parenthesis.
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else ""


def process_alive(pid: int, started: str) -> bool:
    """Whether the process that took a lock on this host still runs (same pid, same start time)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    return not started or process_started(pid) in ("", started)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def ci_run() -> str:
    """A link to the CI run when tempoctl runs inside GitHub Actions, so `lock status` points at the job."""
    server, repo, run = (os.environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f" ({server}/{repo}/actions/runs/{run})" if server and repo and run else ""


@dataclass(frozen=True)
class LockHolder:
    """One holder of an environment's apply lock, as recorded in the backend."""

    environment: str
    lock_id: str
    holder: str
    host: str
    pid: int
    pid_started: str
    command: str
    created_at: str
    session: int = 0  # PostgreSQL: the server pid of the holding connection

    @classmethod
    def me(cls, environment: str, command: str) -> LockHolder:
        return cls(environment, uuid.uuid4().hex[:12], _user(), socket.gethostname(), os.getpid(),
                   process_started(os.getpid()), command + ci_run(), now_iso())

    def describe(self) -> str:
        """The lock's fields, one inert line each: they were written by whichever machine took the lock (a
        command line naming a path with escape sequences, a hostile host name) and are shown on terminals."""
        from tempoctl.safetext import one_line

        return (f"  ID:        {one_line(self.lock_id)}\n  Who:       {one_line(self.holder)}@{one_line(self.host)} "
                f"(pid {self.pid})\n  Operation: {one_line(self.command)}\n  Created:   {one_line(self.created_at)}")

    def is_me(self) -> bool:
        """True when this very process holds the lock (an apply planning under its own lock)."""
        return self.host == socket.gethostname() and self.pid == os.getpid() \
            and self.pid_started in ("", process_started(os.getpid()))

    def local_and_alive(self) -> bool:
        """True when the holder ran on this host and that very process (pid and start time) still runs: its
        apply may be sending or polling transactions right now."""
        return self.host == socket.gethostname() and process_alive(self.pid, self.pid_started)

    def local_and_dead(self) -> bool:
        """True when the holder ran on this host and that process is gone (a kill -9'd apply)."""
        return self.host == socket.gethostname() and not process_alive(self.pid, self.pid_started)
