"""Teye vision_records, the way operators run it: declare, plan, apply, and nothing is left.

All against the Soroban RPC emulator (tests/soroban), through the unmodified stellar-sdk."""

from __future__ import annotations

import json

from stellar_sdk import Keypair, SorobanServer, TransactionBuilder, scval
from stellar_sdk.soroban_rpc import GetTransactionStatus

from tests.stellar.conftest import PASSPHRASE, Teye


def _plan_json(teye: Teye) -> dict:  # type: ignore[type-arg]
    res = teye.ws.run("plan", "teye-local", "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.output)  # type: ignore[no-any-return]


def _converged(teye: Teye) -> None:
    res = teye.ws.run("plan", "teye-local", "--detailed-exitcode")
    assert res.exit_code == 0, res.output
    assert "No changes" in res.output


def test_fresh_contract_plan_apply_then_no_changes(teye: Teye) -> None:
    m1, m2, op = teye.others[0].public_key, teye.others[1].public_key, teye.others[2].public_key
    teye.write(whitelist=[m1, m2], tiers={teye.admin.public_key: "SuperAdmin", op: "OperatorAdmin"},
               paused_global=False, paused_functions={"REG_USR": True, "ADD_REC": False}, rate_limit=(100, 3600),
               min_ttl=100)
    plan = _plan_json(teye)
    addresses = {c["address"] for c in plan["changes"]}
    assert addresses == {
        f"vision_records.whitelist[{m1}]", f"vision_records.whitelist[{m2}]", "vision_records.whitelist_enabled",
        f"vision_records.admin_tier[{op}]", "vision_records.paused[REG_USR]", "vision_records.rate_limit"}
    pin = plan["observed"]["stellar-local"]  # ledgers close every 0.1 s: the pin is a recent one
    assert pin["passphrase"] == PASSPHRASE and teye.emu.ledger - 50 < pin["ledger"] <= teye.emu.ledger
    add = next(c for c in plan["changes"] if c["address"] == f"vision_records.whitelist[{m1}]")
    step = add["steps"][0]
    assert step["kind"] == "soroban_invocation" and step["function"] == "add_to_whitelist"
    assert step["args"] == [{"address": teye.admin.public_key}, {"address": m1}]
    assert add["simulation"][0]["status"] == "ok" and add["simulation"][0]["fee"] > 0
    assert step["xdr"]  # the assembled unsigned transaction, for review or offline signing

    res = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert res.exit_code == 0, res.output
    assert "Re-plan after apply: no changes" in res.output
    c = teye.contract
    assert c.view("is_whitelisted", m1) is True and c.view("is_whitelist_enabled") is True
    assert c.view("get_admin_tier", op) == 1
    assert list(c.view("get_rate_limit_config")) == [100, 3600]
    assert c.instance_value("P_FUNC", "REG_USR") is True
    _converged(teye)


def _send_as(teye: Teye, kp: Keypair, fn: str, *args: object) -> None:
    """An operator acting from a console: a real signed transaction, outside tempoctl."""
    with SorobanServer(teye.emu.url) as srv:
        tx = (TransactionBuilder(srv.load_account(kp.public_key), PASSPHRASE, base_fee=100).set_timeout(300)
              .append_invoke_contract_function_op(teye.cid, fn, list(args)).build())
        tx = srv.prepare_transaction(tx)
        tx.sign(kp)
        sent = srv.send_transaction(tx)
        assert srv.poll_transaction(sent.hash).status == GetTransactionStatus.SUCCESS


def test_out_of_band_whitelist_add_is_drift_and_plan_removes_it(teye: Teye) -> None:
    m1, intruder = teye.others[0].public_key, teye.others[3].public_key
    teye.write(whitelist=[m1])
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    _send_as(teye, teye.admin, "add_to_whitelist", scval.to_address(teye.admin.public_key), scval.to_address(intruder))

    res = teye.ws.run("drift", "teye-local")
    assert res.exit_code == 2, res.output
    assert f"vision_records.whitelist[{intruder}]" in res.output

    plan = _plan_json(teye)
    [change] = plan["changes"]
    assert change["address"] == f"vision_records.whitelist[{intruder}]"
    assert change["action"] == "delete" and change["reason"] == "not declared"
    assert change["steps"][0]["function"] == "remove_from_whitelist"
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    assert teye.contract.view("is_whitelisted", intruder) is False
    _converged(teye)


def test_removing_a_member_from_yaml_plans_its_removal(teye: Teye) -> None:
    m1, m2 = teye.others[0].public_key, teye.others[1].public_key
    teye.write(whitelist=[m1, m2])
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    teye.write(whitelist=[m1])
    plan = _plan_json(teye)
    assert [(c["address"], c["action"]) for c in plan["changes"]] == [(f"vision_records.whitelist[{m2}]", "delete")]
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    assert teye.contract.view("is_whitelisted", m2) is False
    _converged(teye)


def test_saved_plan_applies_and_a_stale_one_is_refused(teye: Teye) -> None:
    m1 = teye.others[0].public_key
    teye.write(whitelist=[m1], paused_global=False)
    assert teye.ws.run("plan", "teye-local", "--out", "teye.plan.json").exit_code == 0
    teye.contract.set_paused(True)  # someone pauses the contract after the plan was reviewed
    res = teye.ws.run("apply", "teye.plan.json")
    assert res.exit_code == 1
    assert "Saved plan is stale" in res.output and "vision_records.paused[global]: was false" in res.output
    assert teye.contract.view("is_whitelisted", m1) is False

    teye.contract.set_paused(False)
    assert teye.ws.run("plan", "teye-local", "--out", "teye.plan.json").exit_code == 0
    res = teye.ws.run("apply", "teye.plan.json")
    assert res.exit_code == 0, res.output
    assert teye.contract.view("is_whitelisted", m1) is True
    _converged(teye)
