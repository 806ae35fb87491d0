"""A throw-away environment folder with a `local` host and backups, and a CLI runner whose libpq
environment points at the test PostgreSQL server (the password only in PGPASSFILE)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import Result

from tests.support.postgres import Postgres


@dataclass
class BackupWorld:
    root: Path
    env: dict[str, str]
    backups: dict[str, dict[str, Any]] = field(default_factory=dict)
    hosts: dict[str, dict[str, Any]] = field(default_factory=lambda: {"db-1": {"connection": "local"}})
    extra: dict[str, Any] = field(default_factory=dict)
    name: str = "bk"

    @property
    def state_dir(self) -> Path:
        return self.root / "state" / self.name

    @property
    def dest(self) -> Path:
        return self.root / "backup"

    def write(self) -> Path:
        """State files as JSON (a subset of YAML), one per block, like an operator's folder."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        doc = {"environment": self.name, **self.extra}
        (self.state_dir / "environment.yaml").write_text(json.dumps(doc, indent=2))
        (self.state_dir / "hosts.yaml").write_text(json.dumps({"hosts": self.hosts}, indent=2))
        (self.state_dir / "backups.yaml").write_text(json.dumps({"backups": self.backups}, indent=2))
        return self.state_dir

    def run(self, *args: str) -> Result:
        """Write the state files, then run tempoctl in the world's root like any workspace."""
        from tests.conftest import Workspace

        self.write()
        return Workspace(self.root, self.env).run(*args)


def make_world(tmp_path: Path, postgres: Postgres) -> BackupWorld:
    home = tmp_path / "home"
    home.mkdir()
    env = {**postgres.env(), "HOME": str(home), "TEMPOCTL_CRONTAB": str(home / "crontab"),
           "TEMPOCTL_CRASH_DIR": str(tmp_path / "crash")}
    return BackupWorld(tmp_path, env)


def pg_backup(world: BackupWorld, database: str, **over: Any) -> dict[str, Any]:
    spec = {"host": "db-1", "kind": "postgres", "database": database, "schedule": "0 2 * * *",
            "destination": str(world.dest), "filename": "db_{date:%Y%m%d-%H%M%S}.sql.gz",
            "retention_days": 7, "max_age": "26h"}
    spec.update(over)
    return spec
