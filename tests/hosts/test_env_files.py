"""Env files through the CLI, locally and over sshd: declared keys reconciled, comments and other lines kept,
owner and mode kept, secrets compared by keyed HMAC and never shown; `restart:` units restarted once."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.hosts.support import define_units, pid_alive, sleeper, unit, write_env
from tests.support.sshd import Sshd

SECRET = "s3cr3t-Token-value-0123456789"
OLD_SECRET = "old-token-value-9876543210"


@pytest.fixture(params=["local", "ssh"])
def connection(request: pytest.FixtureRequest, sshd: Sshd) -> str:
    return "local" if request.param == "local" else sshd.connection


def _all_text(root: Path) -> str:
    """Everything the runs wrote under the workspace (plans, journal, lock db), as text; not the env files."""
    parts = []
    for p in root.rglob("*"):
        if p.is_file() and not {"state", "srv"} & set(p.relative_to(root).parts):
            parts.append(p.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def test_env_files_reconciled_comments_kept_secret_never_shown(
        units: Path, connection: str, workspace: Workspace) -> None:
    srv = workspace.root / "srv"
    srv.mkdir()
    api_env, worker_env = srv / "api.env", srv / "worker.env"
    api_env.write_text(f"# API settings (managed in part by tempoctl)\nRPC_URL=http://rpc\nPOLL_INTERVAL=5\n"
                       f"API_TOKEN={OLD_SECRET}\n")
    api_env.chmod(0o640)
    worker_env.write_text("# worker\nBATCH=10\n")
    if os.geteuid() == 0:
        os.chown(api_env, 65534, 65534)
    define_units(units, {"api": {"exec": sleeper(), "state": "inactive", "environment_file": str(api_env)}})
    import subprocess

    subprocess.run(["systemctl", "start", "api"], check=True)
    first_pid = unit(units, "api")["pid"]
    write_env(workspace.root, "h", f"""hosts:
  app:
    connection: {connection}
    roots: ["{workspace.root}"]
    services:
      api: {{state: running}}
    env_files:
      {api_env}:
        values:
          POLL_INTERVAL: "2"
          API_TOKEN: {{secret: env:API_TOKEN}}
        public: [POLL_INTERVAL]
        restart: [api]
      {worker_env}:
        values: {{BATCH: "20"}}
        public: [BATCH]
        restart: [api]
""")
    workspace.env["API_TOKEN"] = SECRET

    r = workspace.run("drift", "h")
    assert r.exit_code == 2, r.output
    plan_r = workspace.run("plan", "h", "--out", "plans/h.json")
    assert plan_r.exit_code == 0, plan_r.output
    plan = json.loads((workspace.root / "plans/h.json").read_text())
    by = {c["address"]: c for c in plan["changes"]}
    api_change = by[f"app.env_file[{api_env}]"]
    assert api_change["sensitive"] is True and api_change["sensitive_keys"] == ["API_TOKEN"]
    # One secret in a file masks that setting only: a reviewer still sees the plain ones change.
    text = workspace.run("plan", "h").output
    token_line = next(line for line in text.splitlines() if "API_TOKEN" in line)
    assert token_line.strip().endswith("API_TOKEN: (sensitive) changed") or "API_TOKEN: (sensitive) changed" in token_line
    assert "sha256" not in token_line and SECRET not in text
    poll_line = next(line for line in text.splitlines() if "POLL_INTERVAL" in line)
    assert '"2"' in poll_line and "sensitive" not in poll_line, poll_line
    assert api_change["steps"][0]["set"] == {"POLL_INTERVAL": "2", "API_TOKEN": {"from_env": "API_TOKEN"}}
    assert by[f"app.env_file[{worker_env}]"]["after"] == {"BATCH": "20"}
    restart = by["app.service[api]"]
    assert [s["op"] for s in restart["steps"]] == ["restart"]
    assert sorted(restart["depends_on"]) == sorted([f"app.env_file[{api_env}]", f"app.env_file[{worker_env}]"])

    r = workspace.run("apply", "plans/h.json")
    assert r.exit_code == 0, r.output
    applied = r.output.split("Applying:")[1]
    assert applied.count("app.service[api]: systemctl restart api") == 1  # two files changed, one restart
    [last] = json.loads(workspace.run("history", "h", "--format", "json").stdout)["applies"]
    assert [s["status"] for s in last["steps"] if s["address"] == "app.service[api]"] == ["done"]
    assert "Re-plan after apply: no changes" in r.output
    assert api_env.read_text() == ("# API settings (managed in part by tempoctl)\nRPC_URL=http://rpc\nPOLL_INTERVAL=2\n"
                                   f"API_TOKEN={SECRET}\n")
    assert worker_env.read_text() == "# worker\nBATCH=20\n"
    st = api_env.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (65534, 65534)
    new = unit(units, "api")
    assert new["pid"] != first_pid and pid_alive(new["pid"]) and not pid_alive(first_pid)

    # The secret (new or old) is in no output, plan, journal or other file the runs wrote.
    outputs = [r.output, plan_r.output, workspace.run("drift", "h").output,
               workspace.run("plan", "h", "--format", "json").output, workspace.run("-v", "plan", "h").output]
    assert "systemctl show -p" in outputs[-1]  # -v lists every host command
    for text in [*outputs, _all_text(workspace.root)]:
        assert SECRET not in text and OLD_SECRET not in text


def test_secret_that_is_not_set_is_reported_not_guessed(units: Path, workspace: Workspace) -> None:
    env_file = workspace.root / "app.env"
    env_file.write_text("API_TOKEN=x\n")
    write_env(workspace.root, "h", f"""hosts:
  app:
    connection: local
    env_files:
      {env_file}:
        values: {{API_TOKEN: {{secret: env:API_TOKEN_UNSET}}}}
""")
    doc = json.loads(workspace.run("drift", "h", "--format", "json").stdout)
    (item,) = doc["drift"]
    assert item["kind"] == "unknown" and "API_TOKEN_UNSET is not set" in item["reason"]


def test_new_env_file_is_created_private_with_declared_mode(units: Path, connection: str, workspace: Workspace) -> None:
    target = workspace.root / "new.env"
    write_env(workspace.root, "h", f"""hosts:
  app:
    connection: {connection}
    roots: ["{workspace.root}"]
    env_files:
      {target}:
        values: {{A: "1"}}
        mode: "0640"
""")
    r = workspace.run("apply", "h", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert target.read_text() == "A=1\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    target.chmod(0o644)
    r = workspace.run("drift", "h")
    assert r.exit_code == 2 and '"mode": "0644"' in r.output


def test_a_stopped_unit_is_started_after_its_file_not_restarted(units: Path, workspace: Workspace) -> None:
    env_file = workspace.root / "api.env"
    env_file.write_text("POLL_INTERVAL=5\n")
    define_units(units, {"api": {"exec": sleeper(), "state": "inactive", "environment_file": str(env_file)},
                         "off": {"exec": sleeper(), "state": "inactive"}})
    write_env(workspace.root, "h", f"""hosts:
  app:
    connection: local
    services:
      api: {{state: running}}
      off: {{state: stopped}}
    env_files:
      {env_file}:
        values: {{POLL_INTERVAL: "2"}}
        restart: [api, off]
""")
    plan = json.loads(workspace.run("plan", "h", "--format", "json").stdout)
    by = {c["address"]: c for c in plan["changes"]}
    assert list(by) == [f"app.env_file[{env_file}]", "app.service[api]"]  # `off` is declared stopped: left alone
    assert [s["op"] for s in by["app.service[api]"]["steps"]] == ["start"]
    assert by["app.service[api]"]["depends_on"] == [f"app.env_file[{env_file}]"]
