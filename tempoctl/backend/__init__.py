"""Where tempoctl keeps what the chain does not: apply locks, the apply journal, the record of managed keys,
cursors and the audit log of every apply, for all environments, keyed by environment name.

`backend:` in environment.yaml picks the flavour: `sqlite:///PATH` (default: `.tempoctl/<env>.db`, one file
per environment; PATH relative to the working directory, `sqlite:////abs/path` absolute) or `postgresql://user@host:port/db` for teams and CI (password
from libpq's PGPASSFILE/PGPASSWORD, never the URL). Both share one schema, migrated on first use.
"""

from __future__ import annotations

import re
from pathlib import Path

from tempoctl.backend.base import Backend, BackendError, parse_duration
from tempoctl.backend.holder import LockHolder
from tempoctl.errors import ConfigError

__all__ = ["Backend", "BackendError", "LockHolder", "backend_exists", "default_backend", "open_backend",
           "parse_duration", "sqlite_path"]

DEFAULT = "sqlite:///.tempoctl/state.db"  # the shared default before issue 17; rows move out (backend/adopt.py)


def sqlite_path(spec: str, cwd: Path | None = None) -> Path:
    """The file of a `sqlite:///` spec: relative to `cwd` (default: the working directory)."""
    return Path(cwd or Path.cwd()) / spec[len("sqlite:///"):]


def default_backend(environment: str) -> str:
    """An environment's backend when it declares none: its own SQLite file (formerly one shared DEFAULT)."""
    return f"sqlite:///.tempoctl/{environment}.db" if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", environment) \
        and environment != "state" else DEFAULT


def backend_exists(spec: str, cwd: Path | None = None) -> bool:
    """Whether opening `spec` finds something: a server, an existing SQLite file, or rows this environment
    left in the formerly shared `.tempoctl/state.db` (moved into its own file on first open)."""
    spec = spec.strip() or DEFAULT
    if not spec.startswith("sqlite:///"):
        return True
    path = sqlite_path(spec, cwd)
    if path.exists():
        return True
    from tempoctl.backend.adopt import legacy_rows, own_default

    env = own_default(spec)
    return env is not None and legacy_rows(path, env)


def open_backend(spec: str, cwd: Path | None = None) -> Backend:
    """Open (and on first use, create and migrate) the backend named by `spec`."""
    spec = spec.strip() or DEFAULT
    if spec.startswith("sqlite:///") and len(spec) > len("sqlite:///"):
        from tempoctl.backend.adopt import adopt, own_default
        from tempoctl.backend.sqlite import SqliteBackend

        path = sqlite_path(spec, cwd)
        env = own_default(spec)
        if env is not None and not path.exists():
            adopt(path, env)
        return SqliteBackend(path)
    if spec.startswith(("postgresql://", "postgres://")):
        from tempoctl.backend.postgres import PostgresBackend

        return PostgresBackend(spec)
    raise ConfigError(f"backend {spec.split('@')[-1]!r} is not supported",
                      hint="Use sqlite:///PATH or postgresql://user@host/db (password from PGPASSFILE).")
