"""Issue 12, backups under a hostile state file: what reaches a crontab line or a systemd unit is validated
for that syntax, the cron validator reads only ASCII cron, a backup owns only files of its exact pattern,
and a dump that is only framing does not verify."""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path

import pytest

from tempoctl.backup.schedule import cron_line
from tempoctl.backup.store import verify
from tempoctl.backup.timer import render_units
from tempoctl.desired.cron import cron_error
from tempoctl.desired.models import Backup
from tempoctl.observed.host.transport import LocalTransport
from tests.backups.support import make_world, pg_backup
from tests.support.postgres import Postgres

DAY = 86400


def _age(path: Path, days: float) -> None:
    t = time.time() - days * DAY
    os.utime(path, (t, t))


@pytest.mark.parametrize("expr", ["0 2 * *\n*", "0 2 * * *\n* * * * * touch /tmp/x", "０ 2 * * *", "0 ２ * * *",
                                  "*/² * * * *", "0 2 * * 1\r"])
def test_cron_validator_refuses_newlines_and_non_ascii_digits(expr: str) -> None:
    assert cron_error(expr) is not None  # and never raises (`*/²` crashed with ValueError)


def _validate(tmp_path: Path, postgres: Postgres, **over: object) -> str:
    world = make_world(tmp_path, postgres)
    world.backups["db"] = pg_backup(world, "tempovault", **over)
    res = world.run("validate", "bk")
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert "backups.yaml:" in res.output
    return res.output


def test_newline_in_destination_never_reaches_the_crontab(tmp_path: Path, postgres: Postgres) -> None:
    """The reported attack: a newline in `destination` became a second crontab line after merge."""
    out = _validate(tmp_path, postgres, destination=f"{tmp_path}/b\n* * * * * touch {tmp_path}/pwned #")
    assert "destination" in out
    with pytest.raises(ValueError, match="control character"):
        cron_line({"schedule": "0 2 * * *", "command": "x >>'/b\n* * * * * touch /tmp/p' 2>&1"})


def test_newline_in_timer_user_never_reaches_the_unit_file(tmp_path: Path, postgres: Postgres) -> None:
    """The reported attack: `user: "postgres\\nExecStartPre=+/bin/touch …"` was written into the .service."""
    out = _validate(tmp_path, postgres, via="systemd-timer", user="postgres\nExecStartPre=+/bin/touch /tmp/p")
    assert "user" in out
    with pytest.raises(ValueError, match="control character"):
        render_units("bk/db", {"user": "postgres\nExecStartPre=+/bin/touch /tmp/p", "command": "x",
                               "schedule": "*-*-* 02:00:00"})


def test_unit_file_values_escape_systemd_specifiers() -> None:
    service, _ = render_units("bk/db", {"user": "pg", "command": "tempoctl backup run --on-host /srv/a%h$HOME db",
                                        "schedule": "*-*-* 02:00:00"})
    assert "ExecStart=tempoctl backup run --on-host /srv/a%%h$$HOME db" in service


@pytest.mark.parametrize(("field", "value"), [
    ("filename", "{date:%F}.sql.gz"), ("filename", "db_{date:%c}.sql.gz"), ("filename", "db_{date:%x}.sql.gz"),
    ("filename", "{date:%Y%m%d}.sql.gz"), ("filename", "db_{date:%Y%m%d}"), ("filename", "db_{date:%Y%m%d}.txt"),
    ("destination", "/backup/../etc"), ("destination", "/backup/a%b"), ("destination", "/backup/$(id)"),
    ("user", "-oProxyCommand"), ("user", "postgres root"),
])
def test_backup_fields_are_validated_for_their_destination(tmp_path: Path, postgres: Postgres, field: str,
                                                           value: str) -> None:
    _validate(tmp_path, postgres, **{field: value})


def test_two_backups_may_not_share_a_destination_and_prefix(tmp_path: Path, postgres: Postgres) -> None:
    world = make_world(tmp_path, postgres)
    world.backups["a"] = pg_backup(world, "a", filename="db_{date:%Y%m%d}.sql.gz")
    world.backups["b"] = pg_backup(world, "b", filename="db_b_{date:%Y%m%d}.dump")
    res = world.run("validate", "bk")
    assert res.exit_code == 1 and "share destination" in res.output, res.output
    world.backups["b"] = pg_backup(world, "b", filename="other_{date:%Y%m%d}.dump")
    assert world.run("validate", "bk").exit_code == 0


def test_retention_never_deletes_another_backups_file_or_a_readme(tmp_path: Path, postgres: Postgres) -> None:
    """The reported attack: `filename: "{date:%F}"`, `retention_days: 1` in a shared destination deleted the
    other backup's 10-day-old dump and README-restore-procedure.txt. Now refused before anything runs."""
    db = postgres.create_database()
    postgres.execute(db, "create table t (x int)")
    world = make_world(tmp_path, postgres)
    world.backups["main"] = pg_backup(world, db, filename="tempovault_{date:%Y%m%d}.sql.gz", retention_days=30)
    world.backups["evil"] = pg_backup(world, db, filename="{date:%F}", retention_days=1)
    world.dest.mkdir()
    theirs = world.dest / "tempovault_20200101.sql.gz"
    readme = world.dest / "README-restore-procedure.txt"
    theirs.write_bytes(gzip.compress(b"-- PostgreSQL database dump\n"))
    readme.write_text("how to restore\n")
    _age(theirs, 10)
    _age(readme, 400)

    res = world.run("backup", "run", "bk", "evil")

    assert res.exit_code == 1
    assert theirs.exists() and readme.exists()
    assert "unknown date code %F" in res.output


def test_a_dump_of_only_header_and_footer_does_not_verify(tmp_path: Path) -> None:
    fake = tmp_path / "db_20260101.sql.gz"
    fake.write_bytes(gzip.compress(b"-- PostgreSQL database dump\n-- PostgreSQL database dump complete\n"))
    b = Backup(host="h", kind="postgres", database="d", schedule="0 2 * * *", destination=str(tmp_path),
               filename="db_{date:%Y%m%d}.sql.gz", retention_days=1, max_age=60)
    problem = verify(LocalTransport(), b, str(fake))
    assert problem is not None and "no table" in problem


def test_a_custom_dump_without_a_table_does_not_verify(tmp_path: Path, postgres: Postgres) -> None:
    import subprocess

    empty = postgres.create_database()
    dump = tmp_path / "db_20260101.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", f"--dbname={empty}"], check=True,
                   env={**os.environ, **postgres.env()})
    b = Backup(host="h", kind="postgres", database="d", schedule="0 2 * * *", destination=str(tmp_path),
               filename="db_{date:%Y%m%d}.dump", retention_days=1, max_age=60)
    env_before = dict(os.environ)
    os.environ.update(postgres.env())
    try:
        problem = verify(LocalTransport(), b, str(dump))
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    assert problem is not None and "no table" in problem, problem
    json.dumps(problem)


def test_an_environment_folder_name_with_a_newline_never_reaches_the_crontab(tmp_path: Path,
                                                                            postgres: Postgres) -> None:
    """git allows a newline in a folder name; the environment's name is part of the crontab markers."""
    world = make_world(tmp_path, postgres)
    world.name = "bk\n* * * * * touch pwned #"
    world.backups["db"] = pg_backup(world, "tempovault")
    res = world.run("apply", str(world.state_dir), "--auto-approve")
    # Refused by the loader (no control character in any scalar, `environment:` included) before a schedule
    # is even planned; the schedule's own guard (`unsafe_schedule`) stands behind it.
    assert res.exit_code == 1 and "control character U+000A" in res.output, res.output
    crontab = Path(world.env["TEMPOCTL_CRONTAB"])
    assert not crontab.exists() or "touch pwned" not in crontab.read_text()
