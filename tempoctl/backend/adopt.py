"""Moving an environment out of the formerly shared default backend file.

Until issue 17, an environment without `backend:` used `.tempoctl/state.db`, shared by every such
environment (their locks, journals and records in one file). Now each gets its own `.tempoctl/<env>.db`. The
first time an environment's own file is opened and does not exist yet, the rows of that environment in
`.tempoctl/state.db` (an apply lock still held, unsettled journal entries, hand-offs, managed keys, the audit
log, cursors, the comparison key, the GitOps record) are copied into it, so nothing in flight is lost.

The copy is built in a temporary file beside the target and linked into place only when complete: another
process never sees a half-copied backend, and of two processes adopting at once, the first link wins and the
other uses it (its own copy is discarded). The old file is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from pathlib import Path

from tempoctl.backend.base import BackendError

LEGACY_NAME = "state.db"
_OWN = re.compile(r"sqlite:///\.tempoctl/([A-Za-z0-9_][A-Za-z0-9_.-]*)\.db")


def own_default(spec: str) -> str | None:
    """The environment whose own default file `spec` names (`sqlite:///.tempoctl/<env>.db`), or None."""
    m = _OWN.fullmatch(spec.strip())
    return m.group(1) if m and m.group(1) != "state" else None


def legacy_rows(path: Path, environment: str) -> bool:
    """Whether `path` does not exist yet and the shared `state.db` beside it holds rows of `environment`."""
    legacy = path.parent / LEGACY_NAME
    if path.exists() or not legacy.is_file():
        return False
    try:
        conn = sqlite3.connect(f"file:{legacy}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return False
    try:
        return any(conn.execute(f"SELECT 1 FROM {t} WHERE environment = ? LIMIT 1", (environment,)).fetchone()
                   for t in _tables(conn))
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def adopt(path: Path, environment: str) -> bool:
    """Copy `environment`'s rows from `state.db` into a new `path`; True if this call created `path`."""
    if not legacy_rows(path, environment):
        return False
    from tempoctl.backend.sqlite import SqliteBackend

    legacy = path.parent / LEGACY_NAME
    with SqliteBackend(legacy):  # brings the old file to the current schema, so both have the same columns
        pass
    tmp = path.with_name(f".{path.name}.adopt-{os.getpid()}")
    for stale in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        stale.unlink(missing_ok=True)
    try:
        with SqliteBackend(tmp) as fresh:
            conn = fresh.conn
            conn.execute("ATTACH DATABASE ? AS legacy", (str(legacy),))
            conn.execute("BEGIN IMMEDIATE")
            for table in _tables(conn, "legacy."):
                cols = [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]
                old = {r[1] for r in conn.execute(f"PRAGMA legacy.table_info({table})")}
                shared = ", ".join(c for c in cols if c in old)
                conn.execute(f"INSERT INTO main.{table} ({shared}) SELECT {shared} FROM legacy.{table} "
                             "WHERE environment = ?", (environment,))
            conn.execute("COMMIT")
            conn.execute("DETACH DATABASE legacy")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            os.link(tmp, path)  # atomic, and never over a backend another process created meanwhile
        except FileExistsError:
            return False
        return True
    except (OSError, sqlite3.Error) as exc:
        raise BackendError(f"cannot move {environment}'s rows from {legacy} into {path}: {exc}",
                           hint="Nothing was changed; fix the cause (disk full? permissions?) and run again.") from None
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _tables(conn: sqlite3.Connection, schema: str = "") -> list[str]:
    """The tables with an `environment` column (all of tempoctl's but schema_version)."""
    names = [str(r[0]) for r in conn.execute(f"SELECT name FROM {schema}sqlite_master WHERE type = 'table'")]
    return [t for t in names if re.fullmatch(r"[a-z_]+", t)
            and any(r[1] == "environment" for r in conn.execute(f"PRAGMA {schema}table_info({t})"))]
