"""The out-of-band scan costs the same whatever the rest of the network does: `getTransactions` is the whole
network's history, so tempoctl follows the transactions its authorisers paid for (CAP-67 fee events, indexed by
the RPC) instead of paging through everyone's. When more of them are waiting than one run reads, the plan says
which ledgers were left for the next run."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from stellar_sdk import scval

from tests.soroban.traffic import ForeignTraffic
from tests.stellar.conftest import PASSPHRASE, Teye
from tests.stellar.test_teye_runbook import _send_as


def _add(teye: Teye, who: str) -> None:
    _send_as(teye, teye.admin, "add_to_whitelist", scval.to_address(teye.admin.public_key), scval.to_address(who))


def _plan_calls(teye: Teye) -> tuple[dict, Counter[str]]:  # type: ignore[type-arg]
    before = Counter(teye.emu.calls)
    res = teye.ws.run("plan", "teye-local", "--format", "json")
    assert res.exit_code in (0, 2), res.output
    return json.loads(res.stdout), Counter(teye.emu.calls) - before


def test_scan_requests_do_not_grow_with_foreign_traffic(teye: Teye) -> None:
    member, quiet, busy = (k.public_key for k in teye.others[:3])
    teye.write(whitelist=[member])
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    assert teye.ws.run("drift", "teye-local").exit_code == 0

    teye.emu.advance(30)
    _add(teye, quiet)
    teye.emu.advance(10)
    plan, calm = _plan_calls(teye)
    assert f"vision_records.whitelist[{quiet}]" in [c["address"] for c in plan["changes"]]
    assert teye.ws.run("drift", "teye-local").exit_code == 2

    teye.emu.foreign = ForeignTraffic(PASSPHRASE, per_ledger=200, since=teye.emu.ledger + 1)  # type: ignore[attr-defined]
    try:
        teye.emu.advance(30)
        _add(teye, busy)
        teye.emu.advance(10)
        plan, loud = _plan_calls(teye)
    finally:
        teye.emu.foreign = None  # type: ignore[attr-defined]
    assert f"vision_records.whitelist[{busy}]" in [c["address"] for c in plan["changes"]]
    scan_methods = ("getLedgerEntries", "getHealth", "getEvents", "getTransactions", "getTransaction")
    assert {m: loud[m] for m in scan_methods} == {m: calm[m] for m in scan_methods}, (calm, loud)
    assert loud["getTransactions"] == 0 and loud["getTransaction"] == 1


def test_a_scan_window_that_is_exceeded_is_said_and_the_next_run_continues(
        teye: Teye, monkeypatch: pytest.MonkeyPatch) -> None:
    from tempoctl.profiles.vision_records import scan

    teye.write(whitelist=[], enabled=None)
    assert teye.ws.run("drift", "teye-local").exit_code == 0
    intruders = [k.public_key for k in teye.others[:3]]
    for who in intruders:
        _add(teye, who)
        teye.emu.advance(5)
    monkeypatch.setattr(scan, "MAX_TX_LOOKUPS", 2)
    res = teye.ws.run("drift", "teye-local")
    assert "out-of-band scan window was exceeded: 3 transactions" in res.output, res.output
    assert intruders[0] in res.output and intruders[1] in res.output and intruders[2] not in res.output
    res = teye.ws.run("drift", "teye-local")
    assert all(i in res.output for i in intruders), res.output
    assert "window was exceeded" not in res.output


def test_oldest_ledger_moving_between_get_health_and_get_events_restarts_the_scan(
        teye: Teye, monkeypatch: pytest.MonkeyPatch) -> None:
    """Retention trims history while tempoctl runs: the `oldestLedger` getHealth gave is gone by the time
    getEvents asks for it (stellar-rpc refuses a startLedger below its oldest ledger)."""
    from tempoctl.observed.stellar.client import StellarClient

    teye.write(whitelist=[], enabled=None)
    assert teye.ws.run("drift", "teye-local").exit_code == 0
    intruder = teye.others[0].public_key
    with teye.emu.retention_window(20):
        teye.emu.advance(40)
        _add(teye, intruder)
        real = StellarClient.oldest_ledger
        answers: list[int] = []

        def stale(self: StellarClient) -> int:  # the first answer is from before the RPC trimmed its history
            answers.append(real(self))
            return answers[-1] - 30 if len(answers) == 1 else answers[-1]

        monkeypatch.setattr(StellarClient, "oldest_ledger", stale)
        res = teye.ws.run("drift", "teye-local")
    assert f"vision_records.whitelist[{intruder}]" in res.output, res.output
    assert "oldest ledger moved from" in res.output, res.output


def test_a_long_gap_is_searched_10000_ledgers_per_get_events_request(teye: Teye) -> None:
    """stellar-rpc searches at most 10,000 ledgers per getEvents request and then hands back a cursor at the
    end of that window: the scan follows it instead of taking a short answer for the end."""
    teye.write(whitelist=[], enabled=None)
    assert teye.ws.run("drift", "teye-local").exit_code == 0
    intruder = teye.others[0].public_key
    teye.emu.advance(25_000)
    _add(teye, intruder)
    plan, calls = _plan_calls(teye)
    assert f"vision_records.whitelist[{intruder}]" in [c["address"] for c in plan["changes"]]
    assert calls["getEvents"] == 3 and calls["getTransactions"] == 0
