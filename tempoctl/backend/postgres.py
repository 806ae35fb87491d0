"""The team backend: a PostgreSQL database shared by CI runners and operators.

The apply lock is a *session* advisory lock keyed per environment (a 64-bit hash of its name, never one
global key: Terraform's pg backend also takes key -1, so unrelated states block each other, hashicorp/
terraform#33217). It disappears when the holder's connection dies, so a killed CI job leaves no stuck lock.
A row in `locks` describes the holder for `lock status`; it is trusted only while `pg_locks` shows that
holder's session still holding the key.

Credentials follow libpq: the URL carries no password; libpq reads PGPASSFILE (~/.pgpass) or PGPASSWORD.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from tempoctl.backend.base import Backend, BackendError
from tempoctl.backend.holder import LockHolder, now_iso
from tempoctl.errors import ConfigError, LockError

# Transaction-scoped, held only while a first use creates the tables; never held during an apply.
# How a holder that has taken the advisory lock but not yet written its row is described, and how long a
# second apply waits for that row before saying so.
ANONYMOUS = "(unknown)"
HOLDER_ROW_GRACE_SECONDS = 2.0
MIGRATION_KEY = int.from_bytes(hashlib.sha256(b"tempoctl-schema-migration").digest()[:8], "big", signed=True)


def lock_key(environment: str) -> int:
    """The advisory-lock key of one environment: a signed 64-bit slice of sha256, stable across versions."""
    return int.from_bytes(hashlib.sha256(b"tempoctl-apply-lock:" + environment.encode()).digest()[:8], "big",
                          signed=True)


def redact(spec: str) -> str:
    """The URL with any password removed, for messages."""
    parts = urlsplit(spec)
    if parts.password is None:
        return spec
    netloc = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{netloc}").geturl()


class PostgresBackend(Backend):
    dialect = "postgresql"

    def __init__(self, spec: str) -> None:
        self.where = redact(spec)
        if urlsplit(spec).password is not None:
            raise ConfigError(f"backend {self.where}: the URL holds a password",
                              hint="Remove it; put it in PGPASSFILE (~/.pgpass) or PGPASSWORD instead.")
        import psycopg

        try:
            conn = psycopg.connect(spec, autocommit=True, application_name="tempoctl", connect_timeout=10)
        except psycopg.Error as exc:
            # libpq messages name host/user/database, never the password.
            raise BackendError(f"cannot connect to the backend {self.where}",
                               detail=str(exc).strip(),
                               hint="Check PGHOST/PGPORT/PGUSER and that the password is in PGPASSFILE.") from None
        self._psycopg_error = psycopg.Error
        super().__init__(conn)

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A transaction whose own failures (a dropped connection) surface as `BackendError`, while errors
        raised inside it pass through unchanged."""
        try:
            tx = self.conn.transaction()
            tx.__enter__()
        except self._psycopg_error as exc:
            raise BackendError(f"backend {self.where} failed", detail=str(exc).strip()) from None
        try:
            yield
        except BaseException as exc:
            try:
                tx.__exit__(type(exc), exc, exc.__traceback__)
            except self._psycopg_error:
                pass
            raise
        try:
            tx.__exit__(None, None, None)
        except self._psycopg_error as exc:
            raise BackendError(f"backend {self.where} failed", detail=str(exc).strip()) from None

    def _has_table(self, name: str) -> bool:
        return bool(self._exec("SELECT to_regclass(?) IS NOT NULL", (name,))[0][0])

    def _migration_guard(self) -> None:
        self._exec("SELECT pg_advisory_xact_lock(?)", (MIGRATION_KEY,))

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return super()._exec(sql, params)
        except self._psycopg_error as exc:
            raise BackendError(f"backend {self.where} failed", detail=str(exc).strip()) from None

    def _session_holding(self, environment: str) -> int | None:
        """The server pid of the session holding the environment's advisory lock, if any."""
        key = lock_key(environment) & 0xFFFFFFFFFFFFFFFF
        rows = self._exec("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
                          "AND classid = ?::bigint::oid AND objid = ?::bigint::oid AND database = "
                          "(SELECT oid FROM pg_database WHERE datname = current_database())",
                          (key >> 32, key & 0xFFFFFFFF))
        return int(rows[0][0]) if rows else None

    def _try_lock(self, me: LockHolder) -> LockHolder | None:
        for _ in range(3):
            got = self._exec("SELECT pg_try_advisory_lock(?), pg_backend_pid()", (lock_key(me.environment),))[0]
            if got[0]:
                self._take(me, int(got[1]))
                return None
            other = self._described_holder(me.environment)
            if other is not None:
                return other
            # released between our try and our look: try again
        return self._anonymous(me.environment)

    def _described_holder(self, environment: str) -> LockHolder | None:
        """The live holder, waiting briefly for its row: a holder writes it just after taking the advisory
        lock, and a message naming its pid and command is worth a moment more than "(unknown)"."""
        deadline = time.monotonic() + HOLDER_ROW_GRACE_SECONDS
        while True:
            other = self.lock_status(environment)
            if other is None or other.lock_id != ANONYMOUS or time.monotonic() >= deadline:
                return other
            time.sleep(0.05)

    def _take(self, me: LockHolder, session: int) -> None:
        mine = LockHolder(me.environment, me.lock_id, me.holder, me.host, me.pid, me.pid_started, me.command,
                          me.created_at, session)
        with self._transaction():
            self._write_holder(mine)

    def _anonymous(self, environment: str) -> LockHolder:
        """A holder between taking the advisory lock and writing its row (or one that wrote none)."""
        pid = self._session_holding(environment) or 0
        rows = self._exec("SELECT usename, COALESCE(client_addr::text, 'local'), application_name, "
                          "backend_start::text FROM pg_stat_activity WHERE pid = ?", (pid,))
        user, host, app, start = rows[0] if rows else ("?", "?", "?", now_iso())
        return LockHolder(environment, ANONYMOUS, str(user), str(host), 0, "", f"{app} session pid {pid}",
                          str(start), pid)

    def _unlock(self, held: LockHolder) -> None:
        with self._transaction():
            self._exec("DELETE FROM locks WHERE environment = ? AND lock_id = ?", (held.environment, held.lock_id))
        self._exec("SELECT pg_advisory_unlock(?)", (lock_key(held.environment),))

    def lock_status(self, environment: str) -> LockHolder | None:
        session = self._session_holding(environment)
        if session is None:
            return None  # a row without a live session is a description of a holder that is gone
        row = self._holder_row(environment)
        return row if row is not None and row.session == session else self._anonymous(environment)

    def force_release(self, environment: str, lock_id: str) -> LockHolder:
        live = self.lock_status(environment)
        if live is not None:
            raise LockError(
                f"environment {environment} is held by a live database session (server pid {live.session})",
                detail="Lock Info:\n" + live.describe(),
                hint="A PostgreSQL lock is released when its apply ends or its connection drops; stop that "
                     "process (or pg_terminate_backend its session) instead of releasing the lock.")
        row = self._holder_row(environment)
        if row is None or row.lock_id != lock_id:
            raise LockError(f"environment {environment} is not locked" + (f" with ID {lock_id}" if row else ""))
        with self._transaction():
            self._exec("DELETE FROM locks WHERE environment = ? AND lock_id = ?", (environment, lock_id))
        return row
