"""`${VAR}` / `${VAR:-default}` expansion in scalar strings: the only templating in state files (DESIGN §3).

Rules (shell-like, deliberately small):
- `${NAME}` is the value of NAME; unset is an error at the scalar's position.
- `${NAME:-default}` is NAME's value when it is set and not empty, else `default` (taken literally: no nesting).
- `$${` is a literal `${` (an escape, e.g. for a value that itself holds a template).
- A lone `$` or `$NAME` without braces is left as is. Mapping keys are never expanded.
- A `policy` (the trusted base, desired/trusted.py) may refuse a variable: a soft refusal takes the default
  without reading the variable (an error when there is none), a hard one is an error even with a default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Refusal:
    """Why a variable may not be read here; `hard`: not even its default is used (it names a secret)."""

    message: str
    hard: bool


Policy = Callable[[str], "Refusal | None"]


def expand(
    text: str, environ: Mapping[str, str], policy: Policy | None = None
) -> tuple[str, list[str], dict[str, str]]:
    """Return the expanded string, the problems found (operator-facing messages, no values echoed) and the
    variables actually read with their values (so callers can keep those values out of every message)."""
    if "$" not in text:
        return text, [], {}
    errors: list[str] = []
    used: dict[str, str] = {}

    def sub(m: re.Match[str]) -> str:
        whole = m.group(0)
        if whole == "$${":
            return "${"
        inner = m.group(1)
        if inner is None:
            errors.append(
                "unterminated ${: expected ${NAME} or ${NAME:-default} (write $${ for a literal ${)"
            )
            return whole
        name, sep, default = inner.partition(":-")
        if not _NAME.match(name):
            errors.append(
                "malformed ${...}: expected ${NAME} or ${NAME:-default} with NAME made of letters, digits "
                "and _ (write $${ for a literal ${)"
            )
            return whole
        refusal = policy(name) if policy is not None else None
        if refusal is not None:
            if sep and not refusal.hard:
                return default
            errors.append(refusal.message)
            return whole
        value = environ.get(name)
        if value:
            used[name] = value
        if sep:
            return value if value else default
        if value is None:
            errors.append(f"environment variable {name} is not set and has no default")
            return whole
        return value

    return _TOKEN.sub(sub, text), errors, used


def references(text: str) -> list[str]:
    """Names of the variables referenced by `text` (for messages about expanded values)."""
    return [m.group(1).partition(":-")[0] for m in _TOKEN.finditer(text) if m.group(1) is not None]
