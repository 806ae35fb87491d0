"""`tempoctl backup drill ENV NAME` against a real PostgreSQL server and a real anvil head: a real pg_dump
restores into a scratch database and passes its smoke checks; a well-framed but corrupt dump and a dump
missing a declared table fail and are recorded as failed; the scratch database is dropped whatever happens,
and a database the drill did not create is never dropped."""

from __future__ import annotations

import gzip
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.backups.support import BackupWorld, make_world, pg_backup
from tests.support.anvil import Anvil
from tests.support.postgres import Postgres
from tests.support.sshd import Sshd

SCHEMA = ("CREATE TABLE indexer_state (id int primary key, last_indexed_block bigint);"
          "CREATE TABLE vault_events (id serial primary key, kind text);"
          "INSERT INTO vault_events (kind) SELECT 'deposit' FROM generate_series(1, 25)")


def scratch_databases(postgres: Postgres) -> list[str]:
    return [r[0] for r in postgres.execute("postgres", "SELECT datname FROM pg_database WHERE datname LIKE "
                                                       "'tempoctl_drill_%' ORDER BY 1")]


def drills(world: BackupWorld) -> list[dict[str, Any]]:
    with sqlite3.connect(world.root / ".tempoctl" / f"{world.name}.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM backup_drills ORDER BY started_at")]


def _world(tmp_path: Path, postgres: Postgres, db: str, drill: dict[str, Any] | None = None) -> BackupWorld:
    world = make_world(tmp_path, postgres)
    world.backups["db"] = pg_backup(world, postgres.url(db), drill=drill if drill is not None else {})
    return world


def test_drill_restores_a_real_dump_and_passes_its_checks(tmp_path: Path, postgres: Postgres, anvil: Anvil) -> None:
    db = postgres.create_database()
    head = int(str(anvil.rpc("eth_blockNumber")), 16)
    postgres.execute(db, SCHEMA + f";INSERT INTO indexer_state VALUES (1, {max(0, head - 3)})")
    world = _world(tmp_path, postgres, db, {
        "tables_present": ["indexer_state", "public.vault_events"], "min_rows": {"vault_events": 20},
        "max_block_age": {"network": "tempo", "blocks": 10}})
    world.extra["networks"] = {"tempo": {"type": "evm", "chain_id": anvil.chain_id, "rpc_url": anvil.url}}
    assert world.run("backup", "run", "bk", "db").exit_code == 0

    res = world.run("backup", "drill", "bk", "db")

    assert res.exit_code == 0, res.output
    assert "ok   table public.vault_events present" in res.output
    assert "ok   vault_events has at least 20 rows: 25 rows" in res.output
    assert f"blocks behind head" in res.output and "drill passed" in res.output
    assert "dropped scratch database tempoctl_drill_" in res.output
    assert scratch_databases(postgres) == []
    [row] = drills(world)
    assert row["outcome"] == "passed" and row["cleaned"] == 1 and row["scratch_created"] == 1
    assert row["backup_file"].startswith("db_") and row["scratch"].startswith("tempoctl_drill_")
    # The source database is untouched by the drill.
    assert postgres.execute(db, "SELECT count(*) FROM vault_events") == [(25,)]


def _good_dump(world: BackupWorld) -> bytes:
    assert world.run("backup", "run", "bk", "db").exit_code == 0
    [dump] = [p for p in world.dest.iterdir() if p.name.endswith(".sql.gz")]
    sql = gzip.decompress(dump.read_bytes())
    dump.unlink()
    return sql


def _plant(world: BackupWorld, sql: bytes) -> Path:
    """A dump file of this backup, newer than any other, with `sql` as its content (gzip-valid)."""
    path = world.dest / "db_29991231-235959.sql.gz"
    path.write_bytes(gzip.compress(sql))
    return path


def test_a_well_framed_dump_with_a_garbage_middle_fails_its_drill(tmp_path: Path, postgres: Postgres) -> None:
    db = postgres.create_database()
    postgres.execute(db, SCHEMA)
    world = _world(tmp_path, postgres, db, {"tables_present": ["vault_events"]})
    sql = _good_dump(world)
    start = sql.index(b"COPY public.vault_events")
    body = sql[:start] + b"COPY public.vault_events (id, kind) FROM stdin;\n1\tdeposit\n\x8f\x02secret-row-value\n" \
        + b"\\.\n" + sql[sql.index(b"-- PostgreSQL database dump complete") - 40:]
    _plant(world, body)
    assert world.run("drift", "bk", "--format", "json").exit_code in (0, 2)  # verify counts it as good

    res = world.run("backup", "drill", "bk", "db")

    assert res.exit_code == 1, res.output
    assert "the dump did not restore" in res.output and "drill FAILED" in res.output
    assert "secret-row-value" not in res.output  # PostgreSQL quotes the bad value: it is not shown
    assert scratch_databases(postgres) == []
    [row] = drills(world)
    assert row["outcome"] == "failed" and row["cleaned"] == 1 and "did not restore" in row["detail"]
    assert "secret-row-value" not in row["detail"]


def test_a_dump_missing_a_declared_table_fails_its_drill(tmp_path: Path, postgres: Postgres) -> None:
    db = postgres.create_database()
    postgres.execute(db, "CREATE TABLE vault_events (id int); INSERT INTO vault_events VALUES (1)")
    world = _world(tmp_path, postgres, db, {"tables_present": ["indexer_state", "vault_events"]})
    assert world.run("backup", "run", "bk", "db").exit_code == 0  # a complete, verified dump of the wrong thing

    res = world.run("backup", "drill", "bk", "db")

    assert res.exit_code == 1, res.output
    assert "FAIL table indexer_state present: missing" in res.output
    assert "ok   table vault_events present" in res.output
    assert scratch_databases(postgres) == []
    assert drills(world)[-1]["outcome"] == "failed"


def test_a_dump_cannot_run_psql_meta_commands(tmp_path: Path, postgres: Postgres) -> None:
    """psql runs the dump behind \\restrict with a key the dump cannot know: `\\!` (a shell) and `\\connect`
    (another database) are refused, and the drill fails."""
    db = postgres.create_database()
    postgres.execute(db, SCHEMA)
    world = _world(tmp_path, postgres, db)
    sql = _good_dump(world)
    flag = tmp_path / "pwned"
    at = sql.index(b"CREATE TABLE")
    _plant(world, sql[:at] + f"\\! touch {flag}\n\\connect postgres\n".encode() + sql[at:])

    res = world.run("backup", "drill", "bk", "db")

    assert res.exit_code == 1, res.output
    assert not flag.exists()
    assert "did not restore" in res.output
    assert scratch_databases(postgres) == []


def test_a_database_the_drill_did_not_create_is_never_dropped(tmp_path: Path, postgres: Postgres,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The scratch name is random; force it onto an existing database holding data: CREATE DATABASE fails,
    the drill fails, and that database keeps its data (not dropped, not restored into)."""
    db = postgres.create_database()
    postgres.execute(db, SCHEMA)
    world = _world(tmp_path, postgres, db)
    assert world.run("backup", "run", "bk", "db").exit_code == 0
    theirs = postgres.create_database("tempoctl_drill_00000000abcd")
    postgres.execute(theirs, "CREATE TABLE precious (x int); INSERT INTO precious VALUES (7)")
    monkeypatch.setattr("tempoctl.backup.drill.secrets.token_hex", lambda n: "00000000abcd")
    try:
        _never_dropped(world, postgres, theirs, monkeypatch)
    finally:
        postgres.execute("postgres", f"DROP DATABASE IF EXISTS {theirs}")


def _never_dropped(world: BackupWorld, postgres: Postgres, theirs: str, monkeypatch: pytest.MonkeyPatch) -> None:
    res = world.run("backup", "drill", "bk", "db")

    assert res.exit_code == 1, res.output
    assert "cannot create scratch database tempoctl_drill_00000000abcd (left untouched)" in res.output
    assert postgres.execute(theirs, "SELECT x FROM precious") == [(7,)]
    assert postgres.execute(theirs, "SELECT to_regclass('vault_events') IS NULL") == [(True,)]
    [row] = drills(world)
    assert row["outcome"] == "failed" and row["scratch_created"] == 0 and row["cleaned"] == 0

    # A later drill's sweep does not touch it either: no row claims it as created.
    monkeypatch.undo()
    assert world.run("backup", "drill", "bk", "db").exit_code == 0
    assert postgres.execute(theirs, "SELECT x FROM precious") == [(7,)]


def test_drop_refuses_a_scratch_named_database_without_this_drills_stamp(postgres: Postgres) -> None:
    from tempoctl.backup.scratch import drop_database
    from tempoctl.observed.host.transport import LocalTransport

    name = postgres.create_database("tempoctl_drill_0000000000ee")
    host = LocalTransport(environ={**os.environ, **postgres.env()})  # psql reads the libpq settings
    said = drop_database(host, postgres.url(name), name, "0000000000ee")
    assert said == f"not dropping {name}: it does not carry this drill's comment"
    assert name in scratch_databases(postgres)
    postgres.execute("postgres", f"DROP DATABASE {name}")


def _sleeping_dump(world: BackupWorld) -> Path:
    """A good backup, then a newer well-formed dump whose restore sleeps in the middle (a slow restore)."""
    assert world.run("backup", "run", "bk", "db").exit_code == 0
    [dump] = [p for p in world.dest.iterdir() if p.name.endswith(".sql.gz")]
    sql = gzip.decompress(dump.read_bytes())
    at = sql.index(b"CREATE TABLE")
    return _plant(world, sql[:at] + b"SELECT pg_sleep(60);\n" + sql[at:])


def _start_drill(world: BackupWorld, postgres: Postgres) -> subprocess.Popen[bytes]:
    import sys

    world.write()
    proc = subprocess.Popen([sys.executable, "-m", "tempoctl", "backup", "drill", "bk", "db"], cwd=world.root,
                            env={**os.environ, **world.env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until the restore is running inside the scratch database
        busy = postgres.execute("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE "
                                            "'tempoctl_drill_%' AND query LIKE '%pg_sleep%'")
        if busy[0][0]:
            return proc
        assert proc.poll() is None, proc.communicate()[0]
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the drill never reached its restore")


def test_a_drill_killed_mid_restore_still_drops_its_scratch_database(tmp_path: Path, postgres: Postgres) -> None:
    db = postgres.create_database()
    postgres.execute(db, SCHEMA)
    world = _world(tmp_path, postgres, db)
    _sleeping_dump(world)
    proc = _start_drill(world, postgres)
    assert len(scratch_databases(postgres)) == 1

    proc.send_signal(signal.SIGTERM)
    out = proc.communicate(timeout=30)[0].decode()

    assert proc.returncode == 1, out
    assert "drill interrupted by signal 15; its scratch copy was removed" in out and "Traceback" not in out
    assert scratch_databases(postgres) == []
    [row] = drills(world)
    assert row["outcome"] == "failed" and row["cleaned"] == 1 and row["detail"].startswith("interrupted")


def test_the_next_drill_removes_what_a_sigkilled_drill_left(tmp_path: Path, postgres: Postgres) -> None:
    db = postgres.create_database()
    postgres.execute(db, SCHEMA)
    world = _world(tmp_path, postgres, db)
    slow = _sleeping_dump(world)
    proc = _start_drill(world, postgres)
    proc.kill()  # SIGKILL: no cleanup can run in that process
    proc.wait(timeout=10)
    [left] = scratch_databases(postgres)
    slow.unlink()  # the next drill restores the good backup

    res = world.run("backup", "drill", "bk", "db")

    assert res.exit_code == 0, res.output
    assert f"earlier drill: dropped scratch database {left}" in res.output
    assert scratch_databases(postgres) == []
    first, second = drills(world)
    assert first["outcome"] == "failed" and first["cleaned"] == 1 and "interrupted" in first["detail"]
    assert second["outcome"] == "passed"


def test_postgres_drill_over_ssh(tmp_path: Path, postgres: Postgres, sshd: Sshd) -> None:
    """The host's own psql restores and checks, through the one ssh connection of the run."""
    db = postgres.create_database()
    postgres.execute(db, SCHEMA)
    world = make_world(tmp_path, postgres)
    world.env["TEMPOCTL_SSH_CONFIG"] = str(sshd.client_config)
    world.hosts["db-1"] = {"connection": sshd.connection, "roots": [str(tmp_path)]}
    url = f"postgresql://{postgres.superuser}@/{db}?host={postgres.socket_dir}&port={postgres.port}"
    world.backups["db"] = pg_backup(world, url, drill={"min_rows": {"vault_events": 25}})
    assert world.run("backup", "run", "bk", "db").exit_code == 0
    logins = sshd.accepted_logins()

    res = world.run("backup", "drill", "bk", "db")

    assert res.exit_code == 0, res.output
    assert "ok   vault_events has at least 25 rows: 25 rows" in res.output
    assert sshd.accepted_logins() == logins + 1
    assert scratch_databases(postgres) == []


def test_a_drill_that_still_runs_is_not_swept(tmp_path: Path) -> None:
    """Leftovers are only those of drills that are over: this process's own open row is not one; a row of a
    process that is gone is; so is a row older than a day (its process cannot be seen from here)."""
    from tempoctl.backend.sqlite import SqliteBackend

    with SqliteBackend(tmp_path / "b.db") as be:
        be.drill_begin("e", "db", "aaaaaaaaaaaa", "f", "tempoctl_drill_aaaaaaaaaaaa")
        be.drill_created("aaaaaaaaaaaa", "tempoctl_drill_aaaaaaaaaaaa")
        assert be.drill_leftovers("e", "db") == []  # this very process: still running
        be._exec("UPDATE backup_drills SET pid = 999999999")  # a pid that cannot exist
        assert [r["drill_id"] for r in be.drill_leftovers("e", "db")] == ["aaaaaaaaaaaa"]
        be._exec("UPDATE backup_drills SET pid = ?, host = 'elsewhere'", (os.getpid(),))
        assert be.drill_leftovers("e", "db") == []
        assert [r["drill_id"] for r in be.drill_leftovers("e", "db", stale_after=-1)] == ["aaaaaaaaaaaa"]
