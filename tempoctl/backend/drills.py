"""The record of restore drills (table `backup_drills`), shared by both backend flavours.

A drill writes its row before it creates anything, marks the scratch database or directory as its own only
after its own create succeeded, and closes the row with the outcome. Drift reads the newest rows per backup
(last drill, last successful drill); the next drill reads the rows a killed drill left open.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from tempoctl.backend.holder import now_iso, process_alive, process_started

_COLUMNS = ("drill_id", "environment", "backup", "started_at", "finished_at", "backup_file", "scratch",
            "scratch_created", "cleaned", "outcome", "detail", "host", "pid", "pid_started")


class DrillRecords:
    """Mixed into `Backend`: `_exec` and `_transaction` come from there."""

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def drill_begin(self, environment: str, backup: str, drill_id: str, backup_file: str, scratch: str) -> None:
        """Record a drill that is about to create `scratch` (committed before the create is sent)."""
        import os
        import socket

        with self._transaction():
            self._exec("INSERT INTO backup_drills (drill_id, environment, backup, started_at, backup_file, scratch, "
                       "outcome, host, pid, pid_started) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                       (drill_id, environment, backup, now_iso(), backup_file, scratch, socket.gethostname(),
                        os.getpid(), process_started(os.getpid())))

    def drill_created(self, drill_id: str, scratch: str) -> None:
        """This drill's own create of `scratch` succeeded: only now may a cleanup remove it."""
        with self._transaction():
            self._exec("UPDATE backup_drills SET scratch = ?, scratch_created = 1 WHERE drill_id = ?",
                       (scratch, drill_id))

    def drill_cleaned(self, drill_id: str) -> None:
        with self._transaction():
            self._exec("UPDATE backup_drills SET cleaned = 1 WHERE drill_id = ?", (drill_id,))

    def drill_end(self, drill_id: str, outcome: str, detail: str) -> None:
        with self._transaction():
            self._exec("UPDATE backup_drills SET outcome = ?, detail = ?, finished_at = ? WHERE drill_id = ?",
                       (outcome, detail, now_iso(), drill_id))

    def drill_leftovers(self, environment: str, backup: str, *, stale_after: float = 86400.0) -> list[dict[str, Any]]:
        """Scratch databases or directories earlier drills of this backup created and did not remove — of
        drills that are over: a drill process of this machine that is gone, or any drill older than
        `stale_after` seconds (a drill started elsewhere may still be restoring; its process is not visible)."""
        import datetime as dt
        import socket

        rows = self._exec(f"SELECT {', '.join(_COLUMNS)} FROM backup_drills WHERE environment = ? AND backup = ? "
                          "AND scratch_created = 1 AND cleaned = 0 ORDER BY started_at", (environment, backup))
        out = []
        now = dt.datetime.now(dt.UTC)
        for r in rows:
            row = dict(zip(_COLUMNS, r))
            old = (now - dt.datetime.fromisoformat(str(row["started_at"]))).total_seconds() > stale_after
            here = row["host"] == socket.gethostname()
            if old or (here and row["outcome"] != "running") or (
                    here and not process_alive(int(row["pid"] or 0), str(row["pid_started"] or ""))):
                out.append(row)
        return out

    def drills(self, environment: str, backup: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Drill rows, newest first."""
        sql = f"SELECT {', '.join(_COLUMNS)} FROM backup_drills WHERE environment = ?"
        params: tuple[Any, ...] = (environment,)
        if backup is not None:
            sql += " AND backup = ?"
            params += (backup,)
        rows = self._exec(sql + f" ORDER BY started_at DESC LIMIT {int(limit)}", params)
        return [dict(zip(_COLUMNS, r)) for r in rows]

    def drill_summary(self, environment: str) -> dict[str, dict[str, Any]]:
        """Per backup: the last finished drill (`last_at`, `last_outcome`, `last_detail`) and the last passed
        one (`last_success_at`, None when none) — what drift and the metrics need."""
        out: dict[str, dict[str, Any]] = {}
        rows = self._exec("SELECT backup, finished_at, outcome, detail FROM backup_drills WHERE environment = ? "
                          "AND outcome IN ('passed', 'failed') AND finished_at IS NOT NULL "
                          "ORDER BY finished_at DESC", (environment,))
        for backup, finished, outcome, detail in rows:
            entry = out.setdefault(str(backup), {"last_at": str(finished), "last_outcome": str(outcome),
                                                 "last_detail": str(detail or ""), "last_success_at": None})
            if outcome == "passed" and entry["last_success_at"] is None:
                entry["last_success_at"] = str(finished)
        return out
