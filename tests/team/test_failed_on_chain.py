"""A transaction that passes simulation but fails on chain (the state moved between the plan and the block)
stops the apply with a plain failure: the operator is told it FAILED and changed nothing, never that it is
done, and the next plan shows what remains."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from tests.conftest import Workspace
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.anvil import Anvil
from tests.support.contracts import call, contract, role_id
from tests.support.local_state import write_local_state


def _front_run_when_pending(anvil: Anvil, sender: str, tx: dict[str, Any], errors: list[str]) -> None:
    """Wait until `sender` has a transaction in the pool, then put `tx` before it (a higher tip) and mine."""
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            pool: Any = anvil.rpc("txpool_content")
            if any(a.lower() == sender.lower() for a in (pool.get("pending") or {})):
                break
            time.sleep(0.02)
        else:
            errors.append("tempoctl's transaction never reached the pool")
            return
        anvil.rpc("eth_sendTransaction", [tx])
        anvil.rpc("evm_mine", [])
    except Exception as exc:  # noqa: BLE001 - reported to the test thread
        errors.append(repr(exc))


def test_a_transaction_that_fails_on_chain_is_reported_failed_not_done(  # type: ignore[no-untyped-def]
        anvil: Anvil, chain, workspace: Workspace) -> None:
    folder = write_local_state(workspace.root / "state" / "local", chain)
    assert workspace.run("apply", "local", "--auto-approve").exit_code == 0
    tv = Path(folder) / "tempovault.yaml"
    tv.write_text(tv.read_text().replace("""      legacy-pair:
        id: "0x0000000000000000000000000000000000000000000000000000000000000001"
        broken: true""", """      legacy-pair:
        id: "0x0000000000000000000000000000000000000000000000000000000000000001"
        broken: false"""))

    # While tempoctl's reset (signed by the risk officer) waits in the pool, the admin revokes the risk
    # officer's role in the same block, ahead of it: simulation passed, the chain says no.
    revoke = contract(chain.url, chain.governance, "GovernanceRoles").functions.revokeRole(
        role_id("RISK_OFFICER"), A[1])._encode_transaction_data()
    front = {"from": A[0], "to": chain.governance, "data": revoke, "gas": hex(200_000),
             "maxPriorityFeePerGas": hex(500 * 10**9), "maxFeePerGas": hex(1000 * 10**9)}
    errors: list[str] = []
    anvil.rpc("evm_setAutomine", [False])
    try:
        runner = threading.Thread(target=_front_run_when_pending, args=(anvil, A[1], front, errors), daemon=True)
        runner.start()
        r = workspace.run("apply", "local", "--auto-approve")
        runner.join(timeout=130)
    finally:
        anvil.rpc("evm_setAutomine", [True])
    assert errors == []
    assert r.exit_code == 1, r.output  # nothing changed but a nonce: a failure, not a partial apply
    assert "1 transaction(s) failed on chain: risk.circuit_breaker[legacy-pair]" in r.stderr, r.stderr
    assert "FAILED on chain (nothing changed): risk.circuit_breaker[legacy-pair]" in r.stderr
    assert "done: risk.circuit_breaker[legacy-pair]" not in r.stderr
    legacy = b"\x00" * 31 + b"\x01"
    assert call(chain.url, chain.risk, "RiskController", "pairCircuitBroken", legacy) is True

    # The next plan restores the declared role first, then resets the breaker; apply converges.
    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert f"governance.role.RISK_OFFICER[{A[1]}]" in r.output
    assert "Re-plan after apply: no changes" in r.output
    assert call(chain.url, chain.risk, "RiskController", "pairCircuitBroken", legacy) is False
