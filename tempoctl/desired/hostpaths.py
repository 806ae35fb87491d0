"""Syntax rules for the host-facing text of state files: URLs handed to curl, paths read or written on a
host, and the values that end up in a crontab line or a systemd unit file.

State files arrive through pull requests and `plan`/`drift` run on their content, so every value that reaches
a command, a crontab or a unit file is checked here for that destination's syntax before anything runs
(issue 12). The checks are pure so `tempoctl validate` reports them offline with file:line:col.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Sequence
from string import Formatter
from urllib.parse import urlsplit

from tempoctl.safetext import find_control


def has_control(text: str) -> bool:
    """Whether `text` holds a control character (safetext's one definition: C0, DEL, C1, line/paragraph
    separators, bidi controls): none may reach a crontab line, a unit file, a command line or a URL."""
    return find_control(text) is not None


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


# --- roots (see tempoctl.observed.host.roots for the checks made on the host) ------------------------------

DEFAULT_ROOTS: tuple[str, ...] = ("~", "/srv", "/opt", "/backup", "/var/backups")
CREDENTIAL_NAMES = frozenset({".git", ".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".tempoctl",
                              ".netrc", ".pgpass", ".git-credentials"})


def host_roots(connection: str, declared: Sequence[str] | None) -> list[str]:
    """The host's roots, base first: `.` (the working directory) for local, `~` for ssh. A local host's
    defaults leave out `~`: the home of whoever runs tempoctl (a CI runner) holds its credentials."""
    base = "." if connection == "local" else "~"
    if declared:
        roots = list(declared)
    else:
        roots = [r for r in DEFAULT_ROOTS if not (connection == "local" and r == "~")]
    return [base, *[r for r in roots if r != base]]


def root_error(root: str) -> str | None:
    """Why `root` cannot be declared, or None."""
    problem = path_error(root)
    if problem:
        return problem
    if not (root.startswith(("/", "~/")) or root == "~"):
        return "a root is an absolute directory, or ~ / ~/DIR for the connection user's home"
    if posixpath.normpath(root) == "/":
        return "/ is not a root: name the directories tempoctl may touch"
    if credential_part(root):
        return f"{credential_part(root)} holds credentials and can never be a root"
    return None


def credential_part(path: str) -> str | None:
    return next((p for p in path.split("/") if p in CREDENTIAL_NAMES), None)


def _static_home(connection: str) -> str | None:
    if connection == "local":
        return os.path.realpath(os.path.expanduser("~"))
    if not connection.startswith("ssh://"):
        return None
    user = connection[len("ssh://"):].split("@")[0] if "@" in connection else ""
    if not user:
        return None
    return "/root" if user == "root" else f"/home/{user}"


def under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def static_path_error(path: str, connection: str, declared: Sequence[str] | None, cwd: str | None) -> str | None:
    """What `validate` can say about a host path offline (the host re-checks the resolved path)."""
    problem = path_error(path)
    if problem:
        return problem
    cred = credential_part(posixpath.normpath(path))
    if cred:
        return f"{cred} holds credentials: tempoctl never reads or writes there"
    if not path.startswith("/"):
        return None  # relative: resolves against the base, checked on the host after symlinks
    norm = posixpath.normpath(path)
    home = _static_home(connection)
    for root in host_roots(connection, declared):
        if root == "." and cwd is not None and under(norm, cwd):
            return None
        if root == "~" and (home is None or under(norm, home)):
            return None  # a user-less ssh URL's home is known only on the host: checked there
        if root.startswith("~/") and home is not None and under(norm, home + root[1:]):
            return None
        if root.startswith("/") and under(norm, posixpath.normpath(root)):
            return None
    roots = ", ".join(host_roots(connection, declared))
    return (f"{path} is outside the host's roots ({roots}); declare its directory under hosts.<host>.roots "
            "if tempoctl may touch it")


# --- descriptors: written here, inside the repository ------------------------------------------------------


def descriptor_error(path: str) -> str | None:
    """Why a deployment descriptor path may not be written, or None: it is relative to the repository root
    (where tempoctl runs), stays inside it and ends in .json."""
    problem = path_error(path)
    if problem:
        return problem
    if path.startswith(("/", "~")):
        return "a descriptor path is relative to the repository root (e.g. deployments/testnet.json)"
    cred = credential_part(posixpath.normpath(path))
    if cred:
        return f"{cred} holds credentials: tempoctl never writes there"
    if not path.endswith(".json"):
        return "a descriptor is a .json file"
    return None


# --- backup file names (used by tempoctl.backup.naming; here so validate loads no backup code) -----------

# strftime directives → what they can produce. Only these are allowed (validate refuses any other): a code
# like %F, %c or %x would match too much, and a backup owns only the files its exact pattern matches.
DIRECTIVES = {
    "Y": r"\d{4}", "y": r"\d{2}", "m": r"\d{2}", "d": r"\d{2}", "H": r"\d{2}", "M": r"\d{2}", "S": r"\d{2}",
    "j": r"\d{3}", "s": r"\d+", "f": r"\d{6}", "b": r"[A-Za-z]+", "a": r"[A-Za-z]+", "B": r"[A-Za-z]+",
    "A": r"[A-Za-z]+",
}

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
                if code not in DIRECTIVES:
                    return (f"unknown date code %{code} in filename (allowed: "
                            f"{' '.join('%' + c for c in DIRECTIVES)})")
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


# --- check databases: credentials go only to declared servers -------------------------------------------------

# libpq's default server, on this machine: the one database a check may reach without a `databases:` entry.
DEFAULT_DATABASES = frozenset({("localhost", 5432), ("127.0.0.1", 5432), ("::1", 5432)})
# URL query parameters a check's database URL may carry; any other (hostaddr, passfile, service, options…)
# could send the connection, or the password, somewhere the host and port do not say.
_DSN_PARAMS = frozenset({"sslmode", "application_name", "connect_timeout", "target_session_attrs"})


def dsn_targets(dsn: str) -> list[tuple[str, int]] | str:
    """The (host, port) pairs a database URL connects to, or why it is refused. A bare name has none here
    (libpq takes PGHOST/PGPORT from the operator's environment, not from the state file)."""
    from urllib.parse import parse_qsl

    if has_control(dsn) or any(ch.isspace() for ch in dsn):
        return "a database may not contain spaces or control characters"
    if "://" not in dsn:
        if "=" in dsn:
            return "give a postgresql:// URL or a bare database name, not a key=value connection string"
        return []
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgresql", "postgres"):
        return "expected a postgresql:// URL"
    for key, _ in parse_qsl(parts.query, keep_blank_values=True):
        if key not in _DSN_PARAMS:
            return f"the URL parameter {key}= is not allowed here (allowed: {', '.join(sorted(_DSN_PARAMS))})"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if not netloc:
        return []  # host from PGHOST: the operator's environment
    out: list[tuple[str, int]] = []
    for item in netloc.split(","):  # libpq tries every listed host in turn
        host, port = item, "5432"
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else "5432"
        elif ":" in item:
            host, port = item.rsplit(":", 1)
        if not port.isascii() or not port.isdigit():
            return f"bad port in {item!r}"
        out.append((host.lower(), int(port)))
    return out


def dsn_error(dsn: str, declared: set[tuple[str, int]]) -> str | None:
    """Why a check may not connect to `dsn`, or None: every host:port it names must be declared."""
    targets = dsn_targets(dsn)
    if isinstance(targets, str):
        return targets
    for host, port in targets:
        if (host, port) not in declared and (host, port) not in DEFAULT_DATABASES:
            return (f"database server {host}:{port} is not declared: add it under `databases:` with its host and "
                    "port (credentials are sent only to declared servers)")
    return None
