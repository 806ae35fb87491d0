"""`tempoctl backup drill ENV NAME`: restore the newest verified backup into a scratch place, run the
declared smoke checks, record the outcome in the backend, and remove the scratch place whatever happens.

Order, so that nothing is left behind and nothing foreign is touched: the drill's row is committed before
the scratch database/directory is created; the row is marked "created" only after this drill's own create
succeeded; cleanup runs in `finally` (the CLI turns SIGTERM/SIGHUP into an exception so it runs on a kill
too) and removes only a place carrying this drill's stamp; a drill killed outright (SIGKILL, power loss)
leaves its row open and the next drill of the backup removes what it names first.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from tempoctl.backend import Backend
from tempoctl.backup.restore import Check, RestoreFailed, database_checks, restore_database
from tempoctl.backup.restore_files import archive_checks, unpack
from tempoctl.backup.scratch import (
    create_database,
    create_dir,
    drop_database,
    dsn_for,
    remove_dir,
)
from tempoctl.backup.store import list_backups, newest_verified, path_of
from tempoctl.desired.models import Backup, Drill
from tempoctl.errors import TempoctlError
from tempoctl.observed.host.transport import Transport


class DrillError(TempoctlError):
    """The drill could not start (no verified backup to restore); recorded as failed."""


@dataclass
class DrillResult:
    """What one drill did: the file restored, where, each check, and what cleanup removed."""

    drill_id: str
    backup_file: str | None
    scratch: str | None
    checks: list[Check] = field(default_factory=list)
    problem: str | None = None
    cleanup: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.problem is None and bool(self.checks) and all(c.ok for c in self.checks)

    def detail(self) -> str:
        """One line for the backend record: the restore problem or the failed checks (never file content)."""
        if self.problem:
            return self.problem[:2000]
        failed = [f"{c.name}: {c.detail}" for c in self.checks if not c.ok]
        return ("; ".join(failed) if failed else f"{len(self.checks)} check(s) passed")[:2000]


def _remove(host: Transport, backup: Backup, scratch: str, drill_id: str) -> str:
    if backup.kind == "files":
        return remove_dir(host, scratch, drill_id)
    assert backup.database is not None
    return drop_database(host, backup.database, scratch, drill_id)


def sweep(host: Transport, records: Backend, env_name: str, name: str, backup: Backup) -> list[str]:
    """Remove what earlier drills of this backup created and never removed (a drill killed by SIGKILL)."""
    done = []
    for row in records.drill_leftovers(env_name, name):
        try:
            done.append("earlier drill: " + _remove(host, backup, str(row["scratch"]), str(row["drill_id"])))
        except TempoctlError as exc:
            done.append(f"earlier drill: {exc.summary}")
            continue
        records.drill_cleaned(str(row["drill_id"]))
        if row["outcome"] == "running":
            records.drill_end(str(row["drill_id"]), "failed", "interrupted: the drill process did not finish")
    return done


def run_drill(host: Transport, records: Backend, env_name: str, name: str, backup: Backup,
              head: Callable[[str], int]) -> DrillResult:
    """Drill backup `name` on `host`; the result is recorded in `records` before this returns or raises."""
    drill = backup.drill or Drill()
    drill_id = secrets.token_hex(6)
    result = DrillResult(drill_id, None, None)
    result.cleanup += sweep(host, records, env_name, name, backup)
    fresh = newest_verified(host, backup, list_backups(host, backup))
    if fresh.newest is None:
        result.problem = f"no verified backup of {name} to restore ({fresh.count} file(s) found)"
        records.drill_begin(env_name, name, drill_id, "", "")
        records.drill_end(drill_id, "failed", result.problem)
        return result
    result.backup_file = fresh.newest.name
    path = path_of(backup, fresh.newest.name)
    scratch = f"tempoctl_drill_{drill_id}" if backup.kind == "postgres" else ""
    records.drill_begin(env_name, name, drill_id, fresh.newest.name, scratch)
    created = False
    try:
        if backup.kind == "postgres":
            assert backup.database is not None
            create_database(host, backup.database, scratch, drill_id)
            created = True
            records.drill_created(drill_id, scratch)
            result.scratch = scratch
            dsn = dsn_for(backup.database, scratch)
            restore_database(host, backup, path, dsn)
            result.checks = database_checks(host, dsn, drill, head)
        else:
            scratch = create_dir(host, drill_id)
            created = True
            records.drill_created(drill_id, scratch)
            result.scratch = scratch
            files = unpack(host, path, scratch)
            result.checks = archive_checks(host, scratch, files, drill)
    except RestoreFailed as exc:
        result.problem = str(exc)
    except TempoctlError as exc:  # a scratch place not created, a host command that failed: the drill failed
        result.problem = f"{exc.summary}: {exc.detail}" if exc.detail else exc.summary
    except BaseException as exc:
        result.problem = f"interrupted ({type(exc).__name__})"
        raise
    finally:
        if created:
            try:
                result.cleanup.append(_remove(host, backup, scratch, drill_id))
                records.drill_cleaned(drill_id)
            except TempoctlError as exc:
                result.cleanup.append(f"{exc.summary} ({exc.hint or 'remove it by hand'})")
        records.drill_end(drill_id, "passed" if result.passed else "failed", result.detail())
    return result
