"""systemd unit names as systemd accepts them (src/basic/unit-name.c, `unit_name_is_valid`).

Checked at validate: a glob (`worker-*`) is refused because `systemctl stop 'worker-*'` acts on every loaded
match and its facts would not belong to one declared unit; a template itself (`worker@.service`) cannot be
started, an instance (`worker@blue.service`) can. Lives in `desired` because validate must not import the
observed stage (tests/test_cli_fast_paths.py).
"""

from __future__ import annotations

import re

UNIT_TYPES = ("service", "socket", "target", "device", "mount", "automount", "swap", "timer", "path", "slice",
              "scope")
_VALID = r"[A-Za-z0-9:_.\\-]"
UNIT_NAME_MAX = 256
_GLOB = set("*?[]!")


def unit_name(name: str) -> str:
    """`tempovault-api` → `tempovault-api.service`, `worker@a` → `worker@a.service` (systemd's default
    suffix, as `systemctl` adds it); a name that already ends in a unit type is kept."""
    return name if unit_type(name) is not None else f"{name}.service"


def unit_type(name: str) -> str | None:
    """The type suffix of a full unit name (`service`, `timer`, …), or None when it has none."""
    _, dot, suffix = name.rpartition(".")
    return suffix if dot and suffix in UNIT_TYPES else None


def unit_name_error(name: str) -> str | None:
    """Why `name` (as written in the YAML) is not one unit systemd would accept, or None.

    A template (`worker@.service`) cannot be started or stopped itself: name an instance
    (`worker@blue.service`). Glob characters are refused (they would act on every matching unit)."""
    if not name:
        return "a unit name cannot be empty"
    glob = sorted(_GLOB & set(name))
    if glob:
        return (f'unit name "{name}" contains glob character(s) {" ".join(glob)}: name each unit '
                "(a pattern would act on every matching unit)")
    if name.startswith("-"):
        return f'unit name "{name}" starts with "-" (it would read as an option)'
    full = unit_name(name)
    if len(full) >= UNIT_NAME_MAX:
        return f'unit name "{name}" is longer than systemd allows ({UNIT_NAME_MAX - 1} characters)'
    stem = full[: full.rindex(".")]
    prefix, at, instance = stem.partition("@")
    bad = sorted({c for c in stem if not re.fullmatch(_VALID, c) and c != "@"})
    if bad or "@" in instance:
        shown = " ".join(repr(c) for c in bad) if bad else "a second '@'"
        return (f'unit name "{name}" contains {shown}; systemd unit names use letters, digits and ":-_.\\" '
                "with at most one \"@\" (template instances: name@instance.service)")
    if not prefix:
        return f'unit name "{name}" has nothing before "@"'
    if at and not instance:
        return (f'"{name}" is a template, which cannot be started or stopped itself: name an instance '
                f"(e.g. {prefix}@blue.{unit_type(full)})")
    return None
