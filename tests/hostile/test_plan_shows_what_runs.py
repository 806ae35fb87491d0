"""Issue 12 item 4: the plan shows what will run — the exact crontab block and unit files to be installed,
and the env-file keys a write changes (keys only for sensitive values). Before, the text plan said only
`+ install crontab block …`, so an injected second line was invisible in review."""

from __future__ import annotations

import json
from pathlib import Path

from tempoctl.backup.schedule import find_block
from tests.backups.support import make_world, pg_backup
from tests.conftest import Workspace
from tests.hosts.support import write_env
from tests.support.postgres import Postgres


def test_plan_shows_the_exact_crontab_block_that_apply_installs(tmp_path: Path, postgres: Postgres) -> None:
    world = make_world(tmp_path, postgres)
    world.backups["db"] = pg_backup(world, "tempovault")
    plan = world.run("plan", "bk")
    assert plan.exit_code == 0, plan.output
    shown = [line.split("| ", 1)[1] for line in plan.output.splitlines() if line.strip().startswith("| ")]
    assert shown[0] == "# BEGIN tempoctl backup bk/db (managed by tempoctl: edits here are overwritten)"
    assert shown[-1] == "# END tempoctl backup bk/db"
    assert world.run("apply", "bk", "--auto-approve").exit_code == 0
    crontab = Path(world.env["TEMPOCTL_CRONTAB"]).read_text()
    assert find_block(crontab, "bk/db") == shown[1:-1]  # what was shown is what is installed


def test_plan_shows_the_unit_files_of_a_timer(tmp_path: Path, postgres: Postgres) -> None:
    world = make_world(tmp_path, postgres)
    world.backups["db"] = pg_backup(world, "tempovault", via="systemd-timer", user="postgres")
    world.env["TEMPOCTL_SYSTEMD_UNIT_DIR"] = str(tmp_path / "units")
    out = world.run("plan", "bk").output
    assert "tempoctl-backup-bk-db.service on db-1:" in out and "tempoctl-backup-bk-db.timer on db-1:" in out
    assert "      | User=postgres" in out and "      | OnCalendar=*-*-* 02:00:00" in out
    assert any(line.startswith("      | ExecStart=") and "backup run --on-host" in line for line in out.splitlines())
    doc = json.loads(world.run("plan", "bk", "--format", "json").output)
    [step] = doc["changes"][0]["steps"]
    assert set(step["installs"]) == {"tempoctl-backup-bk-db.service on db-1", "tempoctl-backup-bk-db.timer on db-1"}


def test_env_file_write_names_every_changed_key_and_no_sensitive_value(workspace: Workspace) -> None:
    srv = workspace.root / "srv"
    srv.mkdir()
    (srv / "a.env").write_text("TOKEN=old-secret-value-123456\nLEVEL=info\n")
    write_env(workspace.root, "e", f"""hosts:
  app:
    connection: local
    env_files:
      {srv / "a.env"}:
        values: {{TOKEN: "new-secret-value-654321", LEVEL: debug}}
        public: [LEVEL]
""")
    out = workspace.run("plan", "e").output
    assert "set TOKEN, LEVEL" in out and "TOKEN: (sensitive) changed" in out and "LEVEL: info -> debug" in out
    assert "old-secret-value-123456" not in out and "new-secret-value-654321" not in out
