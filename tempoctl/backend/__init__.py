"""Where tempoctl keeps what the chain does not: apply locks, the apply journal, the record of managed keys,
cursors and the audit log of every apply, for all environments, keyed by environment name.

`backend:` in environment.yaml picks the flavour: `sqlite:///PATH` (default; PATH relative to the working
directory, `sqlite:////abs/path` absolute) or `postgresql://user@host:port/db` for teams and CI (password
from libpq's PGPASSFILE/PGPASSWORD, never the URL). Both share one schema, migrated on first use.
"""

from __future__ import annotations

from pathlib import Path

from tempoctl.backend.base import Backend, BackendError, parse_duration
from tempoctl.backend.holder import LockHolder
from tempoctl.errors import ConfigError

__all__ = ["Backend", "BackendError", "LockHolder", "open_backend", "parse_duration", "sqlite_path"]

DEFAULT = "sqlite:///.tempoctl/state.db"


def sqlite_path(spec: str, cwd: Path | None = None) -> Path:
    """The file of a `sqlite:///` spec: relative to `cwd` (default: the working directory)."""
    return Path(cwd or Path.cwd()) / spec[len("sqlite:///"):]


def open_backend(spec: str, cwd: Path | None = None) -> Backend:
    """Open (and on first use, create and migrate) the backend named by `spec`."""
    spec = spec.strip() or DEFAULT
    if spec.startswith("sqlite:///") and len(spec) > len("sqlite:///"):
        from tempoctl.backend.sqlite import SqliteBackend

        return SqliteBackend(sqlite_path(spec, cwd))
    if spec.startswith(("postgresql://", "postgres://")):
        from tempoctl.backend.postgres import PostgresBackend

        return PostgresBackend(spec)
    raise ConfigError(f"backend {spec.split('@')[-1]!r} is not supported",
                      hint="Use sqlite:///PATH or postgresql://user@host/db (password from PGPASSFILE).")
