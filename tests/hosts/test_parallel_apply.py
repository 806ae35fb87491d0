"""Host steps applied in parallel (issue 15 item 2): steps on different hosts run at the same time (at most
`--parallelism`), each host's steps in plan order, and the output and the journal stay in plan order whatever
finishes first; a host that fails stops the apply as before, with what the other hosts did reported as done.

Every `systemctl start` is slowed by the stand-in's `slow_start` (tests/support/bin/systemctl), which appends
start and end times to a trace: overlap is measured from those intervals, never from wall-clock thresholds.
Two hosts are reached through the session's real sshd (each its own connection string, so its own master).
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

from tests.conftest import Workspace
from tests.hosts.support import define_units, sleeper, write_env
from tests.support.sshd import Sshd

# Declaration order, the first declared the slowest: the last declared finishes first.
HOSTS = ["zeta", "alpha", "mid", "beta"]
SECONDS = {"zeta": 1.6, "alpha": 1.2, "mid": 0.8, "beta": 0.4}


def _setup(units: Path, trace: Path, sshd: Sshd, workspace: Workspace, fail: str | None = None) -> None:
    specs: dict[str, dict[str, Any]] = {}
    for h in HOSTS:
        specs[f"svc-{h}"] = {"exec": sleeper(), "state": "inactive", "enabled": False}
        if h == fail:
            (units.parent / f"{h}.log").write_text("")
            specs[f"svc-{h}"].update(exec=["sh", "-c", "echo 'FATAL: no database' >&2; exit 1"],
                                     log=str(units.parent / f"{h}.log"))
    define_units(units, specs)
    data = json.loads(units.read_text())
    data["slow_start"] = {f"svc-{h}.service": {"seconds": s, "trace": str(trace)} for h, s in SECONDS.items()}
    units.write_text(json.dumps(data))
    connections = {"zeta": sshd.connection, "alpha": "local", "mid": sshd.connection + "/", "beta": "local"}
    # Two steps per host (enable, then start): the second waits for the first on its own host only.
    body = "hosts:\n" + "".join(
        f"  {h}:\n    connection: {c}\n    services:\n      svc-{h}: {{state: running, enabled: true}}\n"
        for h, c in connections.items())
    write_env(workspace.root, "p", body)


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


def _journal(workspace: Workspace) -> list[tuple[str, str, str]]:
    from tempoctl.backend import open_backend

    with open_backend("sqlite:///.tempoctl/p.db", cwd=workspace.root) as backend:
        entries = backend.journal_entries("p")
    return [(e["event"], e["address"], e["op"]) for e in entries if e.get("host")]


def _step_lines(output: str) -> list[str]:
    """The progress lines of the steps, without their counter, outcome and timing: `~ address: command`."""
    return [m.group(1) for m in re.finditer(r"^  \[\d+/\d+\] (~ \S+: systemctl \S+ \S+)  ", output, re.M)]


def _stop_all(units: Path) -> None:
    for h in HOSTS:
        data = json.loads(units.read_text())
        data["units"][f"svc-{h}.service"].update({"enabled": False})
        units.write_text(json.dumps(data))
    import subprocess

    subprocess.run(["systemctl", "stop", *[f"svc-{h}" for h in HOSTS]], check=True)


def test_hosts_are_applied_at_once_with_output_and_journal_in_plan_order(units: Path, sshd: Sshd,
                                                                         workspace: Workspace) -> None:
    trace = units.parent / "trace"
    _setup(units, trace, sshd, workspace)
    logins = sshd.accepted_logins()
    r4 = workspace.run("apply", "p", "--auto-approve", "--parallelism", "4")
    assert r4.exit_code == 0, r4.output
    assert "Re-plan after apply: no changes" in r4.output
    assert sshd.accepted_logins() - logins == 2  # one connection per ssh host for the whole apply
    wide = _intervals(trace)
    assert set(wide) == set(HOSTS)
    assert max(s for s, _ in wide.values()) < min(e for _, e in wide.values())  # all four started at once
    assert sorted(wide, key=lambda h: wide[h][1])[0] == "beta"  # the last declared finished first…
    lines4 = _step_lines(r4.output)
    # …yet the output is in plan order: each host's enable, then each host's start, in declaration order.
    assert lines4 == [f"~ {h}.service[svc-{h}]: systemctl {op} svc-{h}" for op in ("enable", "start") for h in HOSTS]
    # Every intent of a step is journalled before any host runs it, then the dones, each in plan order.
    assert _journal(workspace) == [(event, f"{h}.service[svc-{h}]", op) for op in ("enable", "start")
                                   for event in ("intent", "done") for h in HOSTS]

    _stop_all(units)
    r1 = workspace.run("apply", "p", "--auto-approve", "--parallelism", "1")
    assert r1.exit_code == 0, r1.output
    narrow = sorted(_intervals(trace).items(), key=lambda kv: kv[1][0])
    assert [h for h, _ in narrow] == HOSTS  # one at a time, in declaration order
    assert all(a[1][1] <= b[1][0] for a, b in itertools.pairwise(narrow))
    assert _step_lines(r1.output) == lines4  # the same lines, in the same order


def test_a_failing_host_stops_the_apply_and_the_others_are_reported_done(units: Path, sshd: Sshd,
                                                                         workspace: Workspace) -> None:
    trace = units.parent / "trace"
    _setup(units, trace, sshd, workspace, fail="alpha")
    r = workspace.run("apply", "p", "--auto-approve")  # the default, 10
    assert r.exit_code == 3, r.output
    assert "Traceback" not in r.output
    assert "alpha.service[svc-alpha]: svc-alpha.service failed on alpha after systemctl start" in r.output
    assert "FATAL: no database" in r.output
    assert set(_intervals(trace)) == set(HOSTS)  # the other hosts' starts ran to their end
    for h in HOSTS:  # every host's enable ran in the step before
        assert f"  done: {h}.service[svc-{h}] (done)\n" in r.output
    for h in ("zeta", "mid", "beta"):  # the other hosts' starts are done and reported so
        assert re.search(rf"  done: {h}\.service\[svc-{h}\] \(active, pid \d+, stable for 0\.5s\)\n", r.output)
    assert "done: alpha.service[svc-alpha] (active" not in r.output  # started, never active: not done
    events = _journal(workspace)
    assert ("done", "alpha.service[svc-alpha]", "start") in events  # systemctl returned; the unit then failed
    assert events[-1][0] == "done"
    # Nothing of a later wave ran, and the next plan shows only what is left: alpha's unit.
    plan = json.loads(workspace.run("plan", "p", "--format", "json").stdout)
    assert [c["address"] for c in plan["changes"]] == ["alpha.service[svc-alpha]"]
