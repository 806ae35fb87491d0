"""What both backend flavours share: the schema migration, managed keys, cursors, the journal and the audit
log, written with portable SQL (`?` placeholders, `ON CONFLICT`) over a DB-API connection.

Each write is its own committed transaction, so a `kill -9` right after `journal_append` returns still
leaves the row on disk: the journal is written *before* a transaction is sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from tempoctl.backend import schema
from tempoctl.backend.drills import DrillRecords
from tempoctl.backend.holder import LockHolder, now_iso
from tempoctl.errors import ConfigError, ExitCode, LockError, TempoctlError

LOCK_COLUMNS = "environment, lock_id, holder, host, pid, pid_started, command, created_at, session"
JOURNAL_COLUMNS = ("address", "network", "sender", "nonce", "tx_hash")
# Journal events that end a step: a transaction with one of these recorded needs no settling.
SETTLED = ("receipt", "abandoned")


class BackendError(TempoctlError):
    """The backend database cannot be opened, migrated or written."""

    exit_code = ExitCode.ERROR


class _NewerSchema(BackendError):
    """The backend was written by a newer tempoctl: never migrated down, never misread."""


class Backend(DrillRecords, AbstractContextManager["Backend"]):
    """Locks, journal, managed keys, cursors and audit log of every environment in one database."""

    dialect = ""
    where = ""  # the backend spec without any password, for messages

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._migrate()

    # --- plumbing --------------------------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql

    def _transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _migration_guard(self) -> None:
        """Serialise concurrent first uses of an empty database (each flavour knows how)."""

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cur = self.conn.execute(self._sql(sql), params)
        return list(cur.fetchall()) if cur.description else []

    def _has_table(self, name: str) -> bool:
        raise NotImplementedError

    def _migrate(self) -> None:
        # An up-to-date schema needs no DDL at all, so a CI role with only read/write grants on tempoctl's
        # tables (no CREATE on the schema) can use a database an administrator set up.
        found = 0
        if self._has_table("schema_version"):
            rows = self._exec("SELECT version FROM schema_version")
            found = int(rows[0][0]) if rows else 0
            if found == schema.LATEST:
                return
        try:
            with self._transaction():
                self._migration_guard()
                self._exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                rows = self._exec("SELECT version FROM schema_version")
                current = int(rows[0][0]) if rows else 0
                if current > schema.LATEST:
                    raise _NewerSchema(
                        f"backend {self.where} has schema version {current}; this tempoctl knows up to "
                        f"{schema.LATEST}", hint="Upgrade tempoctl: a newer version has already written to this backend.")
                for version in range(current + 1, schema.LATEST + 1):
                    for stmt in schema.statements(version, self.dialect):
                        self._exec(stmt)
                if not rows:
                    self._exec("INSERT INTO schema_version (version) VALUES (?)", (schema.LATEST,))
                elif current < schema.LATEST:
                    self._exec("UPDATE schema_version SET version = ?", (schema.LATEST,))
        except _NewerSchema:
            raise
        except BackendError as exc:  # in one transaction: nothing of a failed migration stays behind
            raise BackendError(
                f"cannot bring the backend {self.where} from schema version {found} to {schema.LATEST}",
                detail=exc.detail or exc.summary,
                hint="Run any tempoctl command against it once as a role with CREATE on the schema (e.g. "
                     "`tempoctl lock status ENV`), then grant the CI role SELECT, INSERT, UPDATE, DELETE on all "
                     "tempoctl's tables again.") from None

    def close(self) -> None:
        self.conn.close()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- managed keys ----------------------------------------------------------------------------------
    def managed_keys(self, environment: str, scope: str) -> set[str]:
        rows = self._exec("SELECT key FROM managed_keys WHERE environment = ? AND scope = ?", (environment, scope))
        return {str(r[0]) for r in rows}

    def remember_keys(self, environment: str, scope: str, keys: Iterable[str]) -> None:
        ts = now_iso()
        with self._transaction():
            for key in keys:
                self._exec("INSERT INTO managed_keys (environment, scope, key, added_at) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT (environment, scope, key) DO NOTHING", (environment, scope, str(key), ts))

    def forget_keys(self, environment: str, scope: str, keys: Iterable[str]) -> None:
        with self._transaction():
            for key in keys:
                self._exec("DELETE FROM managed_keys WHERE environment = ? AND scope = ? AND key = ?",
                           (environment, scope, str(key)))

    # --- secret comparison key --------------------------------------------------------------------------
    def comparison_key(self, environment: str, *, create: bool) -> bytes | None:
        """The environment's HMAC key for comparing env-file secrets; made (32 random bytes) when `create`
        and there is none yet. Concurrent first uses agree: the first insert wins, everyone reads it back."""
        rows = self._exec("SELECT hmac_key FROM secret_keys WHERE environment = ?", (environment,))
        if not rows and create:
            import secrets

            with self._transaction():
                self._exec("INSERT INTO secret_keys (environment, hmac_key, created_at) VALUES (?, ?, ?) "
                           "ON CONFLICT (environment) DO NOTHING", (environment, secrets.token_hex(32), now_iso()))
            rows = self._exec("SELECT hmac_key FROM secret_keys WHERE environment = ?", (environment,))
        return bytes.fromhex(str(rows[0][0])) if rows else None

    # --- cursors ---------------------------------------------------------------------------------------
    def get_cursor(self, environment: str, name: str) -> str | None:
        rows = self._exec("SELECT value FROM cursors WHERE environment = ? AND name = ?", (environment, name))
        return str(rows[0][0]) if rows else None

    def set_cursor(self, environment: str, name: str, value: str) -> None:
        with self._transaction():
            self._exec("INSERT INTO cursors (environment, name, value, updated_at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (environment, name) DO UPDATE SET value = excluded.value, "
                       "updated_at = excluded.updated_at", (environment, name, value, now_iso()))

    # --- hand-offs awaiting execution ------------------------------------------------------------------
    def pending_records(self, environment: str) -> dict[str, dict[str, Any]]:
        rows = self._exec("SELECT address, record FROM pending WHERE environment = ?", (environment,))
        return {str(address): dict(json.loads(record)) for address, record in rows}

    def update_pending(self, environment: str, put: dict[str, dict[str, Any]], drop: Iterable[str] = ()) -> None:
        """Write some records and delete others in one transaction (never the whole set: a record another
        reader loaded earlier is not clobbered by a save that did not touch it)."""
        ts = now_iso()
        with self._transaction():
            for address in drop:
                self._exec("DELETE FROM pending WHERE environment = ? AND address = ?", (environment, address))
            for address, record in put.items():
                self._exec("INSERT INTO pending (environment, address, record, updated_at) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT (environment, address) DO UPDATE SET record = excluded.record, "
                           "updated_at = excluded.updated_at",
                           (environment, address, json.dumps(record, sort_keys=True), ts))

    # --- GitOps: the last applied commit per environment ------------------------------------------------
    def gitops_applied(self, environment: str) -> dict[str, str] | None:
        """The last commit of main applied to `environment` ({git_commit, folder_tree, apply_id, applied_at})."""
        rows = self._exec("SELECT git_commit, folder_tree, apply_id, applied_at FROM gitops_applied "
                          "WHERE environment = ?", (environment,))
        if not rows:
            return None
        return {k: str(v or "") for k, v in zip(("git_commit", "folder_tree", "apply_id", "applied_at"), rows[0])}

    def gitops_record(self, environment: str, git_commit: str, folder_tree: str, apply_id: str) -> None:
        with self._transaction():
            self._exec("INSERT INTO gitops_applied (environment, git_commit, folder_tree, apply_id, applied_at) "
                       "VALUES (?, ?, ?, ?, ?) ON CONFLICT (environment) DO UPDATE SET git_commit = "
                       "excluded.git_commit, folder_tree = excluded.folder_tree, apply_id = excluded.apply_id, "
                       "applied_at = excluded.applied_at", (environment, git_commit, folder_tree, apply_id, now_iso()))

    # --- journal ---------------------------------------------------------------------------------------
    def journal_append(self, environment: str, apply_id: str, event: str, fields: dict[str, Any]) -> None:
        """Append one step event and commit it before returning (the caller sends only after this)."""
        self.journal_append_many(environment, apply_id, [(event, fields)])

    def journal_append_many(self, environment: str, apply_id: str,
                            events: list[tuple[str, dict[str, Any]]]) -> None:
        """Append several step events in one transaction: one commit (one fsync) however many there are, so
        journalling a wave of 1,000 signed transactions before sending any costs one disk flush, not 1,000.
        All or none are durable when this returns."""
        if not events:
            return
        ts = now_iso()
        with self._transaction():
            for event, fields in events:
                cols = tuple(fields.get(c) for c in JOURNAL_COLUMNS)
                self._exec("INSERT INTO journal (environment, apply_id, ts, event, address, network, sender, nonce, "
                           "tx_hash, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (environment, apply_id, ts, event, *cols, json.dumps(fields, sort_keys=True, default=str)))

    def journal_entries(self, environment: str, apply_id: str | None = None) -> list[dict[str, Any]]:
        """Journal rows of an environment (or of one apply), oldest first, as flat dicts."""
        sql = "SELECT apply_id, ts, event, fields FROM journal WHERE environment = ?"
        params: tuple[Any, ...] = (environment,)
        if apply_id is not None:
            sql += " AND apply_id = ?"
            params += (apply_id,)
        return [{**json.loads(f), "apply_id": a, "ts": ts, "event": e}
                for a, ts, e, f in self._exec(sql + " ORDER BY id", params)]

    def unsettled(self, environment: str) -> list[dict[str, Any]]:
        """Transactions journalled as `intent` that have no receipt and were not abandoned: in flight, or
        signed and never broadcast, when an earlier apply died. Oldest first (nonce order per sender)."""
        rows = self._exec(
            "SELECT i.apply_id, i.ts, i.fields FROM journal i WHERE i.environment = ? AND i.event = 'intent' "
            "AND i.tx_hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM journal s WHERE s.environment = i.environment "
            "AND s.tx_hash = i.tx_hash AND s.event IN ('receipt', 'abandoned')) ORDER BY i.id", (environment,))
        return [{**json.loads(f), "apply_id": a, "ts": ts, "event": "intent"} for a, ts, f in rows]

    # --- audit log -------------------------------------------------------------------------------------
    def audit_begin(self, environment: str, apply_id: str, *, holder: LockHolder, git_commit: str | None,
                    plan_fingerprint: str | None, git_state: str | None = None) -> None:
        """`git_state`: "committed", "modified" or "untracked" (the state files against `git_commit`)."""
        with self._transaction():
            self._exec("INSERT INTO applies (apply_id, environment, started_at, holder, host, command, git_commit, "
                       "git_state, plan_fingerprint, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running')",
                       (apply_id, environment, now_iso(), holder.holder, holder.host, holder.command, git_commit,
                        git_state, plan_fingerprint))

    def audit_plan(self, apply_id: str, plan_fingerprint: str) -> None:
        """Record which plan the apply runs (known only once it is computed or loaded)."""
        with self._transaction():
            self._exec("UPDATE applies SET plan_fingerprint = ? WHERE apply_id = ?", (plan_fingerprint, apply_id))

    def audit_end(self, apply_id: str, outcome: str, error: str | None = None) -> None:
        with self._transaction():
            self._exec("UPDATE applies SET finished_at = ?, outcome = ?, error = ? WHERE apply_id = ?",
                       (now_iso(), outcome, error, apply_id))

    def applies(self, environment: str, limit: int = 20, *, steps: bool = True) -> list[dict[str, Any]]:
        """The latest applies of an environment, newest first, each with its steps from the journal (one
        query per apply; callers that read the journal themselves or need no steps pass `steps=False`)."""
        cols = ("apply_id", "environment", "started_at", "finished_at", "holder", "host", "command", "git_commit",
                "git_state", "plan_fingerprint", "outcome", "error")
        rows = self._exec(f"SELECT {', '.join(cols)} FROM applies WHERE environment = ? "
                          "ORDER BY started_at DESC LIMIT ?", (environment, limit))
        out = []
        for row in rows:
            entry = dict(zip(cols, row))
            if steps:
                entry["steps"] = [e for e in self.journal_entries(environment, str(entry["apply_id"]))
                                  if e["event"] in ("intent", "receipt", "abandoned", "pending")]
            out.append(entry)
        return out

    # --- locks -----------------------------------------------------------------------------------------
    def _try_lock(self, me: LockHolder) -> LockHolder | None:
        """Take the lock for `me`; return None on success, else the current holder."""
        raise NotImplementedError

    def _unlock(self, held: LockHolder) -> None:
        raise NotImplementedError

    def lock_status(self, environment: str) -> LockHolder | None:
        """The live holder of the environment's lock, or None when it is free."""
        raise NotImplementedError

    def force_release(self, environment: str, lock_id: str) -> LockHolder:
        """Clear a stuck lock whose ID the operator confirmed; return what was cleared."""
        raise NotImplementedError

    def _holder_row(self, environment: str) -> LockHolder | None:
        rows = self._exec(f"SELECT {LOCK_COLUMNS} FROM locks WHERE environment = ?", (environment,))
        if not rows:
            return None
        r = rows[0]
        return LockHolder(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), str(r[5]), str(r[6]), str(r[7]),
                          int(r[8]))

    def _write_holder(self, me: LockHolder) -> None:
        self._exec(f"INSERT INTO locks ({LOCK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (environment) DO UPDATE SET lock_id = excluded.lock_id, holder = excluded.holder, "
                   "host = excluded.host, pid = excluded.pid, pid_started = excluded.pid_started, "
                   "command = excluded.command, created_at = excluded.created_at, session = excluded.session",
                   (me.environment, me.lock_id, me.holder, me.host, me.pid, me.pid_started, me.command,
                    me.created_at, me.session))

    @contextmanager
    def lock(self, environment: str, *, command: str, timeout: float = 0.0,
             poll: float = 0.2) -> Iterator[LockHolder]:
        """Hold the environment's apply lock for the block; wait up to `timeout` seconds for a holder to
        finish, then fail naming it. Other environments in the same database are never blocked."""
        me = LockHolder.me(environment, command)
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            other = self._try_lock(me)
            if other is None:
                break
            if time.monotonic() >= deadline:
                waited = f" after waiting {timeout:g}s" if timeout > 0 else ""
                raise LockError(
                    f"environment {environment} is locked by another operation{waited}",
                    detail="Lock Info:\n" + other.describe(),
                    hint=("Wait for it to finish, or pass --lock-timeout 5m to wait. If its process is gone and the "
                          f"lock is stuck: tempoctl lock release {environment} --id {other.lock_id}"))
            time.sleep(poll)
        held = self.lock_status(environment) or me
        try:
            yield held
        except BaseException:
            # Releasing may fail when the backend is what failed; never hide the original error for it. A lock
            # left behind is safe: PostgreSQL drops it with the connection, SQLite lets this host take it over.
            try:
                self._unlock(held)
            except BackendError:
                pass
            raise
        self._unlock(held)


def parse_duration(text: str) -> float:
    """Terraform-style durations for --lock-timeout: `0`, `30s`, `5m`, `1h`, `1m30s`, `500ms`."""
    import re

    s = text.strip().lower()
    if s in ("0", ""):
        return 0.0
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", s)
    if not parts or "".join(n + u for n, u in parts) != s:
        raise ConfigError(f"--lock-timeout {text!r} is not a duration", hint="Use e.g. 0, 30s, 5m or 1h30m.")
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * scale[u] for n, u in parts)
