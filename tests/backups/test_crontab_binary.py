"""The schedule through the real `crontab` binary (Debian cron), for a declared `user:` other than the
login user: `crontab -u USER -l` / `crontab -u USER -`, with the user's other entries kept.

Uses a throw-away OS user so that parallel test runs never share a crontab (the spool is machine-wide)."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backups.support import make_world, pg_backup
from tests.support.postgres import Postgres


@pytest.fixture
def cron_user() -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.skip("crontab -u for another user needs root (CI and `make test` here run as root)")
    name = f"tcron{secrets.token_hex(4)}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["crontab", "-u", name, "-r"], capture_output=True, check=False)
        subprocess.run(["userdel", name], capture_output=True, check=False)


def test_schedule_is_installed_with_the_real_crontab_binary(tmp_path: Path, postgres: Postgres,
                                                            cron_user: str) -> None:
    subprocess.run(["crontab", "-u", cron_user, "-"], input=b"# theirs\n0 5 * * * /usr/bin/true\n", check=True)
    world = make_world(tmp_path, postgres)
    del world.env["TEMPOCTL_CRONTAB"]
    world.backups["tempovault-db"] = pg_backup(world, "tempovault", user=cron_user)

    applied = world.run("apply", "bk", "--auto-approve")

    assert applied.exit_code == 0, applied.output
    listed = subprocess.run(["crontab", "-u", cron_user, "-l"], capture_output=True, text=True, check=True).stdout
    assert listed.startswith("# theirs\n0 5 * * * /usr/bin/true\n")
    assert "# BEGIN tempoctl backup bk/tempovault-db" in listed and "\n0 2 * * * " in listed
    plan = world.run("plan", "bk", "--detailed-exitcode")
    assert "tempovault-db.schedule" not in plan.output
