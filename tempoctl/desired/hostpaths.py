"""Syntax rules for the host-facing text of state files: URLs handed to curl, paths read or written on a
host, and the values that end up in a crontab line or a systemd unit file.

State files arrive through pull requests and `plan`/`drift` run on their content, so every value that reaches
a command, a crontab or a unit file is checked here for that destination's syntax before anything runs
(issue 12). The checks are pure so `tempoctl validate` reports them offline with file:line:col.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Control characters (C0, DEL, C1) and the Unicode line/paragraph separators: none may reach a crontab
# line, a unit file, a command line or a URL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def has_control(text: str) -> bool:
    return bool(_CONTROL.search(text))


def url_error(url: str) -> str | None:
    """Why `url` may not be fetched by an `http` check, or None.

    Only `http`/`https` with a host: curl speaks many other protocols (gopher, dict, file, telnet…) that
    turn a check into raw writes to any local listener or a file read, and a URL that starts with `-` would
    be read as an option (`-K./evil.curlrc`)."""
    if has_control(url) or any(ch.isspace() for ch in url):
        return "a URL may not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"not a URL: {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return "only http:// and https:// URLs can be checked"
    if not parts.hostname:
        return "the URL has no host"
    if parts.username is not None or parts.password is not None:
        return "credentials never go in a check URL"
    return None


# POSIX portable user names (useradd's default rule): what `User=` and `crontab -u` may receive.
USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
# Path characters that read the same in a shell word, a crontab line and a systemd unit file.
_PATH_CHARS = re.compile(r"[A-Za-z0-9_./@+,:=~-]+")


def path_error(path: str) -> str | None:
    """Why `path` cannot be used on a host, or None: only characters that a crontab line, a systemd unit
    and a shell read back the same (no `%`, `$`, quotes, spaces or control characters), no `..`, and no
    leading `-` (it would read as an option)."""
    if not path:
        return "a path may not be empty"
    if not _PATH_CHARS.fullmatch(path):
        return "a path may only use letters, digits and _ . / @ + , : = ~ - (no spaces, %, $, quotes or control characters)"
    if path.startswith("-"):
        return "a path may not start with -"
    if ".." in path.split("/"):
        return "a path may not contain .. (it must stay inside its root)"
    return None
