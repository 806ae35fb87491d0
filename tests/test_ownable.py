"""Profile `ownable` end to end on a real anvil: OpenZeppelin Ownable2Step and one-step Ownable fixtures are
handed over by plan + apply, the re-plan is empty, and the refusals hold."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Workspace
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.contracts import call, deploy
from tests.support.local_state import write_local_state

ZERO = "0x0000000000000000000000000000000000000000"


def _state(ws: Workspace, chain, contract: str, owner: str, extra: str = "") -> Path:  # type: ignore[no-untyped-def]
    folder = write_local_state(ws.root / "state" / "local", chain)
    (folder / "owned.yaml").write_text(f"""contracts:
  owned:
    network: anvil
    address: "{contract}"
    profile: ownable
    owner: "{owner}"
{extra}""")
    return folder


def _plan(ws: Workspace) -> dict:  # type: ignore[type-arg]
    r = ws.run("plan", "local", "--format", "json", "--target", "owned")
    assert r.exit_code == 0, r.output + r.stderr
    return json.loads(r.stdout)


def _apply(ws: Workspace) -> None:
    r = ws.run("apply", "local", "--auto-approve", "--target", "owned")
    assert r.exit_code == 0, r.output + r.stderr


def test_two_step_transfer_is_proposed_then_accepted(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    owned = deploy(chain.url, "OwnedTwoStep", A[0])
    _state(workspace, chain, owned, A[1])  # risk_officer: a declared signer accepts
    plan = _plan(workspace)
    got = [(c["address"], [(s["display"], s["signer"]) for s in c["steps"]]) for c in plan["changes"]]
    assert got == [("owned.pending_owner", [(f"transferOwnership({A[1]})", "admin")]),
                   ("owned.owner", [("acceptOwnership()", "risk_officer")])]
    _apply(workspace)
    assert call(chain.url, owned, "OwnedTwoStep", "owner") == A[1]
    assert call(chain.url, owned, "OwnedTwoStep", "pendingOwner") == ZERO
    assert _plan(workspace)["changes"] == []


def test_one_step_transfer_only_to_a_declared_signer(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    owned = deploy(chain.url, "OwnedOneStep", A[0])
    folder = _state(workspace, chain, owned, A[7])  # nobody tempoctl knows
    r = workspace.run("plan", "local", "--target", "owned")
    assert r.exit_code != 0
    assert "refusing a one-step ownership transfer of owned" in r.output + r.stderr
    assert call(chain.url, owned, "OwnedOneStep", "owner") == A[0]

    (folder / "owned.yaml").write_text((folder / "owned.yaml").read_text().replace(A[7], A[2]))  # emergency
    plan = _plan(workspace)
    assert [(c["address"], c["steps"][0]["display"]) for c in plan["changes"]] == [
        ("owned.owner", f"transferOwnership({A[2]})")]
    _apply(workspace)
    assert call(chain.url, owned, "OwnedOneStep", "owner") == A[2]
    assert _plan(workspace)["changes"] == []


def test_renounce_needs_allow_renounce(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    owned = deploy(chain.url, "OwnedTwoStep", A[0])
    folder = _state(workspace, chain, owned, ZERO)
    r = workspace.run("validate", "state/local")
    assert r.exit_code != 0
    assert "owned.yaml" in r.output + r.stderr and "allow_renounce: true" in r.output + r.stderr

    _state(workspace, chain, owned, ZERO, "    allow_renounce: true\n")
    assert folder.exists()
    _apply(workspace)
    assert call(chain.url, owned, "OwnedTwoStep", "owner") == ZERO
    assert _plan(workspace)["changes"] == []
