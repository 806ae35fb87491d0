"""Backup file names: the `filename:` template of a backup (`tempovault_{date:%Y%m%d}.sql.gz`) rendered for
one run, and matched against a directory listing so that a backup only ever counts, verifies or deletes its
own files (several backups may share one `destination`).

Dates are UTC: a host's local time zone does not change which file a run writes.
"""

from __future__ import annotations

import datetime as dt
import re
from string import Formatter

# strftime directives → what they can produce. Only these are allowed (validate refuses any other): a code
# like %F, %c or %x would match too much, and a backup owns only the files its exact pattern matches.
_DIRECTIVES = {
    "Y": r"\d{4}", "y": r"\d{2}", "m": r"\d{2}", "d": r"\d{2}", "H": r"\d{2}", "M": r"\d{2}", "S": r"\d{2}",
    "j": r"\d{3}", "s": r"\d+", "f": r"\d{6}", "b": r"[A-Za-z]+", "a": r"[A-Za-z]+", "B": r"[A-Za-z]+",
    "A": r"[A-Za-z]+", "%": "%",
}

PARTIAL_PREFIX = ".tempoctl-partial-"

# The extensions a backup file must end with, per kind: the extension says how it is written and verified.
EXTENSIONS = {"postgres": (".sql.gz", ".dump", ".pgdump"), "files": (".tar.gz", ".tgz")}
# Literal parts of a file name: no shell, crontab or systemd specials, no path separator.
_LITERAL = re.compile(r"[A-Za-z0-9_.+-]*")


def prefix(template: str) -> str:
    """The literal text before the first placeholder: what names a backup's files in a shared destination."""
    return template.split("{", 1)[0]


def template_error(template: str, kind: str) -> str | None:
    """Why `template` cannot name a backup's files exactly, or None (the rest is checked by validate)."""
    exts = EXTENSIONS.get(kind, ())
    for literal, field, spec, conv in Formatter().parse(template):
        if not _LITERAL.fullmatch(literal):
            return "the literal parts of filename may only use letters, digits, _ . + -"
        if field is None:
            continue
        if conv:
            return "filename placeholders take no !conversion"
        spec = spec or ""
        i = 0
        while i < len(spec):
            if spec[i] == "%":
                code = spec[i + 1:i + 2]
                if code not in _DIRECTIVES:
                    return (f"unknown date code %{code} in filename (allowed: "
                            f"{' '.join('%' + c for c in _DIRECTIVES)})")
                i += 2
            elif _LITERAL.fullmatch(spec[i]):
                i += 1
            else:
                return "the {date:…} format may only use date codes and letters, digits, _ . + -"
    if not prefix(template) or not prefix(template)[0].isalnum():
        return ('filename needs a prefix before {date:…} that starts with a letter or digit (e.g. "db_"): '
                "it is what makes a backup's files its own in a shared destination")
    if not template.endswith(exts):
        return f"a {kind} backup's filename must end with {' or '.join(exts)}"
    return None


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
