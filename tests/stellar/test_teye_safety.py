"""Teye: the handover, TTL and contract-ID rules, and what tempoctl refuses before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path

from tests.soroban import Emulator
from tests.stellar.conftest import Teye
from tests.support.teye_state import environment_yaml, teye_yaml, write_teye_state


def test_admin_handover_across_two_applies(teye: Teye) -> None:
    """The current admin proposes; the new admin's key is not here, so apply stops cleanly between the
    steps, writes the unsigned accept_admin XDR, and a later apply with that key finishes the handover."""
    new = teye.new_admin.public_key
    teye.write(admin=new)
    plan = json.loads(teye.ws.run("plan", "teye-local", "--format", "json").output)
    # the RBAC Admin role moves to the new admin and leaves the old one before the handover (test_teye_rbac)
    *rbac, change = plan["changes"]
    assert [c["address"] for c in rbac] == [f"vision_records.rbac_role[{new}]",
                                            f"vision_records.rbac_role[{teye.admin.public_key}]"]
    assert change["address"] == "vision_records.admin"
    assert [s["function"] for s in change["steps"]] == ["propose_admin", "accept_admin"]
    assert [s["signer"] for s in change["steps"]] == ["teye_admin", "teye_new_admin"]
    assert "needs keys of: teye_admin, teye_new_admin" in change["note"]

    first = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert first.exit_code == 0, first.output
    assert "wait for a signature: vision_records.admin" in first.output
    assert str(teye.contract.instance_value("PEND_ADM").address) == new
    assert teye.contract.instance_value("ADMIN").address == teye.admin.public_key
    [xdr_file] = list((teye.ws.root / "plans").glob("*accept_admin.xdr"))
    assert xdr_file.read_text().strip().startswith("AAAA")

    plan = json.loads(teye.ws.run("plan", "teye-local", "--format", "json").output)
    assert [s["function"] for c in plan["changes"] for s in c["steps"]] == ["accept_admin"]

    teye.ws.env["TEYE_NEW_ADMIN_SECRET"] = teye.new_admin.secret
    second = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert second.exit_code == 0, second.output
    assert teye.contract.instance_value("ADMIN").address == new and teye.contract.instance_value("PEND_ADM") is None
    assert teye.ws.run("plan", "teye-local", "--detailed-exitcode").exit_code == 0


def test_instance_ttl_below_minimum_is_extended(teye: Teye) -> None:
    teye.contract.set_instance_ttl(teye.emu.ledger + 1_000)
    teye.write(min_ttl=500_000)
    plan = json.loads(teye.ws.run("plan", "teye-local", "--format", "json").output)
    [change] = plan["changes"]
    assert change["address"] == "vision_records.instance_ttl" and "fewer than the minimum 500,000" in change["note"]
    assert change["steps"][0]["kind"] == "soroban_extend_ttl" and change["steps"][0]["extend_to"] == 1_000_000
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    assert teye.contract.instance_ttl() - teye.emu.ledger >= 500_000
    assert teye.ws.run("plan", "teye-local", "--detailed-exitcode").exit_code == 0


def test_wrong_passphrase_is_refused_before_any_read(teye: Teye) -> None:
    write_teye_state(teye.ws.root, environment_yaml(teye.emu.url, "Test SDF Network ; September 2015",
                                                    teye.admin.public_key), teye_yaml(teye.cid, teye.admin.public_key))
    before = teye.emu.calls["getLedgerEntries"]
    res = teye.ws.run("plan", "teye-local")
    assert res.exit_code == 1
    assert "serves network 'Standalone Network ; February 2017', not the declared 'Test SDF Network" in res.output
    assert "environment.yaml" in res.output and "Traceback" not in res.output
    assert teye.emu.calls["getLedgerEntries"] == before


def test_contract_id_change_checks_wasm_pin_and_admin(teye: Teye) -> None:
    wasm = teye.contract.wasm_hash.hex()
    teye.write(wasm=wasm)
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0  # records the live contract ID

    other = teye.emu.deploy_vision_records(wasm_hash=b"\x11" * 32, admin=teye.admin.public_key)
    teye.cid, old = other, teye.cid
    teye.write(wasm=wasm)
    res = teye.ws.run("plan", "teye-local")
    assert res.exit_code == 1
    assert f"refusing to switch vision_records to {other}" in res.output
    assert f"its wasm hash is {'11' * 32}, the pin is {wasm}" in res.output

    good = teye.emu.deploy_vision_records(wasm_hash=bytes.fromhex(wasm), admin=teye.admin.public_key)
    teye.cid = good
    teye.write(wasm=wasm)
    plan = json.loads(teye.ws.run("plan", "teye-local", "--format", "json").output)
    [change] = plan["changes"]
    assert change["address"] == "vision_records.contract_id" and (change["before"], change["after"]) == (old, good)
    assert change["steps"][0]["kind"] == "soroban_verify"
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    assert teye.ws.run("plan", "teye-local", "--detailed-exitcode").exit_code == 0


def test_unauthorized_signer_shows_the_decoded_error_and_nothing_is_sent(teye: Teye) -> None:
    stranger = teye.others[3]
    env_yaml = environment_yaml(teye.emu.url, "Standalone Network ; February 2017", stranger.public_key)
    write_teye_state(teye.ws.root, env_yaml, teye_yaml(teye.cid, teye.admin.public_key,
                                                       whitelist=[teye.others[0].public_key]))
    teye.ws.env["TEYE_ADMIN_SECRET"] = stranger.secret
    res = teye.ws.run("plan", "teye-local")
    assert res.exit_code == 0
    assert "Unauthorized (Error(Contract, #3))" in res.output
    seq = teye.emu.account_sequence(stranger.public_key)
    applied = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert applied.exit_code == 1
    assert "would fail: Unauthorized (Error(Contract, #3))" in applied.output
    assert "Nothing of this step was sent" in applied.output
    assert teye.emu.account_sequence(stranger.public_key) == seq


def test_a_rate_limit_cannot_be_unset(teye: Teye) -> None:
    teye.contract.set_rate_limit(10, 60)
    teye.write(rate_limit=None, extra="    rate_limit: null\n")
    res = teye.ws.run("plan", "teye-local")
    assert res.exit_code == 1
    assert "the rate limit of vision_records cannot be unset" in res.output
    assert "teye.yaml:" in res.output


def test_removing_a_tier_downgrades_to_operator_and_says_why(teye: Teye) -> None:
    op = teye.others[1].public_key
    teye.write(tiers={teye.admin.public_key: "SuperAdmin", op: "ContractAdmin"})
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    teye.write(tiers={teye.admin.public_key: "SuperAdmin"})
    plan = json.loads(teye.ws.run("plan", "teye-local", "--format", "json").output)
    [change] = plan["changes"]
    assert change["address"] == f"vision_records.admin_tier[{op}]"
    assert (change["before"], change["after"]) == ("ContractAdmin", "OperatorAdmin")
    assert [s["function"] for s in change["steps"]] == ["promote_admin", "demote_admin"]
    assert "demote_admin does not clear a tier" in change["note"]
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    assert teye.contract.view("get_admin_tier", op) == 1
    assert teye.ws.run("plan", "teye-local", "--detailed-exitcode").exit_code == 0


def test_500_whitelist_members_are_read_in_three_ledger_entry_calls(teye: Teye, emulator: Emulator,
                                                                      tmp_path: Path) -> None:
    from stellar_sdk import Keypair

    from tempoctl.desired import load_environment
    from tempoctl.plan.build import PlanOptions, build_plan

    members = [Keypair.random().public_key for _ in range(500)]
    for m in members[:250]:
        teye.contract.whitelist_add(m)
    folder = teye.write(whitelist=members)
    before = emulator.calls["getLedgerEntries"]
    plan, obs = build_plan(load_environment(folder), PlanOptions(simulate=False))
    assert emulator.calls["getLedgerEntries"] - before == 3  # 501 keys: three requests, read side by side
    assert sum(1 for c in plan.changes if c.address.startswith("vision_records.whitelist[")) == 250
    assert sum(1 for k in obs.observed.values if k.startswith("vision_records.whitelist[")) == 500


def test_a_signer_without_a_key_gets_unsigned_xdr_and_nothing_is_sent(teye: Teye) -> None:
    folder = teye.write(whitelist=[teye.others[0].public_key, teye.others[1].public_key])
    env_file = folder / "environment.yaml"
    env_file.write_text(env_file.read_text().replace(", key: env:TEYE_ADMIN_SECRET}", "}"))
    seq = teye.emu.account_sequence(teye.admin.public_key)
    res = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert res.exit_code == 0, res.output
    assert "0 step(s) done, 3 pending" in res.output
    files = sorted(p.name for p in (teye.ws.root / "plans").glob("*.xdr"))
    assert len(files) == 3 and all("add_to_whitelist" in f or "set_whitelist_enabled" in f for f in files)
    assert teye.emu.account_sequence(teye.admin.public_key) == seq
    assert teye.admin.secret not in res.output
    # The next plan shows the hand-offs as awaiting a signature (not as drift), and apply does not export again.
    changes = json.loads(teye.ws.run("plan", "teye-local", "--format", "json").output)["changes"]
    assert len(changes) == 3 and all(c.get("pending") for c in changes)
    assert all("handed off in unsigned XDR plans/" in c["note"] for c in changes)
    again = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert len(list((teye.ws.root / "plans").glob("*.xdr"))) == 3  # not exported a second time
    assert teye.emu.account_sequence(teye.admin.public_key) == seq
