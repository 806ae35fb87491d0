"""The runbook, end to end on a real anvil: plan a fresh deployment, apply it, converge; drift and repair;
refuse lockouts, reverts, stale plans and the wrong chain."""

from __future__ import annotations

import json

from tests.conftest import Workspace
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.contracts import call, grant_role
from tests.support.local_state import tempovault_yaml, write_local_state


def _plan_json(ws: Workspace, *extra: str) -> dict:  # type: ignore[type-arg]
    r = ws.run("plan", "local", "--format", "json", *extra)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_fresh_deploy_plan_apply_converges(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    write_local_state(workspace.root / "state" / "local", chain)
    plan = _plan_json(workspace)
    addresses = [c["address"] for c in plan["changes"]]
    for role, who in (("EMERGENCY", A[2]), ("RISK_OFFICER", A[1]), ("TREASURY_MANAGER", A[3]),
                      ("STRATEGIST", A[4]), ("ORACLE", A[6])):
        assert f"governance.role.{role}[{who}]" in addresses
    # The deployer silently holds EMERGENCY (reference §3): not declared, so revoked, after the grants.
    revoke = f"governance.role.EMERGENCY[{A[0]}]"
    assert revoke in addresses
    assert addresses.index(f"governance.role.EMERGENCY[{A[2]}]") < addresses.index(revoke)
    # Fund before grant for the oracle: Tempo has no native gas token.
    assert addresses.index(f"oracle.fee_balance[{A[6]}]") < addresses.index(f"governance.role.ORACLE[{A[6]}]")
    # Breaker and params need RISK_OFFICER, granted in this plan: they run after that grant.
    breaker = next(c for c in plan["changes"] if c["address"] == "risk.circuit_breaker[legacy-pair]")
    assert breaker["steps"][0]["signer"] == "risk_officer"
    assert breaker["depends_on"] == [f"governance.role.RISK_OFFICER[{A[1]}]"]
    assert plan["summary"] == {"create": 7, "update": 6, "delete": 1, "replace": 0}
    grant = next(c for c in plan["changes"] if c["address"] == f"governance.role.STRATEGIST[{A[4]}]")
    assert grant["steps"][0]["function"] == "grantRole(bytes32,address)"
    assert grant["steps"][0]["data"].startswith("0x2f2ff15d")
    assert grant["simulation"][0]["status"] == "ok" and grant["simulation"][0]["gas"] > 21000
    assert grant["reason"].startswith("state/local/tempovault.yaml:")

    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert "Re-plan after apply: no changes" in r.output
    assert workspace.run("plan", "local", "--detailed-exitcode").exit_code == 0
    assert call(chain.url, chain.risk, "RiskController", "maxTickDeviation") == 150
    assert call(chain.url, chain.risk, "RiskController", "pairCircuitBroken", b"\x00" * 31 + b"\x01") is True
    assert workspace.run("drift", "local").exit_code == 0


def test_out_of_band_grant_is_drift_and_planned_for_revocation(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    write_local_state(workspace.root / "state" / "local", chain)
    assert workspace.run("apply", "local", "--auto-approve").exit_code == 0
    grant_role(chain.url, chain.governance, "ORACLE", A[8])  # by hand, from a console
    r = workspace.run("drift", "local")
    assert r.exit_code == 2
    assert f"governance.role.ORACLE[{A[8]}]" in r.output
    plan = _plan_json(workspace)
    [change] = plan["changes"]
    assert change["action"] == "delete" and change["reason"] == "not declared"
    assert change["steps"][0]["display"] == f"revokeRole(ORACLE, {A[8]})"
    assert workspace.run("apply", "local", "--auto-approve").exit_code == 0
    assert workspace.run("drift", "local").exit_code == 0


def test_warn_policy_reports_without_revoking(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    folder = write_local_state(workspace.root / "state" / "local", chain)
    assert workspace.run("apply", "local", "--auto-approve").exit_code == 0
    grant_role(chain.url, chain.governance, "STRATEGIST", A[8])
    text = (folder / "tempovault.yaml").read_text().replace("unlisted_members: revoke", "unlisted_members: warn")
    (folder / "tempovault.yaml").write_text(text)
    plan = _plan_json(workspace)
    assert plan["changes"] == []
    assert [d["address"] for d in plan["drift"]] == [f"governance.role.STRATEGIST[{A[8]}]"]
    assert workspace.run("drift", "local").exit_code == 2


def test_lockout_is_refused(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    folder = write_local_state(workspace.root / "state" / "local", chain)
    text = tempovault_yaml(chain).replace(f'STRATEGIST: ["{A[4]}"]', "STRATEGIST: []").replace(
        "    unlisted_members: revoke", "    role_admins: {RISK_OFFICER: STRATEGIST}\n    unlisted_members: revoke")
    (folder / "tempovault.yaml").write_text(text)
    r = workspace.run("plan", "local")
    assert r.exit_code == 1
    assert "lock out role administration" in r.stderr
    assert "STRATEGIST administers roles and would be left with no holder" in r.stderr


def test_reverting_step_is_shown_decoded_and_never_sent(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    folder = write_local_state(workspace.root / "state" / "local", chain)
    assert workspace.run("apply", "local", "--auto-approve").exit_code == 0
    # The runbook says EMERGENCY trips breakers; the code says RISK_OFFICER (reference §4.3).
    text = (folder / "tempovault.yaml").read_text()
    text = text.replace("profile: tempovault/risk-controller", "profile: tempovault/risk-controller\n    signer: emergency")
    text = text.replace("        broken: false\n      legacy-pair", "        broken: true\n      legacy-pair")
    (folder / "tempovault.yaml").write_text(text)
    plan = _plan_json(workspace)
    [change] = plan["changes"]
    sim = change["simulation"][0]
    assert sim["status"] == "revert"
    assert sim["error"] == f"Unauthorized({A[2]}, RISK_OFFICER)"
    r = workspace.run("plan", "local")
    assert "REVERTS Unauthorized" in r.output
    before = call(chain.url, chain.governance, "GovernanceRoles", "getRoleMemberCount", b"\x00" * 32)
    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 1
    assert "would revert" in r.stderr and "nothing was sent" in r.stderr
    assert call(chain.url, chain.governance, "GovernanceRoles", "getRoleMemberCount", b"\x00" * 32) == before


def test_stale_saved_plan_is_refused(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    write_local_state(workspace.root / "state" / "local", chain)
    r = workspace.run("plan", "local", "--out", "plans/local.json")
    assert r.exit_code == 0, r.output
    grant_role(chain.url, chain.governance, "STRATEGIST", A[7])
    r = workspace.run("apply", "plans/local.json")
    assert r.exit_code == 1
    assert "Saved plan is stale" in r.stderr
    assert "governance.role.STRATEGIST" in r.stderr


def test_saved_plan_applies_and_show_renders_it(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    write_local_state(workspace.root / "state" / "local", chain)
    assert workspace.run("plan", "local", "--out", "plans/local.json").exit_code == 0
    shown = workspace.run("show", "plans/local.json", "--format", "json")
    assert json.loads(shown.stdout)["summary"]["create"] == 7
    r = workspace.run("apply", "plans/local.json")
    assert r.exit_code == 0, r.output + r.stderr
    assert workspace.run("plan", "local", "--detailed-exitcode").exit_code == 0


def test_wrong_chain_is_refused(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    folder = write_local_state(workspace.root / "state" / "local", chain)
    env = folder / "environment.yaml"
    env.write_text(env.read_text().replace("chain_id: 42431", "chain_id: 4217"))
    r = workspace.run("plan", "local")
    assert r.exit_code == 1
    assert "Connected to chain 42431" in r.stderr and "4217" in r.stderr
    assert "environment.yaml:" in r.stderr


def test_journal_records_every_sent_step_without_keys(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    write_local_state(workspace.root / "state" / "local", chain)
    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0
    from tempoctl.backend import open_backend

    with open_backend("sqlite:///.tempoctl/local.db", workspace.root) as backend:
        events = backend.journal_entries("local")
        [audit] = backend.applies("local")
    journal = json.dumps(events)
    assert audit["outcome"] == "ok" and audit["plan_fingerprint"] and len(audit["steps"]) == 28
    intents = [e for e in events if e["event"] == "intent"]
    receipts = [e for e in events if e["event"] == "receipt"]
    assert len(intents) == len(receipts) == 14
    assert all(e["status"] == 1 for e in receipts)
    assert len({(e["sender"], e["nonce"]) for e in intents}) == 14
    for secret in workspace.env.values():
        if secret.startswith("0x"):
            assert secret not in journal and secret[2:] not in journal
            assert secret[2:] not in r.output


def test_non_enumerable_roles_rebuilt_from_logs(anvil, chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    from tests.support.contracts import deploy, send

    start = int(str(anvil.rpc("eth_blockNumber")), 16)
    plain = deploy(anvil.url, "PlainRoles", A[0])
    send(anvil.url, plain, "PlainRoles", "grantRole", bytes.fromhex(
        call(anvil.url, plain, "PlainRoles", "OPERATOR_ROLE").hex()), A[3])
    send(anvil.url, plain, "PlainRoles", "grantRole", bytes.fromhex(
        call(anvil.url, plain, "PlainRoles", "OPERATOR_ROLE").hex()), A[4])
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
      OPERATOR: ["{A[3]}", "{A[5]}"]
""")
    plan = _plan_json(workspace, "--target", "plain")
    got = {(c["action"], c["address"]) for c in plan["changes"]}
    assert got == {("create", f"plain.role.OPERATOR[{A[5]}]"), ("delete", f"plain.role.OPERATOR[{A[4]}]")}
    assert workspace.run("apply", "local", "--auto-approve", "--target", "plain").exit_code == 0
    plan = _plan_json(workspace, "--target", "plain")
    assert plan["changes"] == []
