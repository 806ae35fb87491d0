"""An admin handover proposed from a console while the YAML still declares the current admin: drift says so,
the plan cancels it (`cancel_admin_transfer`), and the proposed address can then no longer take the contract.

Contract facts (reference teye-interface §4): `propose_admin` sets instance key `PEND_ADM`; `cancel_admin_transfer`
(signed by the current admin) removes it; `accept_admin` with no pending admin fails `InvalidInput` (#6)."""

from __future__ import annotations

import pytest
from stellar_sdk import SorobanServer, TransactionBuilder, scval
from stellar_sdk.exceptions import PrepareTransactionException
from stellar_sdk.soroban_rpc import GetTransactionStatus
from stellar_sdk.transaction_envelope import TransactionEnvelope

from tests.stellar.conftest import PASSPHRASE, Teye
from tests.stellar.test_teye_runbook import _converged, _plan_json, _send_as
from tests.support.teye_state import environment_yaml, teye_yaml, write_teye_state


def _accept_admin(srv: SorobanServer, teye: Teye) -> TransactionEnvelope:
    """The proposed admin, from its own console: accept_admin prepared (simulated) and signed."""
    b = teye.new_admin.public_key
    tx = srv.prepare_transaction(
        TransactionBuilder(srv.load_account(b), PASSPHRASE, base_fee=100).set_timeout(300)
        .append_invoke_contract_function_op(teye.cid, "accept_admin", [scval.to_address(b)]).build())
    tx.sign(teye.new_admin)
    return tx


def test_a_handover_proposed_out_of_band_is_drift_and_apply_cancels_it(teye: Teye) -> None:
    a, b, ops = teye.admin.public_key, teye.new_admin.public_key, teye.others[2]
    # Routine changes are signed by an operator (ContractAdmin tier); the admin key is declared for admin matters.
    teye.contract.call("promote_admin", a, ops.public_key, 2)
    env_yaml = environment_yaml(teye.emu.url, PASSPHRASE, a, b).replace(
        "backend:", f"  teye_ops: {{network: stellar-local, address: {ops.public_key}, key: env:TEYE_OPS_SECRET}}\nbackend:")
    write_teye_state(teye.ws.root, env_yaml, teye_yaml(teye.cid, a, signer="teye_ops"))
    teye.ws.env["TEYE_OPS_SECRET"] = ops.secret
    _converged(teye)
    _send_as(teye, teye.admin, "propose_admin", scval.to_address(a), scval.to_address(b))
    assert teye.contract.instance_value("PEND_ADM").address == b

    res = teye.ws.run("drift", "teye-local")
    assert res.exit_code == 2, res.output
    assert "vision_records.admin" in res.output and b in res.output

    plan = _plan_json(teye)
    [change] = plan["changes"]
    assert change["address"] == "vision_records.admin" and change["action"] == "update"
    assert change["before"] == {"admin": a, "pending": b} and change["after"] == {"admin": a, "pending": None}
    [step] = change["steps"]
    assert step["function"] == "cancel_admin_transfer" and step["args"] == [{"address": a}]
    assert step["signer"] == "teye_admin" and step["source"] == a  # cancel needs the admin's own auth
    assert change["reason"].startswith("state/teye-local/teye.yaml:")  # the declared `admin:`
    assert f"a handover to {b[:4]}…{b[-4:]} was proposed outside tempoctl and is not declared" in change["note"]

    # B had its acceptance prepared and signed while the proposal stood; the cancel lands first.
    with SorobanServer(teye.emu.url) as srv:
        early = _accept_admin(srv, teye)

        res = teye.ws.run("apply", "teye-local", "--auto-approve")
        assert res.exit_code == 0, res.output
        assert "Re-plan after apply: no changes" in res.output
        assert teye.contract.instance_value("PEND_ADM") is None

        sent = srv.send_transaction(early)
        assert srv.poll_transaction(sent.hash).status == GetTransactionStatus.FAILED
        with pytest.raises(PrepareTransactionException) as refused:
            _accept_admin(srv, teye)
        error = refused.value.simulate_transaction_response.error or ""
        assert "Error(Contract, #6)" in error  # InvalidInput: no pending admin
    assert teye.contract.instance_value("ADMIN").address == a
    _converged(teye)
