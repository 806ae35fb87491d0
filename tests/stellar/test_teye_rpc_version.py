"""An RPC too old for stellar-sdk 16.1.1 (getLatestLedger's closeTime/headerXdr/metadataXdr arrived in Stellar RPC
v25.0.0) is refused first, with one clear error that names the minimum; nothing is read or sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stellar.conftest import Teye


@pytest.fixture
def old_rpc(teye: Teye) -> Iterator[Teye]:
    before = teye.emu.rpc_version
    teye.emu.rpc_version = "24.0.0"
    try:
        yield teye
    finally:
        teye.emu.rpc_version = before


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_an_rpc_older_than_v25_is_one_clear_error(old_rpc: Teye, command: str) -> None:
    teye = old_rpc
    teye.write(whitelist=[teye.others[0].public_key])
    seq = teye.emu.account_sequence(teye.admin.public_key)
    args = ["apply", "teye-local", "--auto-approve"] if command == "apply" else ["plan", "teye-local"]
    res = teye.ws.run(*args)
    assert res.exit_code == 1, res.output
    assert "runs version 24.0.0" in res.output and "needs Stellar RPC 25.0.0 or newer" in res.output
    assert "Traceback" not in res.output and "ValidationError" not in res.output
    assert teye.emu.account_sequence(teye.admin.public_key) == seq


def test_a_current_rpc_passes_the_check(teye: Teye) -> None:
    teye.write(whitelist=[teye.others[0].public_key])
    res = teye.ws.run("plan", "teye-local", "--detailed-exitcode")
    assert res.exit_code == 2, res.output
    assert teye.emu.calls["getVersionInfo"] >= 1
