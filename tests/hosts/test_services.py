"""Services through the CLI, locally and over a real sshd: drift (exit 2), plan, apply (wait until active,
journal lines on failure), single_instance, and convergence (a second plan is empty)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.hosts.support import define_units, pid_alive, sleeper, unit, write_env
from tests.support.sshd import Sshd


@pytest.fixture(params=["local", "ssh"])
def connection(request: pytest.FixtureRequest, sshd: Sshd) -> str:
    return "local" if request.param == "local" else sshd.connection


def test_stopped_service_is_drift_and_apply_starts_it(units: Path, connection: str, workspace: Workspace) -> None:
    define_units(units, {"api": {"exec": sleeper(), "enabled": False, "state": "inactive"},
                         "worker": {"exec": sleeper(), "enabled": True, "state": "inactive"}})
    subprocess.run(["systemctl", "start", "worker"], check=True)
    write_env(workspace.root, "h", f"""hosts:
  app:
    connection: {connection}
    services:
      api: {{state: running, enabled: true}}
      worker: {{state: stopped}}
""")
    r = workspace.run("drift", "h")
    assert r.exit_code == 2, r.output
    assert 'app.service[api]: declared {"enabled": true, "state": "running"}, live {"enabled": false, "state": "stopped"}' in r.output
    assert "app.service[worker]" in r.output

    plan = json.loads(workspace.run("plan", "h", "--format", "json").stdout)
    api = next(c for c in plan["changes"] if c["address"] == "app.service[api]")
    assert [s["op"] for s in api["steps"]] == ["enable", "start"]
    assert api["reason"].startswith("state/h/environment.yaml:")

    r = workspace.run("apply", "h", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert "Re-plan after apply: no changes" in r.output
    api_unit = unit(units, "api")
    assert api_unit["state"] == "active" and api_unit["enabled"] and pid_alive(api_unit["pid"])
    assert unit(units, "worker")["state"] == "inactive"
    assert workspace.run("drift", "h").exit_code == 0


def test_a_unit_that_fails_stops_apply_with_its_journal(units: Path, connection: str, workspace: Workspace) -> None:
    define_units(units, {"indexer": {"exec": ["sh", "-c", "echo 'FATAL: INDEXER_DB_URL is not set' >&2; exit 1"],
                                     "log": str(units.parent / "indexer.log"), "state": "inactive"}})
    (units.parent / "indexer.log").write_text("")
    write_env(workspace.root, "h", f"hosts:\n  app:\n    connection: {connection}\n    services:\n      indexer: {{}}\n")
    r = workspace.run("apply", "h", "--auto-approve")
    assert r.exit_code == 3, r.output
    assert "app.service[indexer]: indexer.service failed on app after systemctl start indexer" in r.output
    assert "FATAL: INDEXER_DB_URL is not set" in r.output
    assert "done: app.service[indexer]" not in r.output  # started, never active: not done


def test_single_instance_second_process_is_drift_and_never_started(units: Path, workspace: Workspace) -> None:
    cmd = sleeper()
    define_units(units, {"indexer": {"exec": cmd, "state": "inactive"}})
    stray = subprocess.Popen(cmd)  # started by hand, outside the unit
    try:
        write_env(workspace.root, "h", "hosts:\n  app:\n    connection: local\n    services:\n"
                                       "      indexer: {state: running, single_instance: true}\n")
        plan = json.loads(workspace.run("plan", "h", "--format", "json").stdout)
        (change,) = plan["changes"]
        assert "apply refuses to start another" in change["note"]
        r = workspace.run("apply", "h", "--auto-approve")
        assert r.exit_code == 1, r.output
        assert "refusing to start indexer.service: 1 process(es) already run its command" in r.output
        assert unit(units, "indexer")["state"] == "inactive"

        second = subprocess.Popen(cmd)
        try:
            r = workspace.run("drift", "h")
            assert r.exit_code == 2
            assert "app.service[indexer]: declared 1, live 2 (single_instance; reported only)" in r.output
            doc = json.loads(workspace.run("drift", "h", "--format", "json").stdout)
            assert "2 processes run indexer's command" in next(d["reason"] for d in doc["drift"] if d["kind"] == "single_instance")
        finally:
            second.kill()
            second.wait()
    finally:
        stray.kill()
        stray.wait()


def test_one_ssh_connection_for_a_whole_apply(units: Path, sshd: Sshd, workspace: Workspace) -> None:
    define_units(units, {f"svc{i}": {"exec": sleeper(), "state": "inactive"} for i in range(4)})
    services = "".join(f"      svc{i}: {{state: running}}\n" for i in range(4))
    write_env(workspace.root, "h", f"hosts:\n  app:\n    connection: {sshd.connection}\n    services:\n{services}")
    before = sshd.accepted_logins()
    r = workspace.run("apply", "h", "--auto-approve")
    assert r.exit_code == 0, r.output
    # plan + 4 starts + 4 waits + the re-plan: one authenticated connection.
    assert sshd.accepted_logins() - before == 1
