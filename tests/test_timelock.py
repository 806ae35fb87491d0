"""Profile `timelock` end to end on a real anvil: an OpenZeppelin TimelockController administers itself, so a
delay or role change is scheduled by one apply, shown as a wait with its ready time, and executed by a later
apply once anvil's clock has passed the delay; then the plan is empty."""

from __future__ import annotations

import json

from tests.conftest import Workspace
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.contracts import call, deploy
from tests.support.local_state import write_local_state

ZERO = "0x0000000000000000000000000000000000000000"


def _plan(ws: Workspace) -> dict:  # type: ignore[type-arg]
    r = ws.run("plan", "local", "--format", "json", "--target", "timelock")
    assert r.exit_code == 0, r.output + r.stderr
    return json.loads(r.stdout)


def _apply(ws: Workspace) -> str:
    r = ws.run("apply", "local", "--auto-approve", "--target", "timelock")
    assert r.exit_code == 0, r.output + r.stderr
    return str(r.output)


def test_change_is_scheduled_waits_for_the_delay_then_executes(anvil, chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    start = int(str(anvil.rpc("eth_blockNumber")), 16)
    lock = deploy(chain.url, "Timelock", 60, [A[0]], [A[0]], ZERO)
    folder = write_local_state(workspace.root / "state" / "local", chain)
    (folder / "timelock.yaml").write_text(f"""contracts:
  timelock:
    network: anvil
    address: "{lock}"
    profile: timelock
    signer: admin
    from_block: {start}
    min_delay: 120
    proposers: ["{A[0]}", "{A[1]}"]
    executors: ["{A[0]}"]
    cancellers: ["{A[0]}"]
""")
    plan = _plan(workspace)
    [op] = plan["changes"]
    assert op["address"] == "timelock.operation" and not op.get("pending")
    assert op["before"] == {"min_delay": 60, "proposers": [A[0]]}
    assert op["after"] == {"min_delay": 120, "proposers": [A[0], A[1]]}
    [step] = op["steps"]
    assert step["signer"] == "admin" and step["display"].startswith("scheduleBatch(updateDelay(120); grantRole(PROPOSER")
    _apply(workspace)
    assert call(chain.url, lock, "Timelock", "getMinDelay") == 60  # scheduled, not executed

    # Before the delay: the plan shows the wait with its ready time, and apply sends nothing.
    [op] = _plan(workspace)["changes"]
    assert op["pending"] is True and op["steps"] == []
    assert op["note"].startswith("waiting until ")
    text = workspace.run("plan", "local", "--target", "timelock").output
    assert "# (waiting until " in text
    _apply(workspace)
    assert call(chain.url, lock, "Timelock", "getMinDelay") == 60

    anvil.rpc("evm_increaseTime", [61])
    anvil.rpc("evm_mine", [])
    [op] = _plan(workspace)["changes"]
    assert not op.get("pending") and op["steps"][0]["display"].startswith("executeBatch(")
    _apply(workspace)
    assert call(chain.url, lock, "Timelock", "getMinDelay") == 120
    proposer = call(chain.url, lock, "Timelock", "PROPOSER_ROLE")
    assert call(chain.url, lock, "Timelock", "hasRole", proposer, A[1]) is True
    assert _plan(workspace)["changes"] == []
