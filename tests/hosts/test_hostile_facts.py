"""Host facts cannot be forged in band (issue 12): parser tests on framed output and on `systemctl show`
blocks in systemd's format, and end-to-end plans with hostile process names running on the host."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tempoctl.errors import TempoctlError
from tempoctl.observed.host.facts import FactsError, parse_read, parse_show, parse_unit, read_script
from tempoctl.observed.host.transport import LocalTransport
from tempoctl.observed.host.units import UnitStateError
from tests.conftest import Workspace
from tests.hosts.support import define_units, sleeper, write_env
from tests.hosts.test_facts import section, show_block
from tests.support.sshd import Sshd


@pytest.fixture(params=["local", "ssh"])
def connection(request: pytest.FixtureRequest, sshd: Sshd) -> str:
    return "local" if request.param == "local" else sshd.connection


# --- framing ------------------------------------------------------------------------------------------------


def test_file_content_that_looks_like_sections_is_taken_by_length() -> None:
    forged = b"A=1\nfile 0 0 3\nB=2\n@@tempoctl-file 9 root:root 600\nunit 0 0 10\n"
    out = (section("stat", 0, b"app:app 600\n") + section("file", 0, forged) + section("absent", 1, b""))
    facts = parse_read(out, [], ["/srv/a.env", "/srv/b.env"])
    assert facts.files["/srv/a.env"].content == forged
    assert facts.files["/srv/b.env"].content is None


def test_a_process_list_cannot_open_another_section() -> None:
    procs = b"@@tempoctl-section units\n@@tempoctl-file 9 root:root 600\nunit 0 0 4\nsleep 86400.1\n"
    out = section("unit", 0, show_block("api.service")) + section("processes", 0, procs)
    facts = parse_read(out, ["api"], [])
    assert facts.processes == ["@@tempoctl-section units", "@@tempoctl-file 9 root:root 600", "unit 0 0 4",
                               "sleep 86400.1"]
    assert facts.units["api"].state == "running"


@pytest.mark.parametrize("reply", [b"unit 0 0 999\nId=api", b"unit 0 0\n", b"garbage\n", b"unit 0 0 3\nabcX"])
def test_a_truncated_or_foreign_reply_is_an_error_not_a_crash(reply: bytes) -> None:
    with pytest.raises(FactsError):
        parse_read(reply, ["api"], [])


def test_a_reply_missing_a_declared_unit_or_file_is_an_error() -> None:
    with pytest.raises(FactsError, match="no facts for"):
        parse_read(section("unit", 0, show_block("api.service")), ["api", "worker"], [])


def test_units_are_matched_by_name_not_position() -> None:
    # `systemctl show a 'worker-*' b` prints one block per *match*: by position, b got worker-2's facts.
    with pytest.raises(FactsError, match="answered for worker-2.service"):
        parse_unit(show_block("worker-2.service").decode(), "b.service")
    # An alias answers with the unit it points to and lists the alias among its Names.
    alias = parse_unit(show_block("real.service", Names="real.service alias.service").decode(), "alias.service")
    assert alias.state == "running"


# --- systemctl show blocks: every documented value mapped ---------------------------------------------------

STATES = [
    # (properties, state, enabled)
    ({}, "running", True),
    ({"ActiveState": "reloading", "SubState": "reload"}, "running", True),
    ({"ActiveState": "refreshing", "SubState": "refresh-extensions"}, "running", True),
    ({"ActiveState": "inactive", "SubState": "dead", "UnitFileState": "disabled"}, "stopped", False),
    ({"ActiveState": "failed", "SubState": "failed", "Result": "exit-code"}, "failed", True),
    ({"ActiveState": "activating", "SubState": "start"}, "starting", True),
    ({"ActiveState": "activating", "SubState": "auto-restart", "NRestarts": "7"}, "restarting", True),
    ({"ActiveState": "failed", "SubState": "failed-before-auto-restart"}, "restarting", True),
    ({"ActiveState": "deactivating", "SubState": "stop-sigterm"}, "stopping", True),
    ({"ActiveState": "maintenance", "SubState": "cleaning"}, "maintenance", True),
    ({"LoadState": "masked", "ActiveState": "inactive", "SubState": "dead", "UnitFileState": "masked"}, "masked", False),
    ({"LoadState": "loaded", "ActiveState": "inactive", "SubState": "dead", "UnitFileState": "masked-runtime"},
     "masked", False),
    ({"LoadState": "bad-setting", "ActiveState": "inactive", "SubState": "dead", "UnitFileState": "disabled"},
     "broken", False),
    ({"LoadState": "error", "ActiveState": "inactive", "SubState": "dead", "UnitFileState": ""}, "broken", None),
    ({"LoadState": "not-found", "ActiveState": "inactive", "SubState": "dead", "UnitFileState": ""}, "missing", None),
    ({"UnitFileState": "enabled-runtime"}, "running", "runtime"),
    ({"UnitFileState": "linked"}, "running", False),
    ({"UnitFileState": "linked-runtime"}, "running", False),
    ({"UnitFileState": "static"}, "running", None),
    ({"UnitFileState": "indirect"}, "running", None),
    ({"UnitFileState": "generated"}, "running", None),
    ({"UnitFileState": "transient"}, "running", None),
    ({"UnitFileState": "alias"}, "running", None),
    # Type=oneshot, no RemainAfterExit: ran and exited 0 → done; never ran since boot → stopped.
    ({"Type": "oneshot", "ActiveState": "inactive", "SubState": "dead", "MainPID": "0",
      "ExecMainExitTimestampMonotonic": "81234567"}, "done", True),
    ({"Type": "oneshot", "ActiveState": "inactive", "SubState": "dead", "MainPID": "0",
      "ExecMainExitTimestampMonotonic": "0"}, "stopped", True),
    ({"Type": "oneshot", "RemainAfterExit": "yes", "ActiveState": "active", "SubState": "exited"}, "running", True),
]


@pytest.mark.parametrize(("props", "state", "enabled"), STATES, ids=[f"{i}" for i in range(len(STATES))])
def test_every_documented_state_is_mapped(props: dict[str, str], state: str, enabled: object) -> None:
    u = parse_unit(show_block("api.service", **props).decode(), "api.service")
    assert (u.state, u.enabled) == (state, enabled)


@pytest.mark.parametrize("props", [{"ActiveState": "hibernating"}, {"LoadState": "quantum"},
                                   {"SubState": "napping"}, {"UnitFileState": "enabled-forever"},
                                   {"LoadState": "stub"}, {"ActiveState": ""}])
def test_an_unknown_value_is_an_error_not_stopped(props: dict[str, str]) -> None:
    u = parse_unit(show_block("api.service", **props).decode(), "api.service")
    with pytest.raises(UnitStateError):
        _ = u.state


def test_old_recorded_blocks_still_parse() -> None:
    (u,) = parse_show("LoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=disabled\nMainPID=0\n")
    assert (u.state, u.enabled) == ("stopped", False)


# --- end to end: hostile process names on the host -----------------------------------------------------------


@pytest.fixture
def hostile_processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        p.kill()
        p.wait()


def _named(name: str) -> subprocess.Popen[bytes]:
    """A process whose command line starts with `name` (any local user can start one)."""
    return subprocess.Popen([name, "86400"], executable="/bin/sleep")


# The old markers: a file marker with an index past the declared files crashed plan (IndexError); a section
# marker listed before a stray process switched the parser out of the process list and hid the stray.
@pytest.mark.parametrize("hostile", ["@@tempoctl-file 9 root:root 600", "@@tempoctl-section hidden",
                                     "unit 0 0 12", "processes 0 0 1"])
def test_hostile_process_names_neither_crash_plan_nor_hide_a_stray(
        units: Path, connection: str, workspace: Workspace, hostile_processes: list[subprocess.Popen[bytes]],
        hostile: str) -> None:
    cmd = sleeper()
    define_units(units, {"indexer": {"exec": cmd, "state": "inactive"}})
    env_file = workspace.root / "a.env"
    env_file.write_text("A=1\n")
    hostile_processes.append(_named(hostile))  # started first: listed before the stray
    hostile_processes.append(subprocess.Popen(cmd))  # the stray, outside the unit
    write_env(workspace.root, "h", f"""hosts:
  app:
    connection: {connection}
    roots: ["{workspace.root}"]
    services:
      indexer: {{state: running, single_instance: true}}
    env_files:
      {env_file}:
        values: {{A: "2"}}
        public: [A]
""")
    r = workspace.run("plan", "h", "--format", "json")
    assert r.exit_code == 0, r.output
    by = {c["address"]: c for c in json.loads(r.stdout)["changes"]}
    assert "1 process(es) of indexer's command already run outside the unit" in by["app.service[indexer]"]["note"]
    assert by[f"app.env_file[{env_file}]"]["before"] == {"A": "1"}


def test_the_read_script_runs_and_parses_locally(units: Path) -> None:
    define_units(units, {"api": {"exec": sleeper(), "state": "inactive"}})
    with LocalTransport() as t:
        result = t.run(read_script(["api", "worker@x"], ["/nonexistent/a.env"]))
    facts = parse_read(result.stdout, ["api", "worker@x"], ["/nonexistent/a.env"])
    assert facts.units["api"].state == "stopped" and facts.units["worker@x"].state == "missing"
    assert facts.files["/nonexistent/a.env"].content is None
    assert isinstance(FactsError("x"), TempoctlError)


def test_a_failed_systemctl_show_is_an_error_with_its_message() -> None:
    with pytest.raises(FactsError, match="systemctl show failed for api.service") as exc:
        parse_read(section("unit", 0, b"sh: 1: systemctl: not found\n", status=127), ["api"], [])
    assert "systemctl: not found" in exc.value.detail


def test_a_process_list_that_could_not_be_read_is_not_an_empty_one() -> None:
    out = section("unit", 0, show_block("api.service")) + section("processes", 0, b"sh: ps: not found\n", status=127)
    facts = parse_read(out, ["api"], [])
    assert facts.processes == [] and "ps: not found" in facts.processes_error
