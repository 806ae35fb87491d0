"""What is in a backup destination, whether each file is a good backup, and which files retention removes.

Verification is what makes a file count: `gzip -t` for compressed files and a parse of the content
(`pg_restore --list` listing at least one table for a custom-format dump; for plain SQL the dump's header,
its completion footer and at least one `CREATE TABLE` or `COPY` — a 61-byte gzip of header and footer is
not a backup; `tar -tzf` for an archive). A truncated or corrupt file is never counted as the newest backup, and
retention never deletes the newest good one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from tempoctl.backup.naming import dump_format, pattern
from tempoctl.desired.models import Backup
from tempoctl.observed.host.transport import Transport


@dataclass(frozen=True)
class BackupFile:
    """One file of a backup in its destination: name, modification time (UTC), size in bytes."""

    name: str
    mtime: dt.datetime
    size: int


# Lists regular files of a directory as "epoch<TAB>size<TAB>name" lines; an absent directory is empty.
_LIST_SCRIPT = r'[ -d "$1" ] || exit 0; exec find "$1" -mindepth 1 -maxdepth 1 -type f -printf "%T@\t%s\t%f\n"'

# Exit 0 and no output when the file is a good backup, else exit 1 with the reason on stdout.
_VERIFY_SCRIPT = r"""f=$1; fmt=$2
if [ ! -s "$f" ]; then echo "empty file"; exit 1; fi
case $fmt in
  sql.gz)
    gzip -t -- "$f" 2>/dev/null || { echo "gzip -t failed (truncated or corrupt)"; exit 1; }
    gzip -dc -- "$f" | head -c 4096 | grep -q '^-- PostgreSQL database dump' \
      || { echo "not a pg_dump file (no PostgreSQL dump header)"; exit 1; }
    gzip -dc -- "$f" | tail -c 256 | grep -q '^-- PostgreSQL database dump complete' \
      || { echo "dump is incomplete (no completion footer)"; exit 1; }
    gzip -dc -- "$f" | grep -Eq '^(CREATE TABLE|COPY) ' \
      || { echo "the dump holds no table (no CREATE TABLE or COPY): framing alone is not a backup"; exit 1; }
    ;;
  custom)
    toc=$(pg_restore --list -- "$f" 2>/dev/null) || { echo "pg_restore --list cannot parse it"; exit 1; }
    printf '%s\n' "$toc" | grep -Eq '^[0-9]+; [0-9]+ [0-9]+ TABLE ' \
      || { echo "pg_restore --list lists no table: framing alone is not a backup"; exit 1; } ;;
  tar.gz)
    gzip -t -- "$f" 2>/dev/null || { echo "gzip -t failed (truncated or corrupt)"; exit 1; }
    tar -tzf "$f" >/dev/null 2>&1 || { echo "tar cannot read the archive"; exit 1; } ;;
  *) echo "unknown format $fmt"; exit 1 ;;
esac
"""


def list_backups(host: Transport, backup: Backup) -> list[BackupFile]:
    """This backup's files in its destination, newest first (other files there are ignored)."""
    result = host.run(["sh", "-c", _LIST_SCRIPT, "sh", backup.destination])
    names = pattern(backup.filename)
    out = []
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split("\t", 2)
        if len(parts) != 3 or not names.match(parts[2]):
            continue
        mtime = dt.datetime.fromtimestamp(float(parts[0]), dt.UTC)
        out.append(BackupFile(parts[2], mtime, int(parts[1])))
    return sorted(out, key=lambda f: (f.mtime, f.name), reverse=True)


def verify(host: Transport, backup: Backup, path: str) -> str | None:
    """None when the file at `path` (on the host) is a good backup, else why it is not."""
    fmt = dump_format(backup.kind, backup.filename)
    result = host.run(["sh", "-c", _VERIFY_SCRIPT, "sh", path, fmt], check=False)
    if result.returncode == 0:
        return None
    return result.stdout.decode("utf-8", "replace").strip() or f"verification failed (exit {result.returncode})"


def path_of(backup: Backup, name: str) -> str:
    return backup.destination.rstrip("/") + "/" + name


@dataclass(frozen=True)
class Freshness:
    """The newest good backup (None when there is none) and the newer files that failed verification."""

    newest: BackupFile | None
    failed: tuple[tuple[str, str], ...]
    count: int

    def age_seconds(self, now: dt.datetime) -> int | None:
        return None if self.newest is None else max(0, int((now - self.newest.mtime).total_seconds()))


def newest_verified(host: Transport, backup: Backup, files: list[BackupFile]) -> Freshness:
    """Walk from the newest file back until one verifies; with `verify: false` the newest file counts.

    Only the files newer than the newest good one are checked, so drift costs one verification per run in
    the normal case however many backups are kept."""
    failed: list[tuple[str, str]] = []
    for f in files:
        problem = verify(host, backup, path_of(backup, f.name)) if backup.verify else None
        if problem is None:
            return Freshness(f, tuple(failed), len(files))
        failed.append((f.name, problem))
    return Freshness(None, tuple(failed), len(files))


def expired(files: Iterable[BackupFile], now: dt.datetime, retention_days: int, keep: str | None) -> list[BackupFile]:
    """Files older than `retention_days`, never including `keep` (the newest good backup)."""
    cutoff = now - dt.timedelta(days=retention_days)
    return [f for f in files if f.mtime < cutoff and f.name != keep]
