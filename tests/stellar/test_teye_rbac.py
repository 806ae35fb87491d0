"""Privileges a handover does not move (reference §2.4): `accept_admin` rewrites `ADMIN` only, so the old admin
keeps its RBAC `Role::Admin` (`("ROLE_ASN", addr)`: SystemAdmin — pause, encryption key — and ManageUsers),
its SuperAdmin tier and the instance key `S_ADMIN`. tempoctl reads them (with `ADM_LIST`) and removes the RBAC
admin role with the contract's only role setter, `register_user(caller, user, Role::None, name)`, saying
what remains."""

from __future__ import annotations

import json

from stellar_sdk import scval

from tests.stellar.conftest import Teye


def _role(teye: Teye, who: str) -> int | None:
    v = teye.contract.persistent("ROLE_ASN", who)
    return None if v is None else int(scval.to_native(v)["role"])


def test_admin_removal_plans_removing_the_old_admins_rbac_admin_role(teye: Teye) -> None:
    old, new = teye.admin.public_key, teye.new_admin.public_key
    assert _role(teye, old) == 5
    teye.write(admin=new)
    teye.ws.env["TEYE_NEW_ADMIN_SECRET"] = teye.new_admin.secret
    res = teye.ws.run("plan", "teye-local", "--format", "json")
    plan = json.loads(res.output)
    by = {c["address"]: c for c in plan["changes"]}
    rbac = by[f"vision_records.rbac_role[{old}]"]
    [step] = rbac["steps"]
    assert step["function"] == "register_user"
    assert step["args"][:3] == [{"address": old}, {"address": old}, {"u32": 0}]
    assert rbac["before"] == "Admin" and rbac["after"] == "None"
    grant = by[f"vision_records.rbac_role[{new}]"]
    assert [st["args"][:3] for st in grant["steps"]] == [[{"address": old}, {"address": new}, {"u32": 5}]]
    assert grant["address"] in rbac["depends_on"] and rbac["address"] in by["vision_records.admin"]["depends_on"]
    assert "SuperAdmin tier" in rbac["note"] and "S_ADMIN" in rbac["note"]

    applied = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert teye.contract.instance_value("ADMIN").address == new
    assert _role(teye, old) == 0 and _role(teye, new) == 5
    assert teye.contract.view("check_permission", old, scval.to_uint32(5)) is False
    again = teye.ws.run("plan", "teye-local", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "keeps the SuperAdmin tier" in again.output and "S_ADMIN" in again.output


def test_rbac_roles_and_super_admin_are_read(teye: Teye) -> None:
    teye.write()
    from tempoctl.desired import load_environment
    from tempoctl.plan.build import PlanOptions, build_plan

    _, obs = build_plan(load_environment(teye.ws.root / "state" / "teye-local"), PlanOptions(simulate=False))
    v = obs.observed.values
    old = teye.admin.public_key
    assert v["vision_records.super_admin"] == old
    assert v["vision_records.admin_list"] == [old]
    assert v[f"vision_records.rbac_role[{old}]"]["role"] == "Admin"


def test_old_admins_tier_is_reduced_when_tiers_are_managed(teye: Teye) -> None:
    old, new = teye.admin.public_key, teye.new_admin.public_key
    teye.write(admin=new, tiers={new: "SuperAdmin"})
    teye.ws.env["TEYE_NEW_ADMIN_SECRET"] = teye.new_admin.secret
    plan = json.loads(teye.ws.run("plan", "teye-local", "--format", "json").output)
    addresses = [c["address"] for c in plan["changes"]]
    assert f"vision_records.admin_tier[{old}]" in addresses and f"vision_records.rbac_role[{old}]" in addresses
    applied = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert _role(teye, old) == 0
    assert int(scval.to_native(teye.contract.persistent("ADM_TIER", old))) == 1
    assert teye.ws.run("plan", "teye-local", "--detailed-exitcode").exit_code == 0


def test_a_role_change_the_contract_would_refuse_does_not_block_the_handover(teye: Teye) -> None:
    """register_user checks the caller against the whitelist: with the whitelist on and the old admin not on
    it, removing its role would fail, so the plan says the role stays instead of planning a doomed step."""
    old, new = teye.admin.public_key, teye.new_admin.public_key
    member = teye.others[0].public_key
    teye.contract.whitelist_add(member)
    teye.contract.set_whitelist_enabled(True)
    teye.write(admin=new, whitelist=[member])
    teye.ws.env["TEYE_NEW_ADMIN_SECRET"] = teye.new_admin.secret
    plan = json.loads(teye.ws.run("plan", "teye-local", "--format", "json").output)
    assert [c["address"] for c in plan["changes"]] == ["vision_records.admin"]
    assert any(f"former admin {old} keeps RBAC role Admin" in n and "whitelist" in n for n in plan["notes"]), plan
    applied = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert teye.contract.instance_value("ADMIN").address == new and _role(teye, old) == 5
