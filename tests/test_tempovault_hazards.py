"""TempoVault hazards an operator trips over (issue 13, item 7), end to end on a real anvil: each plan does
what the YAML says, apply lands it, and the re-plan is empty."""

from __future__ import annotations

import json
from pathlib import Path

from tempoctl.plan.model import Action, Change, Step
from tempoctl.plan.order import add_ordering_edges, order
from tests.conftest import Workspace
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.contracts import call, send

OTHER_TOKEN = "0x20c0000000000000000000000000000000000001"  # AlphaUSD's address: any address can be whitelisted
OTHER_TOKEN_CS = "0x20C0000000000000000000000000000000000001"


def _plan_json(ws: Workspace, *extra: str) -> dict:  # type: ignore[type-arg]
    r = ws.run("plan", "local", "--format", "json", *extra)
    assert r.exit_code == 0, r.output + r.stderr
    return json.loads(r.stdout)


def _converge(ws: Workspace) -> None:
    r = ws.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output + r.stderr
    assert "Re-plan after apply: no changes" in r.output
    assert _plan_json(ws)["changes"] == []


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "tempovault.yaml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


# --- 1. approvals the lists no longer name are revoked -------------------------------------------------


def test_removed_and_out_of_band_approvals_are_revoked(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    from tests.support.local_state import write_local_state

    folder = write_local_state(workspace.root / "state" / "local", chain)
    _converge(workspace)
    assert call(chain.url, chain.vault, "TreasuryVault", "approvedStrategies", A[5]) is True
    # A token approved from a console, and one approved then withdrawn again (the logs name it, the getter
    # says no: not live state, nothing to do).
    send(chain.url, chain.vault, "TreasuryVault", "setApprovedToken", OTHER_TOKEN_CS, True)
    send(chain.url, chain.vault, "TreasuryVault", "setApprovedToken", A[9], True)
    send(chain.url, chain.vault, "TreasuryVault", "setApprovedToken", A[9], False)
    # The operator drops the strategy from the YAML.
    _edit(folder, f'approved_strategies: ["{A[5]}"]', "approved_strategies: []")

    plan = _plan_json(workspace)
    got = {c["address"]: c for c in plan["changes"]}
    assert set(got) == {f"vault.approved_token[{OTHER_TOKEN_CS}]", f"vault.approved_strategy[{A[5]}]"}
    token = got[f"vault.approved_token[{OTHER_TOKEN_CS}]"]
    assert token["action"] == "delete" and token["reason"] == "not declared"
    assert token["steps"][0]["display"] == f"setApprovedToken({OTHER_TOKEN_CS}, false)"
    assert token["steps"][0]["signer"] == "admin" and token["simulation"][0]["status"] == "ok"
    assert got[f"vault.approved_strategy[{A[5]}]"]["steps"][0]["display"] == f"setApprovedStrategy({A[5]}, false)"
    assert workspace.run("drift", "local").exit_code == 2

    _converge(workspace)
    assert call(chain.url, chain.vault, "TreasuryVault", "approvedTokens", OTHER_TOKEN_CS) is False
    assert call(chain.url, chain.vault, "TreasuryVault", "approvedStrategies", A[5]) is False
    assert call(chain.url, chain.vault, "TreasuryVault", "approvedTokens", chain.fee_token) is True


def test_unlisted_approval_under_warn_is_drift_not_a_change(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    from tests.support.local_state import write_local_state

    folder = write_local_state(workspace.root / "state" / "local", chain)
    _converge(workspace)
    send(chain.url, chain.vault, "TreasuryVault", "setApprovedToken", OTHER_TOKEN_CS, True)
    _edit(folder, "    from_block:", "    unlisted_approvals: warn\n    from_block:")
    plan = _plan_json(workspace)
    assert plan["changes"] == []
    assert [(d["address"], d["kind"]) for d in plan["drift"]] == [
        (f"vault.approved_token[{OTHER_TOKEN_CS}]", "unlisted_approval")]
    assert workspace.run("drift", "local").exit_code == 2
    assert call(chain.url, chain.vault, "TreasuryVault", "approvedTokens", OTHER_TOKEN_CS) is True


# --- 4. the live role admin chooses who grants; an undeclared role admin is restored to ADMIN -----------


def _change(plan: dict, address: str) -> dict:  # type: ignore[type-arg]
    return next(c for c in plan["changes"] if c["address"] == address)


def test_role_admin_chooses_the_signer_and_removing_role_admins_restores_admin(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    from tests.support.contracts import role_id
    from tests.support.local_state import write_local_state

    folder = write_local_state(workspace.root / "state" / "local", chain)
    # governance has `signer: admin`; STRATEGIST is to be administered by RISK_OFFICER (held by risk_officer).
    _edit(folder, "    unlisted_members: revoke", "    role_admins: {STRATEGIST: RISK_OFFICER}\n    unlisted_members: revoke")
    plan = _plan_json(workspace)
    admin_change = _change(plan, "governance.role_admin.STRATEGIST")
    grant = _change(plan, f"governance.role.STRATEGIST[{A[4]}]")
    # Granted while ADMIN still administers STRATEGIST, by ADMIN, and before the admin changes.
    assert grant["steps"][0]["signer"] == "admin"
    assert grant["address"] in admin_change["depends_on"]
    _converge(workspace)
    assert call(chain.url, chain.governance, "GovernanceRoles", "getRoleAdmin", role_id("STRATEGIST")) == role_id(
        "RISK_OFFICER")

    # Now only a RISK_OFFICER holder can grant or revoke STRATEGIST: not the contract's `signer: admin`.
    _edit(folder, f'STRATEGIST: ["{A[4]}"]', f'STRATEGIST: ["{A[8]}"]')
    plan = _plan_json(workspace)
    assert {c["address"] for c in plan["changes"]} == {
        f"governance.role.STRATEGIST[{A[8]}]", f"governance.role.STRATEGIST[{A[4]}]"}
    for c in plan["changes"]:
        assert c["steps"][0]["signer"] == "risk_officer", c
        assert c["simulation"][0]["status"] == "ok", c["simulation"]
    _converge(workspace)
    assert call(chain.url, chain.governance, "GovernanceRoles", "hasRole", role_id("STRATEGIST"), A[8]) is True
    assert call(chain.url, chain.governance, "GovernanceRoles", "hasRole", role_id("STRATEGIST"), A[4]) is False

    # Dropping role_admins restores OpenZeppelin's default: ADMIN administers STRATEGIST again.
    _edit(folder, "    role_admins: {STRATEGIST: RISK_OFFICER}\n", "")
    plan = _plan_json(workspace)
    [restore] = plan["changes"]
    assert restore["address"] == "governance.role_admin.STRATEGIST" and restore["action"] == "update"
    assert (restore["before"], restore["after"]) == ("RISK_OFFICER", "ADMIN")
    assert restore["steps"][0]["display"] == "setRoleAdmin(STRATEGIST, ADMIN)"
    assert workspace.run("drift", "local").exit_code == 2
    _converge(workspace)
    assert call(chain.url, chain.governance, "GovernanceRoles", "getRoleAdmin", role_id("STRATEGIST")) == bytes(32)


def test_out_of_band_role_admin_is_restored_before_grants_nobody_else_could_send(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    from tests.support.contracts import role_id
    from tests.support.local_state import write_local_state

    folder = write_local_state(workspace.root / "state" / "local", chain)
    _converge(workspace)
    # From a console: TREASURY_MANAGER (held by no declared signer) now administers STRATEGIST.
    send(chain.url, chain.governance, "GovernanceRoles", "setRoleAdmin", role_id("STRATEGIST"),
         role_id("TREASURY_MANAGER"))
    _edit(folder, f'STRATEGIST: ["{A[4]}"]', f'STRATEGIST: ["{A[4]}", "{A[8]}"]')
    plan = _plan_json(workspace)
    restore = _change(plan, "governance.role_admin.STRATEGIST")
    grant = _change(plan, f"governance.role.STRATEGIST[{A[8]}]")
    assert (restore["before"], restore["after"]) == ("TREASURY_MANAGER", "ADMIN")
    # No signer can act as TREASURY_MANAGER, so the admin is restored first and ADMIN grants after it.
    assert grant["depends_on"] == ["governance.role_admin.STRATEGIST"]
    assert grant["steps"][0]["signer"] == "admin"
    _converge(workspace)
    assert call(chain.url, chain.governance, "GovernanceRoles", "hasRole", role_id("STRATEGIST"), A[8]) is True


# --- 5. a signer's own revocation waits for every step it signs that may need the role ------------------


def test_own_non_admin_role_is_revoked_only_after_the_step_that_needs_it(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    from tempoctl.apply.runner import waves
    from tempoctl.plan.model import Plan
    from tests.support.contracts import role_id
    from tests.support.local_state import write_local_state

    folder = write_local_state(workspace.root / "state" / "local", chain)
    _edit(folder, f'EMERGENCY: ["{A[2]}"]', f'EMERGENCY: ["{A[2]}", "{A[7]}"]')
    _converge(workspace)
    # Retire the emergency signer's key and pause in the same change. The pause is signed by `emergency`,
    # the only declared signer holding EMERGENCY; its revocation is signed by `admin`. Nothing else orders
    # them (no grant of EMERGENCY to wait for): without the rule both go out in the same wave, from two
    # senders, and on a real chain the revocation can be mined first, so the pause reverts.
    _edit(folder, f'EMERGENCY: ["{A[2]}", "{A[7]}"]', f'EMERGENCY: ["{A[7]}"]')
    _edit(folder, "paused: false", "paused: true")
    plan = _plan_json(workspace)
    pause = _change(plan, "risk.paused")
    revoke = _change(plan, f"governance.role.EMERGENCY[{A[2]}]")
    assert pause["steps"][0]["signer"] == "emergency" and revoke["steps"][0]["signer"] == "admin"
    assert revoke["depends_on"] == ["risk.paused"]
    level = {c.address: i for i, wave in enumerate(waves(Plan.from_dict(plan).changes)) for c in wave}
    assert level["risk.paused"] < level[revoke["address"]]
    _converge(workspace)
    assert call(chain.url, chain.risk, "RiskController", "paused") is True
    assert call(chain.url, chain.governance, "GovernanceRoles", "hasRole", role_id("EMERGENCY"), A[2]) is False


def _evm(signer: str, display: str) -> Step:
    return Step(kind="evm_transaction", display=display, signer=signer)


def test_own_revocations_follow_what_needs_them_and_not_each_other() -> None:
    """Table test of the rule on its own: the deployer (signer `admin`) gives up ADMIN and EMERGENCY in one
    plan and pauses with EMERGENCY. Both revocations are signed by `admin`, so a rule making every own
    revocation wait for every step of its signer would wait in a cycle; each waits only for the steps that
    may need its role: the EMERGENCY one for the pause and the vault step (any role), not for the ADMIN
    grant (a grant needs ADMIN); the ADMIN one for everything `admin` signs, the EMERGENCY revocation too."""
    a0, a9 = A[0], A[9]
    changes = [
        Change(f"governance.role.ADMIN[{a0}]", Action.DELETE, {}, None, "not declared",
               [_evm("admin", f"revokeRole(ADMIN, {a0})")]),
        Change(f"governance.role.EMERGENCY[{a0}]", Action.DELETE, {}, None, "not declared",
               [_evm("admin", f"revokeRole(EMERGENCY, {a0})")]),
        # A vault approval removal is a delete too, signed by `admin` with ADMIN.
        Change("vault.approved_token[0x20C0000000000000000000000000000000000001]", Action.DELETE, True, False,
               "not declared", [_evm("admin", "setApprovedToken(0x20C0…0001, false)")]),
        Change("risk.paused", Action.UPDATE, False, True, "x", [_evm("admin", "toggleGlobalPause(true)")]),
        Change(f"governance.role.ADMIN[{a9}]", Action.CREATE, None, {}, "x", [_evm("admin", f"grantRole(ADMIN, {a9})")]),
    ]
    add_ordering_edges(changes, {"admin": a0}, {("governance", "EMERGENCY"): "ADMIN"})
    got = [c.address for c in order(changes)]
    pos = {a: i for i, a in enumerate(got)}
    own_admin, own_emergency = f"governance.role.ADMIN[{a0}]", f"governance.role.EMERGENCY[{a0}]"
    assert pos[own_emergency] < pos[own_admin]  # revoking EMERGENCY needs ADMIN
    assert pos["vault.approved_token[0x20C0000000000000000000000000000000000001]"] < pos[own_admin]
    assert pos["risk.paused"] < pos[own_emergency]
    # The EMERGENCY revocation waits for what may need EMERGENCY, not for the ADMIN grant it does not need.
    emergency = next(c for c in changes if c.address == own_emergency)
    assert set(emergency.depends_on) == {"risk.paused", "vault.approved_token[0x20C0000000000000000000000000000000000001]"}


def test_role_spec_admin_is_applied_like_role_admins(anvil, chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    """A role declared as `{id, members, admin}` (for contracts without a getter) gets its `admin` too; it
    used to be validated and then ignored. PlainRoles is not enumerable: members come from its logs."""
    from tests.support.contracts import deploy, role_id
    from tests.support.local_state import write_local_state

    start = int(str(anvil.rpc("eth_blockNumber")), 16)
    plain = deploy(anvil.url, "PlainRoles", A[0])
    operator = "0x" + call(anvil.url, plain, "PlainRoles", "OPERATOR_ROLE").hex()
    folder = write_local_state(workspace.root / "state" / "local", chain)
    (folder / "plain.yaml").write_text(f"""contracts:
  plain:
    network: anvil
    address: "{plain}"
    profile: access-control
    signer: admin
    from_block: {start}
    roles:
      ADMIN: ["{A[0]}"]
      PAUSER: ["{A[1]}"]
      OPERATOR: {{id: "{operator}", members: ["{A[3]}"], admin: PAUSER}}
""")
    plan = _plan_json(workspace, "--target", "plain")
    admin_change = _change(plan, "plain.role_admin.OPERATOR")
    assert (admin_change["before"], admin_change["after"]) == ("ADMIN", "PAUSER")
    assert admin_change["reason"].startswith("state/local/plain.yaml:11:")
    assert workspace.run("apply", "local", "--auto-approve", "--target", "plain").exit_code == 0
    pauser = call(anvil.url, plain, "PlainRoles", "PAUSER_ROLE")
    assert call(anvil.url, plain, "PlainRoles", "getRoleAdmin", role_id("0x" + operator[2:])) == pauser

    # New OPERATOR members are now granted by the PAUSER holder (risk_officer), not `signer: admin`.
    path = folder / "plain.yaml"
    path.write_text(path.read_text().replace(f'members: ["{A[3]}"]', f'members: ["{A[3]}", "{A[4]}"]'))
    plan = _plan_json(workspace, "--target", "plain")
    [grant] = plan["changes"]
    assert grant["steps"][0]["signer"] == "risk_officer" and grant["simulation"][0]["status"] == "ok"
    assert workspace.run("apply", "local", "--auto-approve", "--target", "plain").exit_code == 0
    assert _plan_json(workspace, "--target", "plain")["changes"] == []


def test_fresh_deploy_moving_emergency_under_risk_officer_converges(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    """The deployer's extra EMERGENCY is revoked (signed by the deployer as ADMIN) in the same plan that
    moves EMERGENCY under RISK_OFFICER: the admin change waits for EMERGENCY's grants and revokes, and the
    deployer's own revocation does not wait for that admin change (it needs ADMIN, not EMERGENCY): no cycle."""
    from tests.support.contracts import role_id
    from tests.support.local_state import write_local_state

    folder = write_local_state(workspace.root / "state" / "local", chain)
    _edit(folder, "    unlisted_members: revoke", "    role_admins: {EMERGENCY: RISK_OFFICER}\n    unlisted_members: revoke")
    plan = _plan_json(workspace)
    addresses = [c["address"] for c in plan["changes"]]
    own = f"governance.role.EMERGENCY[{A[0]}]"
    assert addresses.index(own) < addresses.index("governance.role_admin.EMERGENCY")
    assert "governance.role_admin.EMERGENCY" not in _change(plan, own)["depends_on"]
    _converge(workspace)
    assert call(chain.url, chain.governance, "GovernanceRoles", "getRoleAdmin", role_id("EMERGENCY")) == role_id(
        "RISK_OFFICER")
    assert call(chain.url, chain.governance, "GovernanceRoles", "hasRole", role_id("EMERGENCY"), A[0]) is False


# --- 2. without from_block, what tempoctl itself approved is still revoked when the lists drop it ------------

NO_LOGS_NOTE = "approvals made outside tempoctl cannot be found without `from_block`"


def _recorded(ws: Workspace, scope: str) -> set[str]:
    from tempoctl.backend import open_backend

    with open_backend("sqlite:///.tempoctl/local.db", cwd=ws.root) as backend:
        return backend.managed_keys("local", scope)


def test_without_from_block_approvals_tempoctl_made_are_revoked(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    from tests.support.local_state import write_local_state

    folder = write_local_state(workspace.root / "state" / "local", chain)
    _edit(folder, f"    from_block: {chain.start_block}\n", "")
    _edit(folder, f'approved_tokens: ["{chain.fee_token}"]', f'approved_tokens: ["{chain.fee_token}", "{OTHER_TOKEN_CS}"]')
    _converge(workspace)  # tempoctl approves the fee token, OTHER_TOKEN and the strategy
    assert call(chain.url, chain.vault, "TreasuryVault", "approvedTokens", OTHER_TOKEN_CS) is True
    assert _recorded(workspace, "vault.approved_token") == {chain.fee_token, OTHER_TOKEN_CS}
    assert _recorded(workspace, "vault.approved_strategy") == {A[5]}

    # The operator drops OTHER_TOKEN and the strategy from the YAML: both are planned for revocation.
    _edit(folder, f', "{OTHER_TOKEN_CS}"]', "]")
    _edit(folder, f'approved_strategies: ["{A[5]}"]', "approved_strategies: []")
    plan = _plan_json(workspace)
    got = {c["address"]: c for c in plan["changes"]}
    assert set(got) == {f"vault.approved_token[{OTHER_TOKEN_CS}]", f"vault.approved_strategy[{A[5]}]"}
    token = got[f"vault.approved_token[{OTHER_TOKEN_CS}]"]
    assert token["action"] == "delete" and token["reason"] == "not declared"
    assert token["steps"][0]["display"] == f"setApprovedToken({OTHER_TOKEN_CS}, false)"
    assert token["simulation"][0]["status"] == "ok"
    # One note for the vault (not one per list or per address), in the plan and in drift.
    notes = [n for n in plan["notes"] if NO_LOGS_NOTE in n]
    assert len(notes) == 1 and notes[0].startswith("vault:"), plan["notes"]
    drift = workspace.run("drift", "local", "--format", "json")
    assert drift.exit_code == 2 and NO_LOGS_NOTE in drift.stdout

    _converge(workspace)
    assert call(chain.url, chain.vault, "TreasuryVault", "approvedTokens", OTHER_TOKEN_CS) is False
    assert call(chain.url, chain.vault, "TreasuryVault", "approvedStrategies", A[5]) is False
    assert call(chain.url, chain.vault, "TreasuryVault", "approvedTokens", chain.fee_token) is True
    # Revoked, so no longer tempoctl's to manage: the record forgets them.
    assert _recorded(workspace, "vault.approved_token") == {chain.fee_token}
    assert _recorded(workspace, "vault.approved_strategy") == set()


def test_without_from_block_an_outside_approval_is_not_found_and_the_plan_says_so(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    from tests.support.local_state import write_local_state

    folder = write_local_state(workspace.root / "state" / "local", chain)
    _edit(folder, f"    from_block: {chain.start_block}\n", "")
    _converge(workspace)
    send(chain.url, chain.vault, "TreasuryVault", "setApprovedToken", OTHER_TOKEN_CS, True)
    plan = _plan_json(workspace)
    assert plan["changes"] == []
    assert len([n for n in plan["notes"] if NO_LOGS_NOTE in n]) == 1
    # unlisted_approvals: ignore asks for nothing undeclared: no note either.
    _edit(folder, "    fee_config:", "    unlisted_approvals: ignore\n    fee_config:")
    assert not [n for n in _plan_json(workspace)["notes"] if NO_LOGS_NOTE in n]


def test_without_from_block_a_recorded_approval_revoked_elsewhere_is_forgotten(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    from tests.support.local_state import write_local_state

    folder = write_local_state(workspace.root / "state" / "local", chain)
    _edit(folder, f"    from_block: {chain.start_block}\n", "")
    _converge(workspace)
    assert _recorded(workspace, "vault.approved_strategy") == {A[5]}
    # Dropped from the YAML but revoked from a console first: nothing to do, and the record lets it go.
    send(chain.url, chain.vault, "TreasuryVault", "setApprovedStrategy", A[5], False)
    _edit(folder, f'approved_strategies: ["{A[5]}"]', "approved_strategies: []")
    assert _plan_json(workspace)["changes"] == []
    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0 and "Nothing to apply." in r.output, r.output + r.stderr
    assert _recorded(workspace, "vault.approved_strategy") == set()
    # Under warn, one tempoctl approved and the YAML no longer names is drift, not a change.
    _edit(folder, "approved_strategies: []", f'approved_strategies: ["{A[5]}"]')
    _converge(workspace)
    _edit(folder, f'approved_strategies: ["{A[5]}"]', "approved_strategies: []")
    _edit(folder, "    fee_config:", "    unlisted_approvals: warn\n    fee_config:")
    plan = _plan_json(workspace)
    assert plan["changes"] == []
    assert [(d["address"], d["kind"]) for d in plan["drift"]] == [(f"vault.approved_strategy[{A[5]}]", "unlisted_approval")]
