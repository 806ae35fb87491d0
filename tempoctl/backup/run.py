"""`tempoctl backup run ENV NAME`: take one backup now, verify it, then apply retention — the job the
schedule runs, so retention is enforced by the job itself, not by a separate cleaner.

The dump is written to a partial file next to its final name and renamed only once it verifies: a failed
or interrupted run never replaces (or sits beside, looking like) a good backup, and the newest good backup
is never deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tempoctl.backup.naming import PARTIAL_PREFIX, dump_format, render
from tempoctl.backup.store import BackupFile, expired, list_backups, path_of, verify
from tempoctl.desired.models import Backup
from tempoctl.errors import TempoctlError
from tempoctl.observed.host.transport import Transport


class BackupError(TempoctlError):
    """A backup could not be taken or did not verify; the previous backups are untouched."""


@dataclass
class BackupResult:
    """What one run did: the file written (name, size), and the files retention removed."""

    name: str
    path: str
    size: int
    verified: bool
    removed: list[str] = field(default_factory=list)


def dump_command(backup: Backup, target: str) -> list[str]:
    """The argv that writes one backup of `backup` to `target` on its host (umask 077: dumps hold data)."""
    fmt = dump_format(backup.kind, backup.filename)
    if fmt == "tar.gz":
        # Relative paths are relative to the home directory of the user the job runs as (cron's cwd).
        script = 'umask 077; t=$1; shift; cd && exec tar -czf "$t" -- "$@"'
        return ["sh", "-c", script, "sh", target, *backup.paths]
    assert backup.database is not None
    fmt_args = ["--format=custom"] if fmt == "custom" else ["--format=plain", "--compress=6"]
    return ["sh", "-c", 'umask 077; exec "$@"', "sh", "pg_dump", "--no-password", *fmt_args,
            f"--file={target}", f"--dbname={backup.database}"]


def run_backup(host: Transport, name: str, backup: Backup, now: dt.datetime | None = None) -> BackupResult:
    """Take one backup of `backup` on `host` now, verify it, rename it into place, then apply retention."""
    now = now or dt.datetime.now(dt.UTC)
    final = render(backup.filename, now)
    partial = path_of(backup, PARTIAL_PREFIX + final)
    host.run(["mkdir", "-p", "-m", "700", "--", backup.destination])
    dumped = host.run(dump_command(backup, partial), check=False)
    if dumped.returncode != 0:
        host.run(["rm", "-f", "--", partial], check=False)
        tool = "tar" if backup.kind == "files" else "pg_dump"
        raise BackupError(
            f"backup {name}: {tool} failed on host {host.name} (exit {dumped.returncode}); previous backups are untouched",
            detail="\n".join(dumped.stderr.decode("utf-8", "replace").strip().splitlines()[-15:]),
            hint=("Check that the database is reachable with the host's libpq settings (PGHOST, PGPORT, PGUSER, "
                  "PGPASSFILE or ~/.pgpass) by the user the job runs as." if backup.kind == "postgres"
                  else "Check that every path under `paths` exists on the host (relative to the user's home)."),
        )
    problem = verify(host, backup, partial) if backup.verify else None
    if problem is not None:
        host.run(["rm", "-f", "--", partial], check=False)
        raise BackupError(f"backup {name}: the new file did not verify ({problem}); it was removed and previous "
                          "backups are untouched")
    target = path_of(backup, final)
    host.run(["mv", "-f", "--", partial, target])
    files = list_backups(host, backup)
    mine = next((f for f in files if f.name == final), BackupFile(final, now, 0))
    gone = expired(files, now, backup.retention_days, keep=final)
    if gone:
        host.run(["rm", "-f", "--", *(path_of(backup, f.name) for f in gone)])
    return BackupResult(final, target, mine.size, backup.verify, [f.name for f in gone])
