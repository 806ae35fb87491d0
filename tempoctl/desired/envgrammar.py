"""What an env-file key and value may be, so that every reader of the file reads back what tempoctl wrote.

An env file is read by at least three parsers that disagree: a shell that sources it (`. ./.env`, where
`$(…)`, backticks and `$VAR` *run or expand*), systemd's `EnvironmentFile=` (src/basic/env-file.c,
`parse_env_file_internal`: backslash escapes in unquoted and double-quoted values, nothing special inside
single quotes) and dotenv libraries (python-dotenv expands `${VAR}`, decodes `\\'` inside single quotes, and
treats ` #` after an unquoted value as a comment). Rather than a quoting scheme that must be right for all
of them, tempoctl restricts values to a character set on which they agree and refuses the rest at validate:

- keys: `[A-Za-z_][A-Za-z0-9_]*` (a newline or `=` in a key would write other keys);
- values: printable ASCII except `"`, `'`, `\\`, `$` and backtick. Values made only of
  `A-Za-z0-9_./:@,+=%-` are written bare; any other value (spaces, `#`, `~`, `;`, `*`, …) is written inside
  single quotes, where none of the three readers interprets anything.
"""

from __future__ import annotations

import re

KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BARE = re.compile(r"[A-Za-z0-9_./:@,+=%-]+")
FORBIDDEN = "\"'\\$`"


def key_error(key: str) -> str | None:
    """Why `key` cannot be an env-file key, or None."""
    if KEY.fullmatch(key):
        return None
    return f"env-file key {key!r} must match [A-Za-z_][A-Za-z0-9_]* (letters, digits and _, not starting with a digit)"


def value_error(value: str, *, show: bool = True) -> str | None:
    """Why `value` cannot be written so that shells, systemd and dotenv all read it back, or None.

    With `show=False` (a secret) the offending character is not named: only its position."""
    for i, c in enumerate(value, 1):
        if " " <= c <= "~" and c not in FORBIDDEN:
            continue
        if not show:
            return (f"character {i} of the value is not allowed in an env file (a quote, backslash, $, backtick, "
                    "control or non-ASCII character); the value is not shown")
        what = repr(c) if " " <= c <= "~" else f"U+{ord(c):04X} (a control or non-ASCII character)"
        return (f"character {i} of the value is {what}: env-file values are printable ASCII without "
                "\" ' \\ $ or ` (shells, systemd's EnvironmentFile and dotenv readers would read them differently, "
                "and $(…) or `…` would run when the file is sourced)")
    return None


def render(value: str) -> str:
    """`value` as written after `KEY=`: bare when every reader takes it literally, else in single quotes.
    The caller has checked `value_error(value)` is None."""
    if value_error(value) is not None:
        raise ValueError("env-file value outside the allowed character set")
    return value if value == "" or _BARE.fullmatch(value) else f"'{value}'"
