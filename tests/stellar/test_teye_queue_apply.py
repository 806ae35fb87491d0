"""Apply under stellar-core's queue rule (one pending transaction per source account, applied at the next ledger
close): one transaction in flight per source account, each waiting for inclusion; a refused send
(TRY_AGAIN_LATER) is not "maybe sent"; channel accounts send in parallel with the admin authorising each
invocation through signed Soroban authorization entries."""

from __future__ import annotations

import threading
from typing import Any

from stellar_sdk import Keypair, SorobanServer, TransactionBuilder, TransactionEnvelope, scval

from tests.stellar.conftest import PASSPHRASE, Teye
from tests.support.teye_state import environment_yaml, teye_yaml, write_teye_state


def _landed_from(teye: Teye, account: str, since: int) -> list[dict[str, Any]]:
    out = []
    for rec in list(teye.emu.transactions.values()):
        te = TransactionEnvelope.from_xdr(rec["envelopeXdr"], PASSPHRASE)
        if te.transaction.source.account_id == account and rec["ledger"] > since:
            out.append(rec)
    return out


def test_one_signer_sends_one_transaction_per_ledger_and_is_never_refused(teye: Teye) -> None:
    members = [Keypair.random().public_key for _ in range(5)]
    teye.write(whitelist=members, rate_limit=(50, 600))
    start, refused = teye.emu.ledger, teye.emu.refused
    res = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert res.exit_code == 0, res.output
    assert teye.emu.refused == refused, "tempoctl sent a second transaction while one was pending"
    landed = _landed_from(teye, teye.admin.public_key, start)
    assert len(landed) == 7 and all(r["status"] == "SUCCESS" for r in landed)
    assert len({r["ledger"] for r in landed}) == 7  # one per ledger: the account never had two pending
    assert "maybe sent" not in res.output


def _foreign_pending(teye: Teye) -> TransactionEnvelope:
    """A transaction from the admin's own account, sent outside tempoctl (a harmless view call), waiting in
    the queue."""
    srv = SorobanServer(teye.emu.url)
    acc = srv.load_account(teye.admin.public_key)
    tx = (TransactionBuilder(acc, PASSPHRASE, base_fee=100).set_timeout(300)
          .append_invoke_contract_function_op(teye.cid, "is_whitelisted",
                                              [scval.to_address(Keypair.random().public_key)]).build())
    tx = srv.prepare_transaction(tx)
    tx.sign(teye.admin)
    assert srv.send_transaction(tx).status.value == "PENDING"
    return tx


def test_try_again_later_is_retried_after_the_pending_one_lands_and_a_taken_sequence_is_rebuilt(teye: Teye) -> None:
    member = Keypair.random().public_key
    teye.write(whitelist=[member])
    held = teye.emu.paused()
    held.__enter__()  # no ledger closes: the foreign transaction stays pending while tempoctl plans and sends
    try:
        foreign = _foreign_pending(teye)
        refused = teye.emu.refused
        release = threading.Timer(1.5, held.__exit__, args=(None, None, None))
        release.start()
        res = teye.ws.run("apply", "teye-local", "--auto-approve")
    finally:
        release.join()
    assert res.exit_code == 0, res.output
    assert teye.emu.refused > refused  # it was refused (TRY_AGAIN_LATER) while the foreign one was pending
    assert teye.emu.transactions[foreign.hash_hex()]["status"] == "SUCCESS"
    assert teye.contract.persistent("WL_ADR", member) == scval.to_bool(True)
    history = teye.ws.run("history", "teye-local")
    assert "maybe sent" not in res.output and history.exit_code == 0


def test_channels_send_in_parallel_with_the_admin_authorising(teye: Teye) -> None:
    channels = [Keypair.random() for _ in range(4)]
    for ch in channels:
        teye.emu.fund(ch.public_key)
    env = {f"TEYE_CH{i}": ch.secret for i, ch in enumerate(channels)}
    teye.ws.env.update(env)
    members = [Keypair.random().public_key for _ in range(8)]
    write_teye_state(teye.ws.root, environment_yaml(teye.emu.url, PASSPHRASE, teye.admin.public_key,
                                                    teye.new_admin.public_key,
                                                    channels=[(ch.public_key, f"TEYE_CH{i}")
                                                              for i, ch in enumerate(channels)]),
                     teye_yaml(teye.cid, teye.admin.public_key, whitelist=members, enabled=None, min_ttl=3_000_000))
    admin_seq, start = teye.emu.account_sequence(teye.admin.public_key), teye.emu.ledger
    res = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert res.exit_code == 0, res.output
    assert teye.emu.account_sequence(teye.admin.public_key) == admin_seq  # the admin is never the source
    for m in members:
        assert teye.contract.persistent("WL_ADR", m) == scval.to_bool(True)
    per_ledger: dict[int, int] = {}
    assert (teye.contract.instance_ttl() or 0) - teye.emu.ledger >= 3_000_000  # the extension, sent by a channel
    for ch in channels:
        landed = _landed_from(teye, ch.public_key, start)
        assert len({r["ledger"] for r in landed}) == len(landed) >= 1  # one per channel per ledger
        for r in landed:
            per_ledger[r["ledger"]] = per_ledger.get(r["ledger"], 0) + 1
            op = TransactionEnvelope.from_xdr(r["envelopeXdr"], PASSPHRASE).transaction.operations[0]
            if hasattr(op, "auth"):  # an invocation (not the ExtendFootprintTTL): the admin's signed entry
                assert op.auth and op.auth[0].credentials.address is not None
    assert sum(per_ledger.values()) == 9 and max(per_ledger.values()) >= 2  # several channels in one ledger
    again = teye.ws.run("plan", "teye-local", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    for secret in env.values():
        assert secret not in res.output


def test_an_unfunded_channel_is_noted_by_plan_and_left_out_by_apply(teye: Teye) -> None:
    funded, missing = Keypair.random(), Keypair.random()
    teye.emu.fund(funded.public_key)
    teye.ws.env.update({"TEYE_CH0": funded.secret, "TEYE_CH1": missing.secret})
    member = Keypair.random().public_key
    write_teye_state(teye.ws.root, environment_yaml(teye.emu.url, PASSPHRASE, teye.admin.public_key,
                                                    teye.new_admin.public_key,
                                                    channels=[(funded.public_key, "TEYE_CH0"),
                                                              (missing.public_key, "TEYE_CH1")]),
                     teye_yaml(teye.cid, teye.admin.public_key, whitelist=[member], enabled=None))
    plan = teye.ws.run("plan", "teye-local")
    assert f"channel {missing.public_key} of signer teye_admin does not exist" in plan.output, plan.output
    res = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert res.exit_code == 0, res.output
    assert teye.contract.persistent("WL_ADR", member) == scval.to_bool(True)


def test_a_step_the_rpc_keeps_refusing_is_not_maybe_sent_and_landed_ones_are_done(teye: Teye) -> None:
    """The first two sends land; every later one is answered TRY_AGAIN_LATER (a full queue). After
    INCLUSION_LEDGERS ledgers the apply stops: the two are reported done, the refused one is not "maybe sent"
    (nothing was queued) and nothing is left for the next apply to settle; that apply finishes the job."""
    members = [Keypair.random().public_key for _ in range(3)]
    teye.write(whitelist=members, enabled=None)
    teye.emu.faults.add("sendTransaction", "try_again_later", times=10_000, after=2)
    try:
        res = teye.ws.run("apply", "teye-local", "--auto-approve")
    finally:
        teye.emu.faults.clear()
    assert res.exit_code == 3, res.output
    assert res.output.count("  done: vision_records.whitelist[") == 2, res.output
    assert "TRY_AGAIN_LATER" in res.output and "nothing of this step was queued" in res.output
    assert "maybe sent" not in res.output and "txBAD_SEQ" not in res.output
    again = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert "Settling" not in again.output  # nothing was in doubt
    for m in members:
        assert teye.contract.persistent("WL_ADR", m) == scval.to_bool(True)


def _with_channels(teye: Teye, n: int, members: list[str]) -> list[Keypair]:
    channels = [Keypair.random() for _ in range(n)]
    for i, ch in enumerate(channels):
        teye.emu.fund(ch.public_key)
        teye.ws.env[f"TEYE_CH{i}"] = ch.secret
    write_teye_state(teye.ws.root, environment_yaml(teye.emu.url, PASSPHRASE, teye.admin.public_key,
                                                    teye.new_admin.public_key,
                                                    channels=[(ch.public_key, f"TEYE_CH{i}")
                                                              for i, ch in enumerate(channels)]),
                     teye_yaml(teye.cid, teye.admin.public_key, whitelist=members, enabled=None))
    return channels


def test_a_lost_send_answer_on_a_channel_is_settled_by_hash_within_the_apply(teye: Teye) -> None:
    """The first send is queued but its answer is lost; the retry of the same envelope meets DUPLICATE (still
    queued) or txBAD_SEQ (already applied): either way getTransaction by hash settles it, nothing is sent twice."""
    members = [Keypair.random().public_key for _ in range(3)]
    channels = _with_channels(teye, 2, members)
    seqs = {ch.public_key: teye.emu.account_sequence(ch.public_key) or 0 for ch in channels}
    teye.emu.faults.add("sendTransaction", "drop_after", times=1)
    res = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert res.exit_code == 0, res.output
    used = sum((teye.emu.account_sequence(a) or 0) - s for a, s in seqs.items())
    assert used == 3  # three transactions, each exactly once
    for m in members:
        assert teye.contract.persistent("WL_ADR", m) == scval.to_bool(True)


def test_a_send_that_never_arrives_on_a_channel_is_settled_by_the_next_apply(teye: Teye) -> None:
    """Every sendTransaction answer is garbage and nothing is queued: the steps stay "maybe sent" (journalled);
    the next apply settles each by its channel's sequence number — re-sending the identical envelope — and
    nothing lands twice."""
    members = [Keypair.random().public_key for _ in range(2)]
    channels = _with_channels(teye, 2, members)
    seqs = {ch.public_key: teye.emu.account_sequence(ch.public_key) or 0 for ch in channels}
    teye.emu.faults.add("sendTransaction", "garbage", times=1000)
    try:
        first = teye.ws.run("apply", "teye-local", "--auto-approve")
    finally:
        teye.emu.faults.clear()
    assert first.exit_code == 3, first.output
    assert "maybe sent (the next apply settles it)" in first.output
    assert all(teye.emu.account_sequence(a) == s for a, s in seqs.items())  # nothing landed
    second = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert second.exit_code == 0, second.output
    assert "settled vision_records.whitelist[" in second.output
    used = sum((teye.emu.account_sequence(a) or 0) - s for a, s in seqs.items())
    assert used == 2, second.output  # nothing sent twice
    for m in members:
        assert teye.contract.persistent("WL_ADR", m) == scval.to_bool(True)


def test_channels_are_validated(teye: Teye) -> None:
    ch = Keypair.random().public_key
    write_teye_state(teye.ws.root, environment_yaml(teye.emu.url, PASSPHRASE, teye.admin.public_key,
                                                    teye.new_admin.public_key,
                                                    channels=[(ch, "TEYE_CH0"), (ch, "TEYE_CH1"),
                                                              ("GNOTANADDRESS", "TEYE_CH2"),
                                                              (teye.new_admin.public_key, "TEYE_CH3")]),
                     teye_yaml(teye.cid, teye.admin.public_key))
    res = teye.ws.run("validate", "teye-local")
    assert res.exit_code == 1, res.output
    assert "listed twice" in res.output and "not a valid Stellar account address" in res.output
    assert "is the address of signer teye_new_admin" in res.output
    assert "Traceback" not in res.output


def test_the_rpc_failing_while_a_lane_waits_is_a_clear_stop_then_settled(teye: Teye) -> None:
    """getTransaction answers garbage while the first transaction waits for its ledger: the apply stops with one
    clear error, that transaction "maybe sent" (it did land), no traceback; the next apply settles it."""
    members = [Keypair.random().public_key for _ in range(2)]
    teye.write(whitelist=members, enabled=None)
    seq = teye.emu.account_sequence(teye.admin.public_key) or 0
    teye.emu.faults.add("getTransaction", "garbage", times=1000)
    try:
        first = teye.ws.run("apply", "teye-local", "--auto-approve")
    finally:
        teye.emu.faults.clear()
    assert first.exit_code == 3, first.output
    assert "getTransaction failed" in first.output and "maybe sent (the next apply settles it)" in first.output
    assert "Traceback" not in first.output
    second = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert second.exit_code == 0, second.output
    assert "settled vision_records.whitelist[" in second.output
    assert teye.emu.account_sequence(teye.admin.public_key) == seq + 2  # each landed once
