"""Backups through plan, apply and drift on a real PostgreSQL server and a real crontab file: the schedule is
a managed block (other entries untouched), and drift reports the age of the newest *verified* backup."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import time
from pathlib import Path

from tests.backups.support import BackupWorld, make_world, pg_backup
from tests.support.postgres import Postgres

HOUR = 3600
OTHER_ENTRIES = "MAILTO=ops@example.org\n# rotate logs\n15 4 * * * /usr/sbin/logrotate /etc/logrotate.conf\n"


def _age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def _world(tmp_path: Path, postgres: Postgres) -> tuple[BackupWorld, str]:
    db = postgres.create_database()
    postgres.execute(db, "create table t (x int); insert into t values (1)")
    world = make_world(tmp_path, postgres)
    world.backups["tempovault-db"] = pg_backup(world, postgres.url(db), max_age="26h")
    return world, db


def _drift(world: BackupWorld) -> tuple[int, list[dict[str, object]]]:
    res = world.run("drift", "bk", "--format", "json")
    assert res.exit_code in (0, 2), res.output
    return res.exit_code, json.loads(res.output)["drift"]


def test_apply_installs_the_schedule_block_and_keeps_other_entries(tmp_path: Path, postgres: Postgres) -> None:
    world, _ = _world(tmp_path, postgres)
    crontab = Path(world.env["TEMPOCTL_CRONTAB"])
    crontab.write_text(OTHER_ENTRIES)

    plan = world.run("plan", "bk")
    assert plan.exit_code == 0, plan.output
    assert "tempovault-db.schedule" in plan.output
    applied = world.run("apply", "bk", "--auto-approve")
    assert applied.exit_code == 0, applied.output

    text = crontab.read_text()
    assert text.startswith(OTHER_ENTRIES)
    block = text[len(OTHER_ENTRIES):].splitlines()
    assert block[0].startswith("# BEGIN tempoctl backup bk/tempovault-db")
    assert block[1].startswith("0 2 * * * ") and "backup run --on-host" in block[1]
    assert block[2] == "# END tempoctl backup bk/tempovault-db"

    # The schedule changes in YAML: only the block changes, in place.
    world.backups["tempovault-db"]["schedule"] = "30 3 * * *"
    again = world.run("apply", "bk", "--auto-approve")
    assert again.exit_code == 0, again.output
    lines = crontab.read_text().splitlines()
    assert crontab.read_text().startswith(OTHER_ENTRIES)
    assert sum(1 for line in lines if line.startswith("# BEGIN tempoctl")) == 1
    assert any(line.startswith("30 3 * * * ") for line in lines)
    assert "tempovault-db.schedule" not in world.run("plan", "bk").output


def test_the_installed_cron_line_takes_a_backup(tmp_path: Path, postgres: Postgres) -> None:
    world, _ = _world(tmp_path, postgres)
    assert world.run("apply", "bk", "--auto-approve").exit_code == 0
    line = next(x for x in Path(world.env["TEMPOCTL_CRONTAB"]).read_text().splitlines() if x.startswith("0 2 "))
    command = line.split(None, 5)[5]
    # As cron would: /bin/sh -c, from the user's home, with the host's libpq environment.
    subprocess.run(["/bin/sh", "-c", command], cwd=world.env["HOME"], env={**os.environ, **world.env},
                   check=True, timeout=120)
    dumps = [p for p in world.dest.iterdir() if p.name.endswith(".sql.gz")]
    assert len(dumps) == 1
    assert "wrote" in (world.dest / ".tempoctl-tempovault-db.log").read_text()


def test_drift_reports_a_stale_backup_with_exit_2(tmp_path: Path, postgres: Postgres) -> None:
    world, _ = _world(tmp_path, postgres)
    assert world.run("apply", "bk", "--auto-approve").exit_code == 0
    code, items = _drift(world)
    assert code == 2
    assert [(i["address"], i["kind"]) for i in items] == [("tempovault-db.freshness", "no_verified_backup")]

    assert world.run("backup", "run", "bk", "tempovault-db").exit_code == 0
    assert _drift(world) == (0, [])

    [dump] = [p for p in world.dest.iterdir() if p.name.endswith(".sql.gz")]
    _age(dump, 27 * HOUR)
    code, items = _drift(world)
    assert code == 2
    [item] = items
    assert item["address"] == "tempovault-db.freshness" and item["kind"] == "stale_backup"
    assert item["corrected_by_apply"] is False
    assert "27h" in str(item["actual"]) and dump.name in str(item["actual"])
    assert "tempoctl backup run bk tempovault-db" in str(item["reason"])
    text = world.run("drift", "bk")
    assert text.exit_code == 2 and "tempovault-db.freshness" in text.output

    # A saved plan does not go stale because the backup aged (freshness is evidence, not plan input).
    world.backups["tempovault-db"]["schedule"] = "5 1 * * *"
    assert world.run("plan", "bk", "--out", "plans/p.json").exit_code == 0
    _age(dump, 28 * HOUR)
    applied = world.run("apply", "plans/p.json")
    assert applied.exit_code == 0, applied.output


def test_a_corrupt_newest_file_is_not_counted(tmp_path: Path, postgres: Postgres) -> None:
    world, _ = _world(tmp_path, postgres)
    assert world.run("apply", "bk", "--auto-approve").exit_code == 0
    assert world.run("backup", "run", "bk", "tempovault-db").exit_code == 0
    [good] = [p for p in world.dest.iterdir() if p.name.endswith(".sql.gz")]
    _age(good, 30 * HOUR)
    # A newer file that a full disk truncated, and one that is gzip-valid but not a complete dump.
    truncated = world.dest / "db_29990101-000000.sql.gz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    incomplete = world.dest / "db_29990102-000000.sql.gz"
    incomplete.write_bytes(gzip.compress(b"--\n-- PostgreSQL database dump\n--\nCOPY public.t (x) FROM stdin;\n"))

    code, items = _drift(world)

    assert code == 2
    [item] = items
    assert item["kind"] == "stale_backup" and good.name in str(item["actual"])
    assert "2 newer file(s) failed verification" in str(item["reason"])
    fresh = _freshness(world)
    assert fresh["newest"] == good.name
    assert {f["file"]: f["problem"] for f in fresh["failed_verification"]} == {
        incomplete.name: "dump is incomplete (no completion footer)",
        truncated.name: "gzip -t failed (truncated or corrupt)",
    }

    # Only corrupt files left: nothing counts.
    good.unlink()
    code, items = _drift(world)
    assert code == 2 and items[0]["kind"] == "no_verified_backup"


def test_retention_never_deletes_the_newest_good_backup(tmp_path: Path, postgres: Postgres) -> None:
    world, _ = _world(tmp_path, postgres)
    world.backups["tempovault-db"]["retention_days"] = 1
    assert world.run("backup", "run", "bk", "tempovault-db").exit_code == 0
    [good] = [p for p in world.dest.iterdir() if p.name.endswith(".sql.gz")]
    _age(good, 10 * 24 * HOUR)
    world.backups["tempovault-db"]["database"] = "no_such_database"
    assert world.run("backup", "run", "bk", "tempovault-db").exit_code == 1
    assert good.exists()  # expired, but still the newest good backup


def _freshness(world: BackupWorld) -> dict[str, object]:
    """The observed value itself (what the metrics read), with the world's environment in place."""
    from unittest import mock

    from tempoctl.desired import load_environment
    from tempoctl.observed.sources import observe

    old = os.getcwd()
    os.chdir(world.root)  # as tempoctl runs: from the repository root (the base of a `local` host's roots)
    try:
        with mock.patch.dict(os.environ, world.env):
            obs = observe(load_environment(world.state_dir))
    finally:
        os.chdir(old)
    value: dict[str, object] = obs.observed.values["tempovault-db.freshness"]
    assert isinstance(value["age_seconds"], int) and value["age_seconds"] >= 30 * HOUR
    return value


def test_a_backup_taken_off_the_yaml_loses_its_block(tmp_path: Path, postgres: Postgres) -> None:
    world, _ = _world(tmp_path, postgres)
    world.backups["artifacts"] = {
        "host": "db-1", "kind": "files", "paths": ["dist/"], "schedule": "30 2 * * *",
        "destination": str(world.dest), "filename": "artifacts-{date:%Y%m%d-%H%M%S}.tgz",
        "retention_days": 90, "max_age": "26h"}
    crontab = Path(world.env["TEMPOCTL_CRONTAB"])
    crontab.write_text(OTHER_ENTRIES)
    assert world.run("apply", "bk", "--auto-approve").exit_code == 0
    assert crontab.read_text().count("# BEGIN tempoctl backup bk/") == 2

    del world.backups["artifacts"]
    plan = world.run("plan", "bk", "--format", "json")
    [change] = json.loads(plan.output)["changes"]
    assert (change["address"], change["action"], change["reason"]) == ("artifacts.schedule", "delete", "not declared")
    assert world.run("apply", "bk", "--auto-approve").exit_code == 0

    text = crontab.read_text()
    assert text.startswith(OTHER_ENTRIES)
    assert "bk/artifacts" not in text and "# BEGIN tempoctl backup bk/tempovault-db" in text
    assert world.run("plan", "bk", "--format", "json").output.count('"address": "artifacts.schedule"') == 0


def test_the_database_password_never_leaves_the_passfile(tmp_path: Path, postgres: Postgres) -> None:
    world, _ = _world(tmp_path, postgres)
    password = postgres.passwords[postgres.superuser]
    outputs = [world.run(*args).output for args in (
        ("plan", "bk", "--format", "json", "--out", "plans/p.json"), ("apply", "plans/p.json"),
        ("backup", "run", "bk", "tempovault-db"), ("drift", "bk", "--format", "json"), ("-v", "drift", "bk"))]
    world.backups["tempovault-db"]["database"] = postgres.url("no_such_db")
    outputs.append(world.run("-v", "backup", "run", "bk", "tempovault-db").output)  # a failure's message too
    # Everything tempoctl wrote under the workspace (saved plan, backend/journal, crontab), dumps aside.
    written = [p.read_bytes() for p in world.root.rglob("*") if p.is_file() and p.parent != world.dest]
    assert "wrote" in outputs[2] and len(written) >= 5
    for blob in [*(o.encode() for o in outputs), *written]:
        assert password.encode() not in blob
