"""A flaky Soroban RPC: transient failures are retried; a broken one ends in one clear error, nothing sent."""

from __future__ import annotations

from tests.stellar.conftest import Teye


def test_transient_rpc_failures_are_retried(teye: Teye) -> None:
    teye.write(whitelist=[teye.others[0].public_key])
    teye.emu.faults.add("getLedgerEntries", "http500", times=2)
    teye.emu.faults.add("simulateTransaction", "drop", times=1)
    res = teye.ws.run("plan", "teye-local", "--detailed-exitcode")
    assert res.exit_code == 2, res.output
    assert "add_to_whitelist" in res.output and teye.emu.faults.pending() == 0


def test_a_broken_rpc_is_one_clear_error_and_nothing_is_sent(teye: Teye) -> None:
    teye.write(whitelist=[teye.others[0].public_key])
    seq = teye.emu.account_sequence(teye.admin.public_key)
    teye.emu.faults.add("getLedgerEntries", "garbage", times=10)
    try:
        res = teye.ws.run("apply", "teye-local", "--auto-approve")
    finally:
        teye.emu.faults.clear()
    assert res.exit_code == 1
    assert "Stellar RPC http://127.0.0.1" in res.output and "getLedgerEntries failed" in res.output
    assert "Traceback" not in res.output
    assert teye.emu.account_sequence(teye.admin.public_key) == seq
