"""Archival on a real network (stellar-rpc ≥ v23 returns archived entries with `liveUntilLedgerSeq` 0; an
archived instance, wasm code or data entry refuses invocations until a `RestoreFootprint` brings it back).
tempoctl restores what the plan depends on, then extends the instance *and* its code entry, with the maximum
TTL read from the network's `ConfigSetting` (STATE_ARCHIVAL) entry rather than a constant."""

from __future__ import annotations

import json

from tests.soroban import xdr_helpers as h
from tests.stellar.conftest import Teye


def _plan(teye: Teye) -> dict:  # type: ignore[type-arg]
    res = teye.ws.run("plan", "teye-local", "--format", "json")
    assert res.exit_code in (0, 2), res.output
    return json.loads(res.output)  # type: ignore[no-any-return]


def test_archived_instance_and_code_are_restored_then_extended_then_replan_is_empty(teye: Teye) -> None:
    c = teye.contract
    c.set_instance_ttl(teye.emu.ledger - 1)
    c.set_code_ttl(teye.emu.ledger - 1)
    teye.write(min_ttl=500_000)
    plan = _plan(teye)
    addresses = [ch["address"] for ch in plan["changes"]]
    assert addresses == ["vision_records.archived", "vision_records.instance_ttl"], addresses
    restore, extend = plan["changes"]
    [rs] = restore["steps"]
    assert rs["function"] == "RestoreFootprint"
    assert set(rs["keys"]) == {h.instance_key(teye.cid).to_xdr(), h.code_key(c.wasm_hash).to_xdr()}
    [es] = extend["steps"]
    assert es["function"] == "ExtendFootprintTTL" and es["extend_to"] == 1_000_000
    assert set(es["keys"]) >= {h.instance_key(teye.cid).to_xdr(), h.code_key(c.wasm_hash).to_xdr()}
    assert "vision_records.archived" in extend["depends_on"]

    res = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert res.exit_code == 0, res.output
    assert (c.instance_ttl() or 0) - teye.emu.ledger >= 500_000
    assert (c.code_ttl() or 0) - teye.emu.ledger >= 500_000
    assert teye.ws.run("plan", "teye-local", "--detailed-exitcode").exit_code == 0


def test_code_entry_is_extended_with_the_instance(teye: Teye) -> None:
    c = teye.contract
    c.set_code_ttl(teye.emu.ledger + 1_000)
    teye.write(min_ttl=500_000)
    [change] = _plan(teye)["changes"]
    assert change["address"] == "vision_records.instance_ttl"
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    assert (c.code_ttl() or 0) - teye.emu.ledger >= 500_000
    assert teye.ws.run("plan", "teye-local", "--detailed-exitcode").exit_code == 0


def test_archived_whitelist_member_is_restored_before_it_is_used(teye: Teye) -> None:
    c = teye.contract
    member = teye.others[0].public_key
    c.whitelist_add(member)
    c.set_whitelist_enabled(True)
    c.set_entry_ttl("WL_ADR", member, live_until=teye.emu.ledger - 1)
    teye.write(whitelist=[member])
    [change] = _plan(teye)["changes"]
    assert change["address"] == "vision_records.archived"
    assert change["steps"][0]["keys"] == [c.persistent_key("WL_ADR", member).to_xdr()]
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    assert (teye.emu.state.live_until(c.persistent_key("WL_ADR", member)) or 0) >= teye.emu.ledger
    assert teye.ws.run("plan", "teye-local", "--detailed-exitcode").exit_code == 0


def test_maximum_ttl_comes_from_the_network_config_setting(teye: Teye) -> None:
    cfg = teye.emu.state.config
    saved = cfg.max_entry_ttl
    cfg.max_entry_ttl = 1_500_000
    try:
        teye.contract.set_instance_ttl(teye.emu.ledger + 1_000)
        teye.write(min_ttl=1_000_000)
        [change] = _plan(teye)["changes"]
        assert change["steps"][0]["extend_to"] == 1_499_999
    finally:
        cfg.max_entry_ttl = saved
