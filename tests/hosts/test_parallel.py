"""Hosts read in parallel (issue 15 item 2): `--parallelism N` bounds how many hosts are read at once, the
output keeps declaration order whatever answers first, a failing host is named and does not stop the others
being read, and each host keeps one connection.

Every host is slowed by the stand-in systemctl's `slow_show` (tests/support/bin/systemctl), which appends
start and end times to a trace: overlap is measured from those intervals, never from wall-clock thresholds.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.hosts.support import define_units, write_env
from tests.support.anvil import free_port
from tests.support.sshd import Sshd

# Declaration order (not alphabetical), the first declared the slowest: the last declared finishes first.
HOSTS = ["zeta", "alpha", "mid", "beta"]
# Far enough apart that ssh start-up on a loaded machine (seen: ~1 s at load 20 on two cores) cannot reorder them.
SECONDS = {"zeta": 3.0, "alpha": 2.4, "mid": 1.8, "beta": 1.2}


def _slow(units: Path, trace: Path, hosts: dict[str, float]) -> None:
    define_units(units, {f"svc-{h}": {"exec": ["true"], "state": "inactive"} for h in hosts})
    data = json.loads(units.read_text())
    data["slow_show"] = {f"svc-{h}.service": {"seconds": s, "trace": str(trace)} for h, s in hosts.items()}
    units.write_text(json.dumps(data))


def _intervals(trace: Path) -> dict[str, tuple[float, float]]:
    start: dict[str, float] = {}
    out: dict[str, tuple[float, float]] = {}
    for line in trace.read_text().splitlines():
        unit, what, at = line.split()
        host = unit[len("svc-"):-len(".service")]
        if what == "start":
            start[host] = float(at)
        else:
            out[host] = (start[host], float(at))
    trace.unlink()
    return out


def _untimed(plan_json: str) -> str:
    """The plan's JSON text without its creation time (the one field two runs may differ in)."""
    doc = json.loads(plan_json)
    doc.pop("created_at")
    return json.dumps(doc)


def _connections(sshd: Sshd) -> dict[str, str]:
    """Two local hosts and two over ssh, each ssh host its own connection string (so its own master)."""
    return {"zeta": sshd.connection, "alpha": "local", "mid": sshd.connection + "/", "beta": "local"}


def _env(workspace: Workspace, connections: dict[str, str]) -> None:
    body = "hosts:\n" + "".join(f"  {h}:\n    connection: {c}\n    services:\n      svc-{h}: {{state: running}}\n"
                                for h, c in connections.items())
    write_env(workspace.root, "p", body)


def test_hosts_are_read_at_once_and_output_keeps_declaration_order(units: Path, sshd: Sshd,
                                                                   workspace: Workspace) -> None:
    trace = units.parent / "trace"
    _slow(units, trace, SECONDS)
    _env(workspace, _connections(sshd))

    logins = sshd.accepted_logins()
    r4 = workspace.run("plan", "p", "--parallelism", "4", "--format", "json")
    assert r4.exit_code == 0, r4.output
    assert sshd.accepted_logins() - logins == 2  # one connection per ssh host, not one per command or thread
    wide = _intervals(trace)
    assert set(wide) == set(HOSTS)
    assert max(s for s, _ in wide.values()) < min(e for _, e in wide.values())  # all four read at the same time
    by_end = sorted(wide, key=lambda h: wide[h][1])
    assert by_end[0] == "beta" and by_end[-1] == "zeta"  # the last declared finished first, the first last
    assert [c["address"] for c in json.loads(r4.stdout)["changes"]] == [f"{h}.service[svc-{h}]" for h in HOSTS]

    r1 = workspace.run("plan", "p", "--parallelism", "1", "--format", "json")
    assert r1.exit_code == 0, r1.output
    narrow = sorted(_intervals(trace).items(), key=lambda kv: kv[1][0])
    assert [h for h, _ in narrow] == HOSTS  # one at a time, in declaration order
    assert all(a[1][1] <= b[1][0] for a, b in itertools.pairwise(narrow))  # no two overlap
    assert _untimed(r1.stdout) == _untimed(r4.stdout)  # the same plan whatever answered first

    text4 = workspace.run("drift", "p", "--parallelism", "4").stdout
    text1 = workspace.run("drift", "p", "--parallelism", "1").stdout
    assert text4 == text1 and text4.index("zeta.service") < text4.index("alpha.service") < text4.index("beta.service")


def test_parallelism_bounds_how_many_hosts_are_read_at_once(units: Path, sshd: Sshd, workspace: Workspace) -> None:
    trace = units.parent / "trace"
    _slow(units, trace, {h: 1.0 for h in HOSTS})
    _env(workspace, _connections(sshd))
    r = workspace.run("drift", "p", "--parallelism", "2")
    assert r.exit_code == 2, r.output
    seen = _intervals(trace)
    times = sorted(t for s, e in seen.values() for t in (s, e))
    for t in times:  # at no moment are more than two hosts being read
        assert sum(1 for s, e in seen.values() if s <= t < e) <= 2
    assert max(sum(1 for s, e in seen.values() if s <= t < e) for t in times) == 2


def test_a_failing_host_is_named_and_the_others_are_still_read(units: Path, sshd: Sshd,
                                                               workspace: Workspace) -> None:
    trace = units.parent / "trace"
    _slow(units, trace, {"alpha": 0.2, "beta": 0.2})
    closed = [f"ssh://{sshd.user}@127.0.0.1:{free_port()}", f"ssh://{sshd.user}@127.0.0.1:{free_port()}"]
    _env(workspace, {"down1": closed[0], "alpha": "local", "down2": closed[1], "beta": sshd.connection})
    r = workspace.run("plan", "p")  # the default, 10
    assert r.exit_code == 1, r.output
    assert "Error: host down1: cannot connect to host 127.0.0.1 over ssh" in r.output  # the first in declaration order
    assert "1 other host(s) failed too:\n  host down2: cannot connect to host 127.0.0.1 over ssh" in r.output
    assert "Traceback" not in r.output
    assert set(_intervals(trace)) == {"alpha", "beta"}  # the hosts that answered were still read


def test_hosts_sharing_a_connection_share_one_master(units: Path, sshd: Sshd, workspace: Workspace) -> None:
    """Two hosts declared with the same ssh connection are read at once (by default) over one master: the
    threads wait for the first one's master instead of each opening their own."""
    trace = units.parent / "trace"
    _slow(units, trace, {"one": 1.0, "two": 1.0})
    _env(workspace, {"one": sshd.connection, "two": sshd.connection})
    logins = sshd.accepted_logins()
    r = workspace.run("drift", "p")
    assert r.exit_code == 2, r.output
    assert sshd.accepted_logins() - logins == 1
    seen = _intervals(trace)
    assert max(s for s, _ in seen.values()) < min(e for _, e in seen.values())


@pytest.mark.parametrize("command", ["plan", "drift", "apply"])
@pytest.mark.parametrize("value", ["0", "-3"])
def test_parallelism_below_one_is_a_usage_error(workspace: Workspace, command: str, value: str) -> None:
    write_env(workspace.root, "p", "hosts:\n  a:\n    connection: local\n")
    r = workspace.run(command, "p", "--parallelism", value)
    assert r.exit_code == 1, r.output
    assert "Invalid value for '--parallelism'" in r.output and "x>=1" in r.output
    assert "Traceback" not in r.output
