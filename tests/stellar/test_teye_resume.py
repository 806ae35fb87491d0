"""An apply that died around a Soroban send is settled by the next apply: the identical signed envelope is
sent again only when its sequence number is still free, so it lands exactly once."""

from __future__ import annotations

from click.testing import Result

from tests.stellar.conftest import Teye


def _apply_while_send_fails(teye: Teye, fault: str) -> tuple[str, int, Result]:
    """Apply one whitelist addition while every sendTransaction meets `fault`."""
    m1 = teye.others[0].public_key
    teye.write(whitelist=[m1], enabled=None)
    seq = teye.emu.account_sequence(teye.admin.public_key)
    assert seq is not None
    teye.emu.faults.add("sendTransaction", fault, times=20)
    try:
        return m1, seq, teye.ws.run("apply", "teye-local", "--auto-approve")
    finally:
        teye.emu.faults.clear()


def test_a_signed_but_unsent_transaction_is_resent_once_by_the_next_apply(teye: Teye) -> None:
    m1, seq, first = _apply_while_send_fails(teye, "garbage")
    assert first.exit_code == 3 and "sendTransaction failed" in first.output
    assert "maybe sent (the next apply settles it): vision_records.whitelist[" in first.output
    assert teye.emu.account_sequence(teye.admin.public_key) == seq  # signed, journalled, never applied

    second = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert second.exit_code == 0, second.output
    assert "Settling 1 transaction(s)" in second.output and "settled vision_records.whitelist[" in second.output
    assert "Nothing to apply" in second.output or "No changes" in second.output
    assert teye.emu.account_sequence(teye.admin.public_key) == seq + 1  # exactly one transaction landed
    assert teye.contract.view("is_whitelisted", m1) is True


def test_a_sent_transaction_whose_answer_was_lost_is_settled_not_resent(teye: Teye) -> None:
    """Every answer to sendTransaction is lost, but the transaction was queued: apply watches its hash, finds
    it in a ledger and finishes; the next apply has nothing to settle or send."""
    m1, seq, first = _apply_while_send_fails(teye, "drop_after")
    assert first.exit_code == 0, first.output
    assert teye.emu.account_sequence(teye.admin.public_key) == seq + 1  # it did land, once

    second = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert second.exit_code == 0, second.output
    assert "Settling" not in second.output
    assert teye.emu.account_sequence(teye.admin.public_key) == seq + 1, second.output  # nothing sent twice
    assert teye.contract.view("is_whitelisted", m1) is True
