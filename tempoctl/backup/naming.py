"""Backup file names: the `filename:` template of a backup (`tempovault_{date:%Y%m%d}.sql.gz`) rendered for
one run, and matched against a directory listing so that a backup only ever counts, verifies or deletes its
own files (several backups may share one `destination`).

Dates are UTC: a host's local time zone does not change which file a run writes.
"""

from __future__ import annotations

import datetime as dt
import re
from string import Formatter

# The allowed strftime codes and the file-name rules live with validate (tempoctl.desired.hostpaths), so
# `tempoctl validate` refuses what this module could not match exactly without loading backup code.
from tempoctl.desired.hostpaths import DIRECTIVES as _DIRECTIVES

PARTIAL_PREFIX = ".tempoctl-partial-"


def render(template: str, when: dt.datetime) -> str:
    """The file name of a backup taken at `when` (converted to UTC)."""
    return template.format(date=when.astimezone(dt.UTC))


def pattern(template: str) -> re.Pattern[str]:
    """A regex matching every file name `template` can render (and nothing of another template's)."""
    out = []
    for literal, field, spec, _ in Formatter().parse(template):
        out.append(re.escape(literal))
        if field is None:
            continue
        spec = spec or ""
        i = 0
        while i < len(spec):
            if spec[i] == "%" and i + 1 < len(spec):
                out.append(_DIRECTIVES.get(spec[i + 1], r"[^/]+?"))
                i += 2
            else:
                out.append(re.escape(spec[i]))
                i += 1
    return re.compile("^" + "".join(out) + "$")


def dump_format(kind: str, filename: str) -> str:
    """How a backup is written and verified, from its kind and file name suffix:

    * ``sql.gz`` — Postgres plain SQL, gzip-compressed (`pg_dump --compress`); checked with `gzip -t` and the
      dump's header and completion footer.
    * ``custom`` — Postgres custom format (`.dump`/`.pgdump`, compressed by pg_dump); checked with
      `pg_restore --list`, which parses the whole table of contents.
    * ``tar.gz`` — files kind; checked with `gzip -t` and `tar -tzf` (a full parse of the archive).
    """
    if kind == "files":
        return "tar.gz"
    if filename.endswith((".dump", ".pgdump")):
        return "custom"
    return "sql.gz"
