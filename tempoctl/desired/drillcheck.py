"""Validation of a backup's `drill:` block: what reaches a SQL query or a path inside a restored archive.

Table and column names are spliced into the smoke-check queries (quoted, but a name that needs quoting in the
first place is refused so the YAML reads the same as the query), and archive paths are looked up inside the
drill's temp directory, so they must be relative and stay inside it.
"""

from __future__ import annotations

import re

from tempoctl.desired.hostpaths import path_error
from tempoctl.desired.models import Backup

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
TABLE = re.compile(rf"(?:{IDENTIFIER.pattern}\.)?{IDENTIFIER.pattern}")

Problem = tuple[tuple[str | int, ...], str]


def _relative(path: str) -> str | None:
    if path.startswith(("/", "~")):
        return "an archive path is relative to the restored archive's root (no leading / or ~)"
    return path_error(path)


def drill_problems(b: Backup) -> list[Problem]:
    """(key path below the backup, message) for everything wrong in `b.drill`."""
    d = b.drill
    if d is None:
        return []
    out: list[Problem] = []
    table_msg = "not a table name: letters, digits and _ (optionally schema.table), starting with a letter or _"
    for i, t in enumerate(d.tables_present):
        if not TABLE.fullmatch(t):
            out.append((("drill", "tables_present", i), table_msg))
    for t, floor in d.min_rows.items():
        if not TABLE.fullmatch(t):
            out.append((("drill", "min_rows", t), table_msg))
        if floor < 0:
            out.append((("drill", "min_rows", t), "a row floor is 0 or more"))
    if d.max_block_age is not None:
        if not TABLE.fullmatch(d.max_block_age.table):
            out.append((("drill", "max_block_age", "table"), table_msg))
        if not IDENTIFIER.fullmatch(d.max_block_age.column):
            out.append((("drill", "max_block_age", "column"), "not a column name: letters, digits and _"))
    sql = bool(d.tables_present or d.min_rows or d.max_block_age)
    files = bool(d.files_present or d.descriptors or d.checksums)
    if b.kind == "files" and sql:
        out.append((("drill",), ("tables_present, min_rows and max_block_age check a restored database: "
                                "this backup is kind files")))
    if b.kind == "postgres" and files:
        out.append((("drill",), ("files_present, descriptors and checksums check a restored archive: this "
                                "backup is kind postgres")))
    for key in ("files_present", "descriptors", "checksums"):
        for i, p in enumerate(getattr(d, key)):
            problem = _relative(p)
            if problem:
                out.append((("drill", key, i), problem))
    return out
