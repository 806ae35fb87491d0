"""systemd states as systemd reports them (issue 12), end to end through the CLI with the stand-in systemctl:
masked, static, enabled-runtime, oneshot, crash loops, template instances, unknown values; and `--` before
every unit on the command lines tempoctl runs. Each test failed on the code before this change."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.hosts.support import define_units, pid_alive, sleeper, unit, write_env
from tests.support.sshd import Sshd


@pytest.fixture(params=["local", "ssh"])
def connection(request: pytest.FixtureRequest, sshd: Sshd) -> str:
    return "local" if request.param == "local" else sshd.connection


def _hosts(workspace: Workspace, connection: str, services: str) -> None:
    write_env(workspace.root, "h", f"hosts:\n  app:\n    connection: {connection}\n    services:\n{services}")


def _plan(workspace: Workspace) -> dict[str, object]:
    r = workspace.run("plan", "h", "--format", "json")
    assert r.exit_code == 0, r.output
    doc: dict[str, object] = json.loads(r.stdout)
    return doc


def test_a_masked_unit_is_drift_not_a_start_that_can_only_fail(units: Path, connection: str,
                                                                workspace: Workspace) -> None:
    define_units(units, {"api": {"exec": sleeper(), "load": "masked", "state": "inactive"}})
    _hosts(workspace, connection, "      api: {state: running, enabled: true}\n")
    doc = _plan(workspace)
    assert doc["changes"] == []
    (item,) = doc["drift"]  # type: ignore[misc]
    assert item["kind"] == "masked" and "tempoctl does not unmask units" in item["message"]
    r = workspace.run("apply", "h", "--auto-approve")
    assert r.exit_code == 0 and "systemctl start" not in r.output, r.output
    assert workspace.run("drift", "h").exit_code == 2


def test_bad_setting_and_maintenance_are_reported_not_started(units: Path, workspace: Workspace) -> None:
    define_units(units, {"bad": {"exec": sleeper(), "load": "bad-setting", "state": "inactive"},
                         "busy": {"exec": sleeper(), "state": "inactive", "show": {"ActiveState": "maintenance",
                                                                                   "SubState": "cleaning"}}})
    _hosts(workspace, "local", "      bad: {}\n      busy: {}\n")
    doc = _plan(workspace)
    assert doc["changes"] == []
    assert sorted(d["kind"] for d in doc["drift"]) == ["broken", "maintenance"]  # type: ignore[union-attr]


def test_static_unit_with_enabled_is_not_a_change_on_every_plan(units: Path, workspace: Workspace) -> None:
    define_units(units, {"api": {"exec": sleeper(), "unit_file_state": "static", "state": "inactive"}})
    subprocess.run(["systemctl", "start", "--", "api"], check=True)
    _hosts(workspace, "local", "      api: {state: running, enabled: true}\n")
    doc = _plan(workspace)
    assert doc["changes"] == [], doc
    assert any("`enabled:` does not apply" in n and "UnitFileState=static" in n for n in doc["notes"])  # type: ignore[union-attr]
    assert workspace.run("drift", "h").exit_code == 0


def test_enabled_runtime_is_not_persistently_enabled(units: Path, connection: str, workspace: Workspace) -> None:
    define_units(units, {"api": {"exec": sleeper(), "enabled": "runtime", "state": "inactive"},
                         "off": {"exec": sleeper(), "enabled": "runtime", "state": "inactive"}})
    _hosts(workspace, connection, "      api: {state: stopped, enabled: true}\n      off: {state: stopped, enabled: false}\n")
    doc = _plan(workspace)
    by = {c["address"]: c for c in doc["changes"]}  # type: ignore[union-attr]
    assert [s["op"] for s in by["app.service[api]"]["steps"]] == ["enable"]
    assert by["app.service[api]"]["before"] == {"enabled": "runtime"}
    assert [s["op"] for s in by["app.service[off]"]["steps"]] == ["disable-runtime"]
    r = workspace.run("apply", "h", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert "Re-plan after apply: no changes" in r.output
    assert unit(units, "api")["enabled"] is True and unit(units, "off")["enabled"] is False


def test_a_oneshot_that_ran_is_done_not_a_60s_wait(units: Path, connection: str, workspace: Workspace) -> None:
    marker = units.parent / "migrated"
    marker.unlink(missing_ok=True)
    define_units(units, {"migrate": {"exec": ["touch", str(marker)], "type": "oneshot", "state": "inactive"}})
    _hosts(workspace, connection, "      migrate: {state: running}\n")
    t0 = time.monotonic()
    r = workspace.run("apply", "h", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert time.monotonic() - t0 < 20  # the old wait gave up after 60 s
    assert marker.exists() and "ran, exited 0 (oneshot)" in r.output
    assert "Re-plan after apply: no changes" in r.output
    assert unit(units, "migrate")["state"] == "inactive"


def test_a_failing_oneshot_stops_apply_with_its_journal(units: Path, workspace: Workspace) -> None:
    log = units.parent / "mig.log"
    log.write_text("")
    define_units(units, {"migrate": {"exec": ["sh", "-c", "echo 'migration 7 failed' >&2; exit 1"], "type": "oneshot",
                                     "state": "inactive", "log": str(log)}})
    _hosts(workspace, "local", "      migrate: {state: running}\n")
    r = workspace.run("apply", "h", "--auto-approve")
    assert r.exit_code == 1, r.output  # the first step failed: nothing was done
    assert "migration 7 failed" in r.output and "did not start" in r.output


def test_a_crash_looping_unit_is_not_accepted_on_one_active_sample(units: Path, connection: str,
                                                                   workspace: Workspace) -> None:
    define_units(units, {"flappy": {"exec": ["sh", "-c", "sleep 0.4; exit 1"], "restart": "always",
                                    "state": "inactive"}})
    _hosts(workspace, connection, "      flappy: {state: running, settle: 2s}\n")
    r = workspace.run("apply", "h", "--auto-approve")
    assert r.exit_code == 3, r.output
    assert "flappy.service restarted while settling" in r.output, r.output
    assert re.search(r"NRestarts \d+ -> \d+\)", r.output), r.output
    assert "done: app.service[flappy]" not in r.output


def test_a_stable_unit_is_up_after_its_settle_period(units: Path, workspace: Workspace) -> None:
    define_units(units, {"api": {"exec": sleeper(), "restart": "always", "state": "inactive"}})
    _hosts(workspace, "local", "      api: {state: running, settle: 1s}\n")
    t0 = time.monotonic()
    r = workspace.run("apply", "h", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert time.monotonic() - t0 >= 1.0 and "stable for 1s" in r.output


def test_template_instances_are_managed_by_name(units: Path, connection: str, workspace: Workspace) -> None:
    define_units(units, {"worker@.service": {"exec": ["sh", "-c", "exec " + " ".join(sleeper()), "%i"],
                                             "state": "inactive"}})
    _hosts(workspace, connection, "      worker@blue: {state: running}\n      worker@green.service: {state: stopped}\n")
    doc = _plan(workspace)
    (change,) = doc["changes"]  # type: ignore[misc]
    assert change["address"] == "app.service[worker@blue]" and [s["op"] for s in change["steps"]] == ["start"]
    r = workspace.run("apply", "h", "--auto-approve")
    assert r.exit_code == 0, r.output
    started = json.loads(units.read_text())["units"]["worker@blue.service"]
    assert started["state"] == "active" and started["exec"][-1] == "blue" and pid_alive(started["pid"])


def test_an_unknown_state_is_an_error_not_stopped(units: Path, workspace: Workspace) -> None:
    define_units(units, {"api": {"exec": sleeper(), "state": "inactive", "show": {"ActiveState": "hibernating"}}})
    _hosts(workspace, "local", "      api: {state: running}\n")
    r = workspace.run("plan", "h")
    assert r.exit_code == 1, r.output
    assert "unit api.service: systemd reported ActiveState=hibernating, which tempoctl does not know" in r.output
    assert "systemctl start" not in r.output and "Traceback" not in r.output


def test_every_unit_operand_follows_double_dash(units: Path, connection: str, workspace: Workspace) -> None:
    define_units(units, {"api": {"exec": sleeper(), "state": "inactive"}})
    _hosts(workspace, connection, "      api: {state: running, enabled: true}\n")
    r = workspace.run("-v", "apply", "h", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert "systemctl start -- api.service" in r.output and "systemctl enable -- api.service" in r.output
    uses = re.findall(r"systemctl [^\n]*?api\.service", r.output)
    assert len(uses) >= 4, r.output  # the read script, enable, start, the settle reads
    for use in uses:
        assert use.endswith("-- api.service"), use


def test_the_stand_in_keeps_operands_after_double_dash(units: Path) -> None:
    out = subprocess.run(["systemctl", "show", "-p", "Id,LoadState", "--", "-weird"], capture_output=True, text=True,
                         check=False)
    assert out.stdout.split() == ["Id=-weird.service", "LoadState=not-found"]
    bad = subprocess.run(["systemctl", "start", "--", "-weird"], capture_output=True, text=True,
                         check=False)
    assert bad.returncode == 5 and "Unit -weird.service not found." in bad.stderr


def test_a_bad_settle_override_stops_apply_before_anything_runs(units: Path, workspace: Workspace,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    define_units(units, {"api": {"exec": sleeper(), "state": "inactive"}})
    _hosts(workspace, "local", "      api: {state: running}\n")
    monkeypatch.setenv("TEMPOCTL_SERVICE_SETTLE", "soon")
    r = workspace.run("apply", "h", "--auto-approve")
    assert r.exit_code == 1 and "TEMPOCTL_SERVICE_SETTLE='soon' is not a number of seconds" in r.output, r.output
    assert unit(units, "api")["state"] == "inactive"
