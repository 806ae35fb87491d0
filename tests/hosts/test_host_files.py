"""Managed whole files (`<host>.file[path]`), locally and over sshd: created with the declared content and
mode, re-written atomically when the content drifts, converged (a second plan is empty); the plan shows the
desired lines and never the live content; paths outside the roots, through a symlink out, with `..` or a
control character are refused."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.hosts.support import write_env
from tests.support.sshd import Sshd

RULES = "groups:\n  - name: tempoctl\n    rules:\n      - alert: BackupStale\n        expr: tempoctl_backup_age_seconds > 93600\n"


@pytest.fixture(params=["local", "ssh"])
def connection(request: pytest.FixtureRequest, sshd: Sshd, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TEMPOCTL_SSH_CONFIG", str(sshd.client_config))
    return "local" if request.param == "local" else sshd.connection


def _env(workspace: Workspace, connection: str, path: Path, content: str, mode: str | None = "0640") -> None:
    spec = {"path": str(path), "content": content, **({"mode": mode} if mode else {})}
    write_env(workspace.root, "h", "hosts:\n  mon:\n    connection: " + connection
              + f"\n    roots: [\"{workspace.root}\"]\n    files:\n      - {json.dumps(spec)}\n")


def _all_text(root: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*")
                     if p.is_file() and "srv" not in p.relative_to(root).parts and "state" not in p.parts)


def test_managed_file_created_updated_and_converged(connection: str, workspace: Workspace) -> None:
    srv = workspace.root / "srv"
    srv.mkdir()
    target = srv / "tempoctl.rules.yml"
    _env(workspace, connection, target, RULES)
    address = f"mon.file[{target}]"

    plan = workspace.run("plan", "h", "--format", "json")
    assert plan.exit_code == 0, plan.output
    [change] = json.loads(plan.output)["changes"]
    assert change["address"] == address and change["action"] == "create"
    text = workspace.run("plan", "h").output
    assert "      | + groups:" in text and "      | +       - alert: BackupStale" in text

    applied = workspace.run("apply", "h", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert target.read_text() == RULES and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert workspace.run("drift", "h").exit_code == 0  # converged

    # Changed by hand: a line edited, a secret-looking line added. The plan marks the lines it adds and
    # counts the ones it removes; it never shows what the host file holds.
    target.write_text(RULES.replace("93600", "1") + "# token=hunter2-live-secret\n")
    drift = workspace.run("drift", "h")
    assert drift.exit_code == 2
    shown = workspace.run("plan", "h")
    assert "2 live line(s) not in it are removed; not shown" in shown.output
    assert "      | +         expr: tempoctl_backup_age_seconds > 93600" in shown.output
    assert "      |   groups:" in shown.output
    assert "hunter2" not in shown.output and "> 1\n" not in shown.output
    saved = workspace.run("plan", "h", "--out", "plans/h.json")
    assert saved.exit_code == 0
    assert "hunter2" not in _all_text(workspace.root)
    assert workspace.run("apply", "plans/h.json", "--auto-approve").exit_code == 0
    assert target.read_text() == RULES
    assert "hunter2" not in _all_text(workspace.root)

    target.chmod(0o600)
    [change] = json.loads(workspace.run("plan", "h", "--format", "json").output)["changes"]
    assert change["before"] == {"mode": "0600"} and change["after"] == {"mode": "0640"}


def test_new_file_without_mode_is_0644(workspace: Workspace) -> None:
    srv = workspace.root / "srv"
    srv.mkdir()
    target = srv / "rules.yml"
    _env(workspace, "local", target, RULES, mode=None)
    assert workspace.run("apply", "h", "--auto-approve").exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_symlink_out_of_the_roots_is_drift_and_never_written(connection: str, workspace: Workspace,
                                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "victim.conf"
    outside.write_text("original\n")
    srv = workspace.root / "srv"
    srv.mkdir()
    link = srv / "rules.yml"
    link.symlink_to(outside)
    _env(workspace, connection, link, RULES)

    drift = workspace.run("drift", "h", "--format", "json")
    assert drift.exit_code == 2, drift.output
    [item] = json.loads(drift.output)["drift"]
    assert item["kind"] == "outside_roots" and "outside the host's roots" in item["actual"]
    assert workspace.run("apply", "h", "--auto-approve").exit_code == 0
    assert outside.read_text() == "original\n" and link.is_symlink()


@pytest.mark.parametrize(("path", "content", "message"), [
    ("/etc/cron.d/evil", "x", "outside"),
    ("srv/../../etc/passwd", "x", "a path may not contain .."),
    ("srv/rules\nyml", "x", "files[0].path: control character U+000A (line feed)"),
    ("srv/rules yml", "x", "a path may only use letters"),
    ("srv/rules.yml", "ok\n\x1b[2Jhidden", "files[0].content: control character U+001B (escape)"),
    ("srv/rules.yml", "ok\u202eevil", "files[0].content: control character U+202E"),
    (".ssh/authorized_keys", "ssh-ed25519 AAAA", "credentials"),
])
def test_validate_refuses_hostile_files(workspace: Workspace, path: str, content: str, message: str) -> None:
    spec = {"path": path, "content": content}
    write_env(workspace.root, "h", "hosts:\n  mon:\n    connection: local\n    files:\n      - "
              + json.dumps(spec) + "\n")
    res = workspace.run("validate", "h")
    assert res.exit_code == 1, res.output
    assert message in res.output, res.output
    assert "state/h/environment.yaml:" in res.output and "Traceback" not in res.output


def test_validate_refuses_world_writable_and_duplicates(workspace: Workspace) -> None:
    write_env(workspace.root, "h", f"""hosts:
  mon:
    connection: local
    env_files:
      srv/app.env: {{values: {{A: "1"}}}}
    files:
      - {{path: srv/a.yml, content: "x", mode: "0666"}}
      - {{path: srv/a.yml, content: "y"}}
      - {{path: srv/app.env, content: "A=2"}}
""")
    res = workspace.run("validate", "h")
    assert res.exit_code == 1
    assert "world-writable" in res.output
    assert "srv/a.yml is already declared at files[0]" in res.output
    assert "is also an env file of this host" in res.output


def test_plan_apply_refuses_content_changed_after_the_plan(workspace: Workspace) -> None:
    srv = workspace.root / "srv"
    srv.mkdir()
    target = srv / "rules.yml"
    _env(workspace, "local", target, RULES)
    assert workspace.run("plan", "h", "--out", "plans/h.json").exit_code == 0
    _env(workspace, "local", target, RULES + "# more\n")
    res = workspace.run("apply", "plans/h.json", "--auto-approve")
    assert res.exit_code != 0
    assert "Saved plan is stale" in res.output and "steps[0].sha256" in res.output
    assert not target.exists()
    assert os.listdir(srv) == []


def test_trusted_base_reads_only_files_the_base_declares_with_that_content(workspace: Workspace) -> None:
    """A PR's guess at a live file's content gets no verdict, and a file only the PR declares is not read."""
    import subprocess

    srv = workspace.root / "srv"
    srv.mkdir()
    target, other = srv / "rules.yml", srv / "other.conf"
    target.write_text("live secret=hunter2\n")
    other.write_text("x\n")
    _env(workspace, "local", target, RULES)

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(workspace.root), "-c", "user.email=t@example.invalid", "-c", "user.name=t",
                        *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "state")
    git("commit", "-qm", "base")
    # The PR: the same path with a guessed content, and a new file.
    write_env(workspace.root, "h", "hosts:\n  mon:\n    connection: local\n"
              f"    roots: [\"{workspace.root}\"]\n    files:\n"
              f"      - {json.dumps({'path': str(target), 'content': 'live secret=hunter2' + chr(10)})}\n"
              f"      - {json.dumps({'path': str(other), 'content': 'y'})}\n")

    res = workspace.run("plan", "--trusted-base", "main", "h", "--format", "json")

    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["changes"] == []
    notes = "\n".join(doc["notes"])
    assert f"mon.file[{target}]: not read: hosts.mon.files[{target}].content differs from main" in notes
    assert f"mon.file[{other}]: not read: hosts.mon.files[{other}] is not declared on main" in notes


def test_a_value_expanded_into_content_is_never_in_the_saved_plan(workspace: Workspace) -> None:
    srv = workspace.root / "srv"
    srv.mkdir()
    target = srv / "alertmanager.yml"
    write_env(workspace.root, "h", f"""variables: {{HOOK_TOKEN: ["hosts.mon.files[0].content"]}}
hosts:
  mon:
    connection: local
    roots: ["{workspace.root}"]
    files:
      - path: {target}
        content: "receivers:\\n  - webhook: https://hooks.example/${{HOOK_TOKEN}}\\n"
""")
    workspace.env["HOOK_TOKEN"] = "tok-9f8e7d6c5b4a39281"
    saved = workspace.run("plan", "h", "--out", "plans/h.json")
    assert saved.exit_code == 0, saved.output
    assert "https://hooks.example/${HOOK_TOKEN}" in saved.output
    assert "tok-9f8e7d6c5b4a39281" not in saved.output
    assert "tok-9f8e7d6c5b4a39281" not in (workspace.root / "plans/h.json").read_text()
    applied = workspace.run("apply", "plans/h.json", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert target.read_text() == "receivers:\n  - webhook: https://hooks.example/tok-9f8e7d6c5b4a39281\n"
    assert workspace.run("drift", "h").exit_code == 0
