"""A backup that declares `drill:` is drift when it never passed a restore drill, when its last passed drill
is older than `drill_every` (default 30 days), or when its last drill failed; `drift --prometheus` writes the
drill series the alert rules use."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

from tests.backups.support import BackupWorld, make_world, pg_backup
from tests.support.postgres import Postgres


def _drift(world: BackupWorld, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    res = world.run("drift", "bk", "--format", "json", *extra)
    assert res.exit_code in (0, 2), res.output
    return res.exit_code, [i for i in json.loads(res.output)["drift"] if i["address"] == "db.drill"]


def _age_drills(world: BackupWorld, days: float) -> None:
    with sqlite3.connect(world.root / ".tempoctl" / "bk.db") as conn:
        for drill_id, finished in conn.execute("SELECT drill_id, finished_at FROM backup_drills").fetchall():
            then = dt.datetime.fromisoformat(finished) - dt.timedelta(days=days)
            conn.execute("UPDATE backup_drills SET finished_at = ? WHERE drill_id = ?",
                         (then.isoformat(timespec="milliseconds"), drill_id))


def _metrics(world: BackupWorld) -> dict[str, float]:
    path = world.root / "drift.prom"
    world.run("drift", "bk", "--prometheus", str(path))
    out = {}
    for line in path.read_text().splitlines():
        if line.startswith("tempoctl_backup_") and "drill" in line:
            series, value = line.rsplit(" ", 1)
            out[series] = float(value)
    return out


def test_overdue_never_run_and_failed_drills_are_drift_and_metrics(tmp_path: Path, postgres: Postgres) -> None:
    db = postgres.create_database()
    postgres.execute(db, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
    world = make_world(tmp_path, postgres)
    world.backups["db"] = pg_backup(world, postgres.url(db), drill={"min_rows": {"t": 1}}, drill_every="7d")
    assert world.run("backup", "run", "bk", "db").exit_code == 0
    assert world.run("apply", "bk", "--auto-approve").exit_code == 0  # the schedule: only drills remain

    code, [item] = _drift(world)
    assert code == 2
    assert item["kind"] == "drill_overdue" and item["actual"] == "never drilled"
    assert item["expected"] == "a passed restore drill within 7d"
    assert "tempoctl backup drill bk db" in item["reason"]
    ts = 'tempoctl_backup_last_drill_timestamp_seconds{environment="bk",backup="db"}'
    ok = 'tempoctl_backup_drill_success{environment="bk",backup="db"}'
    assert _metrics(world) == {ts: 0.0}

    assert world.run("backup", "drill", "bk", "db").exit_code == 0
    assert _drift(world) == (0, [])
    metrics = _metrics(world)
    assert metrics[ok] == 1.0 and abs(metrics[ts] - dt.datetime.now(dt.UTC).timestamp()) < 120

    _age_drills(world, 8)
    code, [item] = _drift(world)
    assert code == 2 and item["kind"] == "drill_overdue"
    assert item["actual"].startswith("last passed drill is 8d old")
    assert _metrics(world)[ts] < dt.datetime.now(dt.UTC).timestamp() - 7 * 86400

    postgres.execute(db, "DELETE FROM t")  # the next backup holds no row: its drill fails
    assert world.run("backup", "run", "bk", "db").exit_code == 0
    assert world.run("backup", "drill", "bk", "db").exit_code == 1
    code, [item] = _drift(world)
    assert code == 2 and item["kind"] == "drill_failed"
    assert "t has at least 1 rows: 0 rows" in item["actual"]
    metrics = _metrics(world)
    assert metrics[ok] == 0.0 and metrics[ts] > 0  # the last *passed* drill is still the aged one


def test_a_backup_without_drill_block_has_no_drill_drift(tmp_path: Path, postgres: Postgres) -> None:
    db = postgres.create_database()
    postgres.execute(db, "CREATE TABLE t (x int)")
    world = make_world(tmp_path, postgres)
    world.backups["db"] = pg_backup(world, postgres.url(db))
    assert world.run("backup", "run", "bk", "db").exit_code == 0
    assert _drift(world) == (2, [])  # the schedule is not installed yet; no drill item
    assert _metrics(world) == {}


def test_drills_recorded_in_a_postgresql_backend(tmp_path: Path, postgres: Postgres) -> None:
    db = postgres.create_database()
    postgres.execute(db, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
    backend_db = postgres.create_database()
    world = make_world(tmp_path, postgres)
    world.extra["backend"] = postgres.url(backend_db)
    world.backups["db"] = pg_backup(world, postgres.url(db), drill={"min_rows": {"t": 1}})
    assert world.run("backup", "run", "bk", "db").exit_code == 0
    assert world.run("apply", "bk", "--auto-approve").exit_code == 0
    assert _drift(world)[1][0]["actual"] == "never drilled"

    assert world.run("backup", "drill", "bk", "db").exit_code == 0

    assert _drift(world) == (0, [])
    rows = postgres.execute(backend_db, "SELECT backup, outcome, cleaned FROM backup_drills")
    assert rows == [("db", "passed", 1)]
    assert not (world.root / ".tempoctl" / "bk.db").exists()
