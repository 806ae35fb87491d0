"""Restoring one backup file into a drill's scratch place, and the smoke checks run on the restored copy.

Plain SQL dumps are fed to `psql` behind a `\\restrict` line with a random key (psql ≥ 15.14/16.10/17.6): psql
then refuses every meta-command until `\\unrestrict` with that key, so a dump cannot `\\connect` to another
database or run a shell command (`\\!`) — pg_dump's own `\\restrict`/`\\unrestrict` lines are taken out first.
A psql without `\\restrict` fails the drill instead of restoring unrestricted. Custom-format dumps go through
`pg_restore` into the scratch database only (no `--create`, so the dump cannot name another database).
Archives are unpacked by GNU tar into the drill's own temp directory (tar refuses `..` members and makes
symlinks last, so a member cannot be written through one).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from tempoctl.backup.naming import dump_format
from tempoctl.backup.scratch import psql
from tempoctl.desired.models import Backup, Drill
from tempoctl.observed.host.transport import Transport

# $1 dump, $2 restrict key, $3 dsn. Only the dump's own (un)restrict lines are dropped; psql stops at the
# first error and runs everything in one transaction, so a half-good dump restores nothing.
_SQL_RESTORE = r"""f=$1; key=$2; dsn=$3
{ printf '\\restrict %s\n' "$key"
  gzip -dc -- "$f" | grep -Ev '^\\(un)?restrict [A-Za-z0-9]+$' || [ $? -eq 1 ]
  printf '\n\\unrestrict %s\n' "$key"; } \
| psql -X -q --no-password -v ON_ERROR_STOP=1 --single-transaction -d "$dsn" >/dev/null
"""


@dataclass(frozen=True)
class Check:
    """One smoke check: what was checked, whether it held, and what was found."""

    name: str
    ok: bool
    detail: str


class RestoreFailed(Exception):
    """The file did not restore: the drill fails with this reason."""


_VALUE = re.compile(r'(:\s*)"[^"]*"?\s*$')


def _tail(data: bytes, lines: int = 3) -> str:
    """The error lines of a psql/pg_restore failure, without the row data PostgreSQL quotes in them (a bad
    value, a COPY line): a drill's record and output name what failed, never what a backup holds."""
    kept = []
    for line in data.decode("utf-8", "replace").strip().splitlines():
        if "ERROR" in line or "FATAL" in line or line.startswith(("pg_restore:", "psql:")):
            kept.append(_VALUE.sub(r"\1(value hidden)", line.strip()))
    return "; ".join(kept[-lines:])


def restore_database(host: Transport, backup: Backup, path: str, dsn: str) -> None:
    if dump_format(backup.kind, backup.filename) == "custom":
        argv = ["pg_restore", "--no-password", "--exit-on-error", "--single-transaction", "--no-owner",
                "--no-privileges", "-d", dsn, "--", path]
    else:
        argv = ["sh", "-c", _SQL_RESTORE, "sh", path, secrets.token_hex(16), dsn]
    done = host.run(argv, check=False)
    if done.returncode != 0:
        raise RestoreFailed(f"the dump did not restore (exit {done.returncode}): {_tail(done.stderr) or 'no message'}")


def _quoted(table: str) -> str:
    return ".".join(f'"{part}"' for part in table.split("."))


def _scalar(host: Transport, dsn: str, sql: str) -> tuple[str | None, str]:
    """(value, error): the one value a query returns, or the reason it did not."""
    done = host.run(psql(dsn, sql), check=False)
    if done.returncode != 0:
        return None, _tail(done.stderr, 2) or f"exit {done.returncode}"
    return done.text.strip(), ""


def database_checks(host: Transport, dsn: str, drill: Drill, head: Callable[[str], int]) -> list[Check]:
    """The declared smoke checks on the restored database; at least one table must exist even without any."""
    out: list[Check] = []
    count, err = _scalar(host, dsn, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN "
                                    "('pg_catalog', 'information_schema')")
    out.append(Check("tables restored", bool(count and count != "0"), err or f"{count} table(s)"))
    for table in drill.tables_present:
        found, err = _scalar(host, dsn, f"SELECT to_regclass('{_quoted(table)}') IS NOT NULL")
        out.append(Check(f"table {table} present", found == "t", err or ("present" if found == "t" else "missing")))
    for table, floor in drill.min_rows.items():
        n, err = _scalar(host, dsn, f"SELECT count(*) FROM {_quoted(table)}")
        ok = n is not None and n.isdigit() and int(n) >= floor
        out.append(Check(f"{table} has at least {floor} rows", ok, err or f"{n} rows"))
    age = drill.max_block_age
    if age is not None:
        name = f"max({age.table}.{age.column}) at most {age.blocks} blocks behind {age.network}"
        last, err = _scalar(host, dsn, f'SELECT max("{age.column}") FROM {_quoted(age.table)}')
        if err or not last or not last.lstrip("-").isdigit():
            out.append(Check(name, False, err or "no value"))
        else:
            try:
                tip = head(age.network)
            except Exception as exc:  # noqa: BLE001 - an unreadable head fails the check, never the cleanup
                out.append(Check(name, False, f"chain head unreadable: {exc}"))
            else:
                behind = tip - int(last)
                out.append(Check(name, behind <= age.blocks, f"{last} is {behind} blocks behind head {tip}"))
    return out
