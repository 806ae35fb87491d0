"""`plan --fork` on a real anvil: every EVM step of the demo plan runs in order on a fork at the pinned block
(dependent steps included), with gas and decoded events, and the re-plan on the fork is empty; a step that
reverts only after an earlier one has run is shown reverting at plan time; the fork never outlives the plan."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Workspace
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.contracts import call
from tests.support.local_state import tempovault_yaml, write_local_state


def fork_processes(url: str) -> list[int]:
    """PIDs of live anvil processes forking `url` (read from /proc: what `ps` shows)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"--fork-url" in argv and url.encode() in argv and state != "Z":
            out.append(int(entry.name))
    return out


@pytest.fixture
def private_tmp(tmp_path: Path) -> Iterator[Path]:
    """tempfile's folder for this test alone, to see that the fork's folder is removed."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    old = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = old


def plan_json(ws: Workspace, *extra: str) -> dict[str, Any]:
    r = ws.run("plan", "local", "--format", "json", *extra)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def evm_steps(plan: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(c["address"], s) for c in plan["changes"] for s in c["steps"] if s["kind"] == "evm_transaction"]


def test_demo_fork_plan_runs_every_step_in_order_and_converges(chain, workspace: Workspace,  # type: ignore[no-untyped-def]
                                                               private_tmp: Path) -> None:
    write_local_state(workspace.root / "state" / "local", chain)
    plain = workspace.run("plan", "local")
    assert "simulated: skipped (runs after governance.role.RISK_OFFICER" in plain.output  # today's plan
    before = plan_json(workspace)

    plan = plan_json(workspace, "--fork")
    assert plan["fingerprint"] == before["fingerprint"]  # fork results are evidence, not approved content
    steps = evm_steps(plan)
    assert len(steps) == 14
    block = plan["observed"]["anvil"]["block"]
    for address, step in steps:
        assert step["fork"]["status"] == "ok", (address, step["fork"])
        assert step["fork"]["block"] == block and step["fork"]["gas"] > 21000
    by_address = dict(steps)
    breaker = by_address["risk.circuit_breaker[legacy-pair]"]
    assert breaker["simulation"]["status"] == "skipped"  # alone it cannot run; in order on the fork it does
    assert breaker["fork"]["events"] == [
        f"CircuitBreakerTriggered(0x{'00' * 31}01, {A[1]})"]
    assert by_address[f"governance.role.RISK_OFFICER[{A[1]}]"]["fork"]["events"] == [
        f"RoleGranted(RISK_OFFICER, {A[1]}, {A[0]})"]
    assert by_address[f"governance.role.EMERGENCY[{A[0]}]"]["fork"]["events"] == [
        f"RoleRevoked(EMERGENCY, {A[0]}, {A[0]})"]
    assert plan["fork"]["networks"]["anvil"] == {"block": block, "steps": 14, "ok": 14, "revert": 0, "error": 0}
    assert plan["fork"]["after"]["changes"] == []
    assert "no Tempo fee-token precompile" in plan["fork"]["gas"]

    text = workspace.run("plan", "local", "--fork").output
    assert "simulated: skipped" not in text
    assert text.count(f"simulated on fork @ block {block}: ok") == 14
    assert f"event: RoleGranted(RISK_OFFICER, {A[1]}, {A[0]})" in text
    assert "After this plan: no changes (EVM part" in text
    assert "Fork gas: anvil's gas" in text
    md = workspace.run("plan", "local", "--fork", "--format", "markdown").output
    assert "**After this plan: no changes**" in md and "fork ok," in md and "14 ok, 0 revert" in md

    # Nothing was sent to the real chain, the fork is gone, and so is its folder.
    assert call(chain.url, chain.risk, "RiskController", "maxTickDeviation") == 200
    assert fork_processes(chain.url) == []
    assert list(private_tmp.iterdir()) == []

    # A saved fork plan is still exactly what apply rebuilds and runs.
    r = workspace.run("plan", "local", "--fork", "--out", "plans/local.json")
    assert r.exit_code == 0, r.output
    saved = json.loads((workspace.root / "plans" / "local.json").read_text())
    assert saved["fork"]["after"]["changes"] == [] and "fork" in saved["changes"][0]["steps"][0]
    r = workspace.run("apply", "plans/local.json", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert "Re-plan after apply: no changes" in r.output
    assert call(chain.url, chain.risk, "RiskController", "maxTickDeviation") == 150
    converged = plan_json(workspace, "--fork")
    assert "fork" not in converged and "--fork: nothing to run on a fork (no EVM step in this plan)" in converged["notes"]


OFFBOARDING = """  offboarding:
    network: anvil
    address: "{governance}"
    profile: custom
    signer: admin
    settings:
      risk_officers:
        read: "getRoleMemberCount(bytes32)(uint256)"
        write: "revokeRole(bytes32,address)"
        key: "{risk_officer}"
        value: "{member}"
"""


def test_step_that_reverts_only_after_an_earlier_step_shows_at_plan_time(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    """A custom setting (opaque to tempoctl's ordering) revokes RISK_OFFICER from the risk officer after the plan
    grants it and before the risk officer trips a breaker. Alone at the pinned block the breaker step cannot
    run and today's plan says `skipped`; in order on the fork it reverts, at plan time, and the re-plan on the
    fork lists what would remain."""
    from eth_utils.crypto import keccak

    folder = write_local_state(workspace.root / "state" / "local", chain)
    offboarding = OFFBOARDING.format(governance=chain.governance, member=A[1],
                                     risk_officer="0x" + keccak(text="RISK_OFFICER").hex())
    (folder / "tempovault.yaml").write_text(tempovault_yaml(chain).replace("contracts:\n", "contracts:\n" + offboarding, 1))
    breaker, grant, revoke = ("risk.circuit_breaker[legacy-pair]", f"governance.role.RISK_OFFICER[{A[1]}]",
                              "offboarding.setting[risk_officers]")

    plain = plan_json(workspace)
    order = [c["address"] for c in plain["changes"]]
    assert order.index(grant) < order.index(revoke) < order.index(breaker)
    assert dict(evm_steps(plain))[breaker]["simulation"]["status"] == "skipped"
    assert "simulated: skipped" in workspace.run("plan", "local").output

    r = workspace.run("plan", "local", "--fork", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    forked = dict(evm_steps(doc))
    assert forked[grant]["fork"]["status"] == "ok" and forked[revoke]["fork"]["status"] == "ok"
    assert forked[revoke]["fork"]["events"] == [f"RoleRevoked(RISK_OFFICER, {A[1]}, {A[0]})"]
    assert forked[breaker]["fork"]["status"] == "revert"
    assert forked[breaker]["fork"]["error"] == f"Unauthorized({A[1]}, RISK_OFFICER)"
    assert doc["fork"]["networks"]["anvil"]["revert"] == 2  # the breaker and the risk params, both risk_officer's
    left = [c["address"] for c in doc["fork"]["after"]["changes"]]
    assert grant in left and breaker in left

    out = workspace.run("plan", "local", "--fork").output
    assert f"REVERTS Unauthorized({A[1]}, RISK_OFFICER)" in out
    assert "simulated: skipped" not in out
    assert "change(s) would remain" in out and "does not converge" in out
    assert "2 step(s) revert on the fork" in out
    md = workspace.run("plan", "local", "--fork", "--format", "markdown").output
    assert f"**❌ REVERTS on fork** `Unauthorized({A[1]}, RISK_OFFICER)`" in md
    assert "**2 step(s) revert on the fork**" in md and "change(s) would remain**" in md


def test_fork_is_stopped_when_the_plan_fails(chain, workspace: Workspace, private_tmp: Path,  # type: ignore[no-untyped-def]
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """An error after the fork started (here: the re-plan on the fork) still stops and removes it."""
    from tempoctl.plan.fork import after

    seen: list[list[int]] = []

    def boom(*args: Any, **kwargs: Any) -> None:
        seen.append(fork_processes(chain.url))
        raise KeyboardInterrupt  # what Ctrl-C raises in the middle of the fork run

    monkeypatch.setattr(after, "remaining_changes", boom)
    write_local_state(workspace.root / "state" / "local", chain)
    r = workspace.run("plan", "local", "--fork")
    assert r.exit_code == 1 and "Interrupted." in r.stderr
    assert len(seen) == 1 and seen[0]  # it was running when the run was interrupted
    assert fork_processes(chain.url) == []
    assert list(private_tmp.iterdir()) == []


def test_fork_default_from_the_state_files_and_no_fork(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    folder = write_local_state(workspace.root / "state" / "local", chain)
    env = (folder / "environment.yaml").read_text()
    (folder / "environment.yaml").write_text(env.replace("    type: evm\n", "    type: evm\n    fork: true\n"))
    assert "fork" in plan_json(workspace)
    assert "fork" not in plan_json(workspace, "--no-fork")


def test_missing_anvil_is_a_clear_error(chain, workspace: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_local_state(workspace.root / "state" / "local", chain)
    workspace.env["TEMPOCTL_ANVIL"] = str(tmp_path / "no-such-anvil")
    r = workspace.run("plan", "local", "--fork")
    assert r.exit_code == 1
    assert "TEMPOCTL_ANVIL names" in r.stderr and "@foundry-rs/anvil" in r.stderr
    assert "Traceback" not in r.output


def test_anvil_found_on_path_when_not_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tempoctl.plan.fork.node import AnvilNotFound, find_anvil

    monkeypatch.delenv("TEMPOCTL_ANVIL", raising=False)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "anvil"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setattr("tempoctl.plan.fork.node.Path.resolve", lambda self: tmp_path / "a" / "b" / "c" / "d")
    monkeypatch.setenv("PATH", str(bin_dir))
    assert find_anvil(tmp_path) == str(fake)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(AnvilNotFound) as e:
        find_anvil(tmp_path)
    assert "npm install -g @foundry-rs/anvil" in (e.value.hint or "")
    assert os.environ["PATH"] == str(tmp_path / "empty")


# -- Safe batches -------------------------------------------------------------------------------------------------

def _safe_environment(ws: Workspace, chain: Any, safe: str) -> None:  # type: ignore[misc]
    from tests.test_safe_batches import SAFE, safe_state

    safe_state(ws, chain)
    for name in ("environment.yaml", "tempovault.yaml"):
        path = ws.root / "state" / "local" / name
        path.write_text(path.read_text().replace(SAFE, safe))
    del ws.env["LOCAL_ADMIN_KEY"]  # nothing is signed for the Safe, on the fork either


def test_safe_batch_runs_through_the_safe_on_the_fork(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    """A 2-of-2 Safe administers governance: on the fork its steps go through its own execTransaction (threshold
    set to 1 there), the grants take effect as the Safe's, the risk officer's breaker step that needs them runs
    after them, and nothing is left; the live Safe and roles are untouched."""
    from tests.support.contracts import deploy, grant_role, role_id

    safe = deploy(chain.url, "SafeMultisig", [A[5], A[7]], 2)
    grant_role(chain.url, chain.governance, "ADMIN", safe)
    _safe_environment(workspace, chain, safe)

    plan = plan_json(workspace, "--fork")
    steps = evm_steps(plan)
    via_safe = [(a, s) for a, s in steps if s.get("via") == "safe"]
    assert len(via_safe) >= 4
    for address, step in via_safe:
        assert step["fork"]["status"] == "ok", (address, step["fork"])
        assert step["fork"]["note"] == f"through the Safe's execTransaction (owner {A[5]}, threshold set to 1 on the fork)"
        assert step["fork"]["events"][-1].startswith("ExecutionSuccess(0x")
    grant = dict(via_safe)[f"governance.role.RISK_OFFICER[{A[1]}]"]
    assert grant["fork"]["events"][0] == f"RoleGranted(RISK_OFFICER, {A[1]}, {safe})"  # msg.sender is the Safe
    revoke = dict(via_safe)[f"governance.role.ADMIN[{A[0]}]"]
    assert revoke["fork"]["events"][0] == f"RoleRevoked(ADMIN, {A[0]}, {safe})"
    breaker = dict(steps)["risk.circuit_breaker[legacy-pair]"]
    assert breaker["simulation"]["status"] == "skipped" and breaker["fork"]["status"] == "ok"
    assert plan["fork"]["after"]["changes"] == []

    text = workspace.run("plan", "local", "--fork").output
    assert "through the Safe's execTransaction" in text and "After this plan: no changes" in text
    assert call(chain.url, safe, "SafeMultisig", "getThreshold") == 2
    assert call(chain.url, chain.governance, "GovernanceRoles", "hasRole", role_id("RISK_OFFICER"), A[1]) is False


def test_safe_address_without_code_is_sent_from_the_address(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    from tests.support.contracts import grant_role
    from tests.test_safe_batches import SAFE

    grant_role(chain.url, chain.governance, "ADMIN", SAFE)
    _safe_environment(workspace, chain, SAFE)
    plan = plan_json(workspace, "--fork")
    via_safe = [s for _, s in evm_steps(plan) if s.get("via") == "safe"]
    assert via_safe and all(s["fork"]["status"] == "ok" for s in via_safe)
    assert {s["fork"]["note"] for s in via_safe} == {
        "sent from the Safe's address: no Safe contract code there on the fork"}
    assert plan["fork"]["after"]["changes"] == []


# -- the demo environment with its Soroban part -------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def test_demo_state_labels_soroban_steps_not_fork_simulated(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    """The repository's own state/local (EVM and Teye parts): the EVM steps run on the fork, the Soroban ones
    are labelled `not fork-simulated`, and the EVM part converges."""
    from tests.soroban import start_emulator
    from tests.support.teye_demo import PASSPHRASE, contract_id, keypair

    folder = workspace.root / "state" / "local"
    folder.mkdir(parents=True)
    for name in ("environment.yaml", "tempovault.yaml", "teye.yaml"):  # hosts and backups need their services
        (folder / name).write_text((REPO / "state" / "local" / name).read_text())
    with start_emulator(PASSPHRASE) as emu:
        emu.fund(keypair("admin").public_key)
        emu.deploy_vision_records(contract_id=contract_id(), admin=keypair("admin").public_key,
                                  instance_ttl=emu.ledger + 200_000)
        workspace.env.update(TEMPOCTL_LOCAL_RPC=chain.url, TEYE_LOCAL_RPC=emu.url,
                             LOCAL_TEYE_ADMIN_SECRET=keypair("admin").secret)
        plan = plan_json(workspace, "--fork")
        text = workspace.run("plan", "local", "--fork").output
    soroban = [s for c in plan["changes"] for s in c["steps"] if s["kind"] == "soroban_invocation"]
    assert soroban and all(s["fork"] == {"status": "not_simulated", "note": "not fork-simulated (Soroban step)"}
                           for s in soroban)
    assert all(s["fork"]["status"] == "ok" for _, s in evm_steps(plan))
    assert "not fork-simulated (Soroban step)" in text
    assert "After this plan: no changes (EVM part" in text


def test_targeted_fork_plan_is_judged_on_its_targets(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    """`--target` runs the target and what it depends on; what would remain is told for the targets only (the
    rest of the environment is not in this plan, so its changes are not a finding of it)."""
    write_local_state(workspace.root / "state" / "local", chain)
    plan = plan_json(workspace, "--fork", "--target", "risk.circuit_breaker[legacy-pair]")
    assert [a for a, _ in evm_steps(plan)] == [f"governance.role.RISK_OFFICER[{A[1]}]", "risk.circuit_breaker[legacy-pair]"]
    assert all(s["fork"]["status"] == "ok" for _, s in evm_steps(plan))
    assert plan["fork"]["after"]["changes"] == []
