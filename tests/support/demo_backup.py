"""The backup part of the README demo: a real PostgreSQL server (tests/support/postgres.py) holding a
`tempovault` database with the indexer's progress table, and the folder `state/local/backups.yaml` backs it
up to. The crontab tempoctl manages is a file under .demo/ (TEMPOCTL_CRONTAB), so the demo never edits the
crontab of the user running it."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support.postgres import Postgres, start_postgres

SCHEMA = """CREATE TABLE indexer_state (id INT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  last_indexed_block BIGINT NOT NULL DEFAULT 0, last_indexed_at TIMESTAMP);
INSERT INTO indexer_state VALUES (1, 0, now());
CREATE TABLE deposits (id BIGSERIAL PRIMARY KEY, vault_id TEXT, token TEXT, amount NUMERIC(78,0));
INSERT INTO deposits (vault_id, token, amount) VALUES ('1', '0x20C0000000000000000000000000000000000000', 1000);"""


class DemoDatabase:
    def __init__(self, root: Path, server: Postgres) -> None:
        self.server = server
        self.dir = root / ".demo" / "vault-local"
        self.backups = self.dir / "backup"

    def environ(self) -> dict[str, str]:
        """libpq settings (password only in a PGPASSFILE) and where the demo keeps its crontab and backups."""
        env = self.server.env()
        env.pop("PATH")
        return {**env, "TEMPOCTL_CRONTAB": str(self.dir / "crontab"), "TEMPOCTL_DEMO_DIR": str(self.dir.parent)}

    def age_backups(self, hours: float) -> None:
        """As if the nightly job had not run for `hours`: every backup file's time moves back."""
        t = time.time() - hours * 3600
        for f in self.backups.glob("tempovault_*"):
            os.utime(f, (t, t))


@contextlib.contextmanager
def demo_database(root: Path) -> Iterator[DemoDatabase]:
    with start_postgres() as server:
        if "tempovault" not in {r[0] for r in server.execute("postgres", "SELECT datname FROM pg_database")}:
            server.create_database("tempovault")
        server.execute("tempovault", SCHEMA)
        db = DemoDatabase(root, server)
        db.dir.mkdir(parents=True, exist_ok=True)
        for old in db.backups.glob("tempovault_*"):
            old.unlink()
        (db.dir / "crontab").unlink(missing_ok=True)
        yield db
