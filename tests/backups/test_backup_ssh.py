"""A backup whose host is reached over ssh (a real sshd on 127.0.0.1): `backup run` dumps on the host with
the host's own pg_dump, drift verifies there, and the schedule block is written there — all through one ssh
connection per run."""

from __future__ import annotations

import json
from pathlib import Path

from tests.backups.support import make_world, pg_backup
from tests.support.postgres import Postgres
from tests.support.sshd import Sshd


def test_backup_run_and_drift_over_ssh(tmp_path: Path, postgres: Postgres, sshd: Sshd) -> None:
    db = postgres.create_database()
    postgres.execute(db, "create table t (x int)")
    world = make_world(tmp_path, postgres)
    world.env["TEMPOCTL_SSH_CONFIG"] = str(sshd.client_config)
    world.hosts["db-1"] = {"connection": sshd.connection, "roots": [str(tmp_path)]}
    # The ssh session has none of our PG* variables: the URL names the server's socket dir (trust for local
    # connections there), as a host's own libpq settings would.
    url = f"postgresql://{postgres.superuser}@/{db}?host={postgres.socket_dir}&port={postgres.port}"
    world.backups["tempovault-db"] = pg_backup(world, url)
    logins = sshd.accepted_logins()

    res = world.run("backup", "run", "bk", "tempovault-db")

    assert res.exit_code == 0, res.output
    assert len([p for p in world.dest.iterdir() if p.name.endswith(".sql.gz")]) == 1
    assert sshd.accepted_logins() == logins + 1  # mkdir, pg_dump, verify, mv, list: one connection

    applied = world.run("apply", "bk", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    line = next(x for x in Path(world.env["TEMPOCTL_CRONTAB"]).read_text().splitlines() if x.startswith("0 2 "))
    assert "tempoctl backup run --on-host bk tempovault-db" in line  # the host's tempoctl, ~/state/bk

    drift = world.run("drift", "bk", "--format", "json")
    assert drift.exit_code == 0, drift.output
    assert json.loads(drift.output)["drift"] == []
