"""`via: systemd-timer`: a oneshot service and a timer unit written to the unit directory, daemon-reload, and
the timer enabled — through the tests' stand-in `systemctl` (systemd cannot run here). The service's
ExecStart is the same job as the crontab line, and it really takes a backup."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

from tests.backups.support import BackupWorld, make_world, pg_backup
from tests.support.postgres import Postgres
from tests.support.sshd import STAND_IN_BIN

UNIT = "tempoctl-backup-bk-tempovault-db"


def _timer_world(tmp_path: Path, postgres: Postgres) -> tuple[BackupWorld, Path, Path]:
    db = postgres.create_database()
    postgres.execute(db, "create table t (x int)")  # a dump without a table does not verify
    world = make_world(tmp_path, postgres)
    units, state = tmp_path / "units", tmp_path / "systemctl.json"
    units.mkdir()
    # What systemd would know after daemon-reload: the stand-in keeps units in its state file.
    state.write_text(json.dumps({"units": {f"{UNIT}.timer": {"exec": ["true"], "enabled": False,
                                                             "state": "inactive"}}}))
    world.env.update({"TEMPOCTL_SYSTEMD_UNIT_DIR": str(units), "TEMPOCTL_TEST_SYSTEMCTL_STATE": str(state),
                      "PATH": f"{STAND_IN_BIN}:{world.env['PATH']}"})
    world.backups["tempovault-db"] = pg_backup(world, postgres.url(db), via="systemd-timer",
                                               schedule="0 3 * * 1-5")
    return world, units, state


def test_timer_units_are_installed_enabled_and_run_the_job(tmp_path: Path, postgres: Postgres) -> None:
    world, units, state = _timer_world(tmp_path, postgres)

    applied = world.run("apply", "bk", "--auto-approve")

    assert applied.exit_code == 0, applied.output
    timer = (units / f"{UNIT}.timer").read_text()
    service = (units / f"{UNIT}.service").read_text()
    assert "OnCalendar=Mon..Fri *-*-* 03:00:00\n" in timer and "Persistent=true" in timer
    assert "Type=oneshot" in service
    assert json.loads(state.read_text())["units"][f"{UNIT}.timer"]["enabled"] is True
    assert "tempovault-db.schedule" not in world.run("plan", "bk").output
    assert not Path(world.env["TEMPOCTL_CRONTAB"]).exists()  # no crontab involved

    exec_start = next(line for line in service.splitlines() if line.startswith("ExecStart="))
    subprocess.run(shlex.split(exec_start.removeprefix("ExecStart=")), cwd=world.env["HOME"],
                   env={**os.environ, **world.env}, check=True, capture_output=True, timeout=120)
    assert len([p for p in world.dest.iterdir() if p.name.endswith(".sql.gz")]) == 1

    # Disabled by hand: drift shows it, apply enables it again.
    subprocess.run(["systemctl", "disable", f"{UNIT}.timer"], env={**os.environ, **world.env}, check=True)
    drift = world.run("drift", "bk")
    assert drift.exit_code == 2 and "tempovault-db.schedule" in drift.output
    assert world.run("apply", "bk", "--auto-approve").exit_code == 0
    assert json.loads(state.read_text())["units"][f"{UNIT}.timer"]["enabled"] is True


def test_a_schedule_a_timer_cannot_express_is_a_validation_error(tmp_path: Path, postgres: Postgres) -> None:
    world, _, _ = _timer_world(tmp_path, postgres)
    world.backups["tempovault-db"]["schedule"] = "0 2 1 * 1"
    res = world.run("validate", "bk")
    assert res.exit_code == 1
    assert "backups.yaml" in res.output and "via systemd-timer" in res.output
    assert "restrict only one" in res.output
