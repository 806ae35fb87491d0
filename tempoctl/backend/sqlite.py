"""The embedded backend: one SQLite file (WAL, synchronous=FULL so a committed journal row survives a
kill -9 or a power cut). The lock is a row taken inside an IMMEDIATE transaction; a row left by a process
on this host that no longer runs (kill -9) is taken over, while a holder on another host needs
`tempoctl lock release ENV --id ID`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tempoctl.backend.base import Backend, BackendError
from tempoctl.backend.holder import LockHolder
from tempoctl.errors import LockError

OPEN_TIMEOUT_SECONDS = 30.0


def _enter_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL, retrying while another process holds it.

    Changing the journal mode needs an exclusive lock, and SQLite answers SQLITE_BUSY at once (without
    calling the busy handler) when two processes open a brand-new file together: the second one holds a
    shared lock it cannot upgrade. Two `tempoctl apply` runs started by the same CI job hit exactly this, and
    the loser must reach the lock row and say who holds the environment, not fail on the file itself.
    """
    deadline = time.monotonic() + OPEN_TIMEOUT_SECONDS
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


class SqliteBackend(Backend):
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"sqlite:///{path}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, timeout=OPEN_TIMEOUT_SECONDS)
            _enter_wal(conn)
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA busy_timeout={int(OPEN_TIMEOUT_SECONDS * 1000)}")
        except (OSError, sqlite3.Error) as exc:
            raise BackendError(f"cannot open the backend {self.where}: {exc}") from None
        try:
            path.chmod(0o600)
        except OSError:
            pass
        super().__init__(conn)

    def _has_table(self, name: str) -> bool:
        return bool(self._exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise BackendError(f"cannot write to the backend {self.where}: {exc}") from None
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _try_lock(self, me: LockHolder) -> LockHolder | None:
        with self._transaction():
            current = self._holder_row(me.environment)
            if current is not None and not current.local_and_dead():
                return current
            self._write_holder(me)
        return None

    def _unlock(self, held: LockHolder) -> None:
        with self._transaction():
            self._exec("DELETE FROM locks WHERE environment = ? AND lock_id = ?", (held.environment, held.lock_id))

    def lock_status(self, environment: str) -> LockHolder | None:
        return self._holder_row(environment)

    def force_release(self, environment: str, lock_id: str) -> LockHolder:
        with self._transaction():
            current = self._holder_row(environment)
            if current is None:
                raise LockError(f"environment {environment} is not locked")
            if current.lock_id != lock_id:
                raise LockError(f"environment {environment} is locked with ID {current.lock_id}, not {lock_id}",
                                detail="Lock Info:\n" + current.describe())
            self._exec("DELETE FROM locks WHERE environment = ? AND lock_id = ?", (environment, lock_id))
        return current
