"""`tempoctl backup run ENV NAME` against a real PostgreSQL server: the dump restores, retention removes only
expired files of this backup, and a failed run leaves every previous backup in place."""

from __future__ import annotations

import gzip
import os
import subprocess
import tarfile
import time
from pathlib import Path

from tests.backups.support import make_world, pg_backup
from tests.support.postgres import Postgres

DAY = 86400


def _age(path: Path, days: float) -> None:
    t = time.time() - days * DAY
    os.utime(path, (t, t))


def test_postgres_backup_is_a_restorable_verified_dump(tmp_path: Path, postgres: Postgres) -> None:
    db = postgres.create_database()
    postgres.execute(db, "create table indexer_state (id int primary key, last_indexed_block bigint);"
                         "insert into indexer_state values (1, 4242)")
    world = make_world(tmp_path, postgres)
    world.backups["db"] = pg_backup(world, postgres.url(db))  # URL without password: libpq reads PGPASSFILE

    res = world.run("backup", "run", "bk", "db")

    assert res.exit_code == 0, res.output
    files = sorted(world.dest.iterdir())
    assert len(files) == 1 and files[0].name.startswith("db_") and files[0].name.endswith(".sql.gz")
    assert f"wrote {files[0]}" in res.output and "verified" in res.output
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"
    # Restore into a fresh database: the backup is a real, complete dump.
    restored = postgres.create_database()
    sql = gzip.decompress(files[0].read_bytes())
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", restored], input=sql, check=True,
                   capture_output=True, env={**os.environ, **postgres.env()})
    assert postgres.execute(restored, "select last_indexed_block from indexer_state") == [(4242,)]


def test_bare_database_name_uses_libpq_environment_and_custom_format(tmp_path: Path, postgres: Postgres) -> None:
    db = postgres.create_database()
    postgres.execute(db, "create table t (x int)")
    world = make_world(tmp_path, postgres)
    world.backups["db"] = pg_backup(world, db, filename="db_{date:%Y%m%d%H%M%S}.dump")

    res = world.run("backup", "run", "bk", "db")

    assert res.exit_code == 0, res.output
    [dump] = list(world.dest.iterdir())
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True,
                             env={**os.environ, **postgres.env()})
    assert "TABLE public t" in listing.stdout


def test_retention_removes_only_expired_files_of_this_backup(tmp_path: Path, postgres: Postgres) -> None:
    db = postgres.create_database()
    postgres.execute(db, "create table t (x int)")  # a dump without a table does not verify
    world = make_world(tmp_path, postgres)
    world.backups["db"] = pg_backup(world, db, retention_days=7)
    world.dest.mkdir()
    expired_one = world.dest / "db_20200101-020000.sql.gz"
    kept_one = world.dest / "db_20200102-020000.sql.gz"
    foreign = world.dest / "other_20200101.sql.gz"  # another backup's file in the same destination
    for f, days in ((expired_one, 8), (kept_one, 6), (foreign, 30)):
        f.write_bytes(gzip.compress(b"-- PostgreSQL database dump\n"))
        _age(f, days)

    res = world.run("backup", "run", "bk", "db")

    assert res.exit_code == 0, res.output
    names = {p.name for p in world.dest.iterdir()}
    assert expired_one.name not in names
    assert {kept_one.name, foreign.name} <= names
    assert len(names) == 3
    assert "retention (7 days) removed db_20200101-020000.sql.gz" in res.output


def test_failed_dump_exits_1_and_keeps_every_previous_backup(tmp_path: Path, postgres: Postgres) -> None:
    world = make_world(tmp_path, postgres)
    world.backups["db"] = pg_backup(world, "no_such_database", retention_days=1)
    world.dest.mkdir()
    old = world.dest / "db_20200101-020000.sql.gz"
    old.write_bytes(gzip.compress(b"-- PostgreSQL database dump\n"))
    _age(old, 400)  # long expired, but the newest good backup is never deleted by a failed run

    res = world.run("backup", "run", "bk", "db")

    assert res.exit_code == 1
    assert "pg_dump failed" in res.output and "previous backups are untouched" in res.output
    assert 'database "no_such_database" does not exist' in res.output
    assert [p.name for p in world.dest.iterdir()] == [old.name]
    assert "Traceback" not in res.output


def test_files_backup_is_a_tarball_of_the_declared_paths(tmp_path: Path, postgres: Postgres) -> None:
    world = make_world(tmp_path, postgres)
    home = Path(world.env["HOME"])
    (home / "deployments").mkdir()
    (home / "deployments" / "tempo.json").write_text('{"vault": "0x1"}')
    (home / "dist").mkdir()
    (home / "dist" / "app.js").write_text("x")
    world.backups["artifacts"] = {
        "host": "db-1", "kind": "files", "paths": ["deployments/", "dist/"], "schedule": "30 2 * * *",
        "destination": str(world.dest), "filename": "artifacts-{date:%Y%m%d-%H%M%S}.tgz",
        "retention_days": 90, "max_age": "26h"}

    res = world.run("backup", "run", "bk", "artifacts")

    assert res.exit_code == 0, res.output
    [archive] = list(world.dest.iterdir())
    with tarfile.open(archive) as tar:
        assert {"deployments/tempo.json", "dist/app.js"} <= set(tar.getnames())


def test_unknown_backup_name_suggests_the_declared_one(tmp_path: Path, postgres: Postgres) -> None:
    world = make_world(tmp_path, postgres)
    world.backups["tempovault-db"] = pg_backup(world, "x")
    res = world.run("backup", "run", "bk", "tempovault-bd")
    assert res.exit_code == 1
    assert 'no backup "tempovault-bd"' in res.output and 'Did you mean "tempovault-db"?' in res.output


def test_a_relative_destination_is_refused_offline(tmp_path: Path, postgres: Postgres) -> None:
    world = make_world(tmp_path, postgres)
    world.backups["db"] = pg_backup(world, "x", destination="backup")
    res = world.run("validate", "bk")
    assert res.exit_code == 1
    assert "state/bk/backups.yaml:" in res.output and "destination must be an absolute path" in res.output
