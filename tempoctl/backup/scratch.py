"""Where a restore drill puts the restored copy, and how it is removed again: a scratch PostgreSQL database
(postgres backups) or a temp directory (files backups) on the backup's host, through its transport.

The one rule: remove only what this drill created. A database is created with `CREATE DATABASE`, which fails
if the name exists — so a database someone else made is never marked as ours — and is stamped with a comment
naming the drill; it is dropped only while it still carries that comment. A directory comes from `mktemp -d`
and holds a marker file naming the drill; it is removed only while the marker says so.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from tempoctl.errors import TempoctlError
from tempoctl.observed.host.transport import Transport

SCRATCH_DB = re.compile(r"tempoctl_drill_[0-9a-f]{12}")
SCRATCH_DIR = re.compile(r"/[A-Za-z0-9_./-]*/tempoctl-drill-[A-Za-z0-9]{10}")
MARKER = ".tempoctl-drill"


class ScratchError(TempoctlError):
    """The scratch place could not be created (and therefore is not ours to remove)."""


def comment(drill_id: str) -> str:
    return f"tempoctl restore drill {drill_id}"


def dsn_for(database: str, dbname: str) -> str:
    """The backup's connection (URL or bare name) pointed at `dbname` on the same server, same parameters."""
    if "://" not in database:
        return dbname
    parts = urlsplit(database)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def psql(dsn: str, sql: str) -> list[str]:
    """A psql call running one statement, no ~/.psqlrc, no password prompt, stopping on the first error."""
    return ["psql", "-X", "-q", "-A", "-t", "--no-password", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql]


def _err(result_stderr: bytes) -> str:
    return "\n".join(result_stderr.decode("utf-8", "replace").strip().splitlines()[-5:])


def create_database(host: Transport, database: str, name: str, drill_id: str) -> None:
    """CREATE DATABASE `name` beside the backup's database, stamped with this drill's comment."""
    if not SCRATCH_DB.fullmatch(name):
        raise ScratchError(f"refusing scratch database name {name!r}")
    made = host.run(psql(database, f'CREATE DATABASE "{name}"'), check=False)
    if made.returncode != 0:
        raise ScratchError(f"cannot create scratch database {name} (left untouched)", detail=_err(made.stderr))
    host.run(psql(database, f"COMMENT ON DATABASE \"{name}\" IS '{comment(drill_id)}'"))


def drop_database(host: Transport, database: str, name: str, drill_id: str) -> str:
    """Drop `name` if it still carries this drill's comment; what happened, in words."""
    if not SCRATCH_DB.fullmatch(name):
        return f"not dropping {name!r}: not a scratch database name"
    # 'x' || …: a row (the database exists) is never empty, even when it has no comment at all.
    seen = host.run(psql(database, "SELECT 'x' || coalesce(shobj_description(oid, 'pg_database'), '') "
                                   f"FROM pg_database WHERE datname = '{name}'"), check=False)
    if seen.returncode != 0:
        raise ScratchError(f"cannot check scratch database {name} before dropping it", detail=_err(seen.stderr))
    stamp = seen.text.strip()
    if not stamp:
        return f"scratch database {name} is already gone"
    if stamp != "x" + comment(drill_id):
        return f"not dropping {name}: it does not carry this drill's comment"
    dropped = host.run(psql(database, f'DROP DATABASE "{name}" WITH (FORCE)'), check=False)
    if dropped.returncode != 0:
        raise ScratchError(f"cannot drop scratch database {name}", detail=_err(dropped.stderr),
                           hint=f"Drop it by hand: DROP DATABASE \"{name}\";")
    return f"dropped scratch database {name}"


def create_dir(host: Transport, drill_id: str) -> str:
    """A fresh `mktemp -d` directory (mode 0700) holding the marker file of this drill."""
    made = host.run(["sh", "-c", ('umask 077; d=$(mktemp -d -t tempoctl-drill-XXXXXXXXXX) && '
                                 'printf %s "$1" >"$d/.tempoctl-drill" && printf %s "$d"'), "sh", drill_id],
                    check=False)
    path = made.text.strip()
    if made.returncode != 0 or not SCRATCH_DIR.fullmatch(path):
        raise ScratchError("cannot create a temp directory for the drill", detail=_err(made.stderr))
    return path


def remove_dir(host: Transport, path: str, drill_id: str) -> str:
    if not SCRATCH_DIR.fullmatch(path):
        return f"not removing {path!r}: not a drill directory"
    marker = host.run(["sh", "-c", '[ -d "$1" ] || exit 3; [ ! -L "$1/.tempoctl-drill" ] && cat -- "$1/.tempoctl-drill"',
                       "sh", path], check=False)
    if marker.returncode == 3:
        return f"drill directory {path} is already gone"
    if marker.returncode != 0 or marker.text != drill_id:
        return f"not removing {path}: it does not hold this drill's marker"
    host.run(["rm", "-rf", "--", path])
    return f"removed drill directory {path}"
