"""`${VAR}` / `${VAR:-default}` expansion in scalar strings: the only templating in state files (DESIGN §3).

Rules (shell-like, deliberately small):
- `${NAME}` is the value of NAME; unset is an error at the scalar's position.
- `${NAME:-default}` is NAME's value when it is set and not empty, else `default` (taken literally: no nesting).
- `$${` is a literal `${` (an escape, e.g. for a value that itself holds a template).
- A lone `$` or `$NAME` without braces is left as is. Mapping keys are never expanded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def expand(text: str, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """Return the expanded string and the problems found (operator-facing messages, no values echoed)."""
    if "$" not in text:
        return text, []
    errors: list[str] = []

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
        value = environ.get(name)
        if sep:
            return value if value else default
        if value is None:
            errors.append(f"environment variable {name} is not set and has no default")
            return whole
        return value

    return _TOKEN.sub(sub, text), errors


def references(text: str) -> list[str]:
    """Names of the variables referenced by `text` (for messages about expanded values)."""
    return [m.group(1).partition(":-")[0] for m in _TOKEN.finditer(text) if m.group(1) is not None]
