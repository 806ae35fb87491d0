"""Every shipped policy (policies/*.rego) passes a good plan and denies a bad one, over plans the real planners
make from the planner table cases, evaluated by the real engine (regorus via opa-eval)."""

from __future__ import annotations

from pathlib import Path

from tests.policies.support import POLICIES, PRODUCTION, evm_plan, judge, soroban_plan

SAFE = "0x5b891B43c5a555Cd37FD93892c8990F4b2Eb3E71"  # the case signer `admin` (via: safe)
KEYED = "0x39C083379AAaE701d9E2fC635FcD5fD904d31Edb"  # the case signer `risk_officer` (env: key)
GOV = {"network": "tempo", "address": "0xB43eBB13D1C42709651c032C7894962023A1f90A", "profile": "access-control",
       "signer": "admin"}


def _admins(*members: str) -> dict[str, object]:
    return {"contracts": {"governance": {**GOV, "roles": {"ADMIN": list(members)}}}}


def _messages(findings: list, rule: str = "deny") -> list[str]:  # type: ignore[type-arg]
    return [f.message for f in findings if f.rule == rule]


def test_every_policy_has_tests_here() -> None:
    text = Path(__file__).read_text()
    for path in POLICIES.glob("*.rego"):
        assert f'"{path.stem}"' in text, f"{path.name} has no test in {Path(__file__).name}"


def test_production_admin_only_to_a_safe(tmp_path: Path) -> None:
    observed = {"values": {"governance.role.ADMIN": [SAFE]}, "signer_roles": {"ADMIN": ["admin"]}}
    env, bad = evm_plan(tmp_path / "bad", "access_control/grant", {**PRODUCTION, **_admins(SAFE, KEYED)}, observed)
    assert f"governance.role.ADMIN[{KEYED}]" in [c["address"] for c in bad["changes"]]
    denied = judge(env, bad, "production_admin_safe")
    assert _messages(denied) == [f"production: ADMIN would be granted to {KEYED} (key); admin roles go only to a Safe"]
    assert denied[0].address == f"governance.role.ADMIN[{KEYED}]"

    # the same grant outside production, and a grant to the Safe in production, pass
    env, same = evm_plan(tmp_path / "staging", "access_control/grant", _admins(SAFE, KEYED), observed)
    assert judge(env, same, "production_admin_safe") == []
    observed_none = {"values": {"governance.role.ADMIN": [KEYED]}, "signer_roles": {"ADMIN": ["risk_officer"]}}
    env, good = evm_plan(tmp_path / "good", "access_control/grant", {**PRODUCTION, **_admins(SAFE, KEYED)},
                         observed_none)
    assert f"governance.role.ADMIN[{SAFE}]" in [c["address"] for c in good["changes"]]
    assert judge(env, good, "production_admin_safe") == []


def test_production_role_admin_only_to_a_role_of_safes(tmp_path: Path) -> None:
    env, bad = evm_plan(tmp_path / "bad", "access_control/role_admin_update", PRODUCTION)
    assert _messages(judge(env, bad, "production_admin_safe")) == [
        f"production: RISK_OFFICER would administer STRATEGIST, but its member {KEYED} is key, not a Safe"]
    # RISK_OFFICER held only by the Safe: it may administer STRATEGIST
    only_safe = {"contracts": {"governance": {"roles": {"RISK_OFFICER": [SAFE]}}}}
    env, good = evm_plan(tmp_path / "good", "access_control/role_admin_update", {**PRODUCTION, **only_safe},
                         {"values": {"governance.role.RISK_OFFICER": [SAFE]}})
    assert [c["address"] for c in good["changes"]] == ["governance.role_admin.STRATEGIST"]
    assert judge(env, good, "production_admin_safe") == []


def _unlisted(n: int) -> dict[str, object]:
    members = [f"0x{str(i) * 40}" for i in range(1, n + 1)]
    return {"values": {"governance.role.RISK_OFFICER": [KEYED, *members]}}


def test_max_revocations_per_plan(tmp_path: Path) -> None:
    env, bad = evm_plan(tmp_path / "bad", "access_control/revoke_unlisted", PRODUCTION, _unlisted(4))
    assert [c["action"] for c in bad["changes"]] == ["delete"] * 4
    [msg] = _messages(judge(env, bad, "max_revocations"))
    assert msg.startswith("production: 4 role revocations in one plan (at most 3): governance.role.RISK_OFFICER[0x1")
    # three are allowed; four outside production only warn
    env, good = evm_plan(tmp_path / "good", "access_control/revoke_unlisted", PRODUCTION, _unlisted(3))
    assert judge(env, good, "max_revocations") == []
    env, staging = evm_plan(tmp_path / "staging", "access_control/revoke_unlisted", None, _unlisted(4))
    found = judge(env, staging, "max_revocations")
    assert _messages(found) == [] and _messages(found, "warn")[0].startswith("4 role revocations in one plan")


def test_oracle_rotation_waits_for_the_fresh_signal(tmp_path: Path) -> None:
    env, bad = evm_plan(tmp_path / "bad", "oracle/rotation_fund_grant_revoke", PRODUCTION)
    assert _messages(judge(env, bad, "oracle_fresh_signal")) == [
        ("production: oracle rotation revokes 0x1111111111111111111111111111111111111111 without a fresh-signal "
        "wait in the plan")]
    env, good = evm_plan(tmp_path / "good", "oracle/rotation_with_relay_waits_for_fresh_signal", PRODUCTION)
    assert [c["address"] for c in good["changes"]][1] == "oracle.fresh_signal"
    assert judge(env, good, "oracle_fresh_signal") == []
    # the wait present but the revoke not gated on it (a hand-edited or buggy plan): still denied
    revoke = good["changes"][2]
    revoke["depends_on"] = [d for d in revoke["depends_on"] if d != "oracle.fresh_signal"]
    assert _messages(judge(env, good, "oracle_fresh_signal")) == [
        ("production: oracle rotation revokes 0x1111111111111111111111111111111111111111 without waiting for the "
        "fresh signal first (it does not depend on oracle.fresh_signal)")]


def _risk(imbalance: int) -> dict[str, object]:
    params = {"maxExposurePerPairBps": 3000, "maxTickDeviation": 200, "maxImbalanceBps": imbalance,
              "maxOrderSize": 50000000000, "minReserveBps": 2000, "oracleStalenessThreshold": 300,
              "maxSpreadSanityTicks": 100, "minDepthThreshold": 100000000000}
    return {**PRODUCTION, "contracts": {"risk": {"risk_params": params}}}


def test_risk_params_within_declared_bounds(tmp_path: Path) -> None:
    env, good = evm_plan(tmp_path / "good", "risk_controller/risk_params_update", _risk(9000))
    assert good["changes"][0]["after"] == {"maxImbalanceBps": 9000, "oracleStalenessThreshold": 300}
    assert judge(env, good, "risk_params_bounds") == []
    env, bad = evm_plan(tmp_path / "bad", "risk_controller/risk_params_update", _risk(9900))
    assert _messages(judge(env, bad, "risk_params_bounds")) == [
        "production: risk.maxImbalanceBps would be 9900, outside the declared bounds [1000, 9500]"]


PIN = "1111111111111111111111111111111111111111111111111111111111111111"


def test_contract_id_change_needs_a_release_pin(tmp_path: Path) -> None:
    env, bad = soroban_plan(tmp_path / "bad", "vision_records/contract_id_switch_verified", PRODUCTION)
    assert bad["changes"][0]["address"] == "vr.contract_id"
    assert _messages(judge(env, bad, "contract_id_release")) == [
        "production: contract vr changes its contract ID without a `release:` pin"]
    released = {**PRODUCTION, "contracts": {"vr": {"wasm_sha256": None, "release": "releases/SHA256SUMS.txt"}}}
    env, good = soroban_plan(tmp_path / "good", "vision_records/contract_id_switch_verified", released)
    assert good["changes"][0]["address"] == "vr.contract_id"
    assert judge(env, good, "contract_id_release") == []


def test_descriptor_switch_needs_a_release_pin(tmp_path: Path) -> None:
    env, bad = soroban_plan(tmp_path / "bad", "descriptor/descriptor_write_on_switch", PRODUCTION)
    assert [c["address"] for c in bad["changes"]] == ["vr.descriptor"]
    assert _messages(judge(env, bad, "contract_id_release")) == [
        "production: contract vr changes its contract ID without a `release:` pin"]
    released = {**PRODUCTION, "contracts": {"vr": {"wasm_sha256": None, "release": "releases/SHA256SUMS.txt"}}}
    env, good = soroban_plan(tmp_path / "good", "descriptor/descriptor_write_on_switch", released)
    assert judge(env, good, "contract_id_release") == []
    assert PIN  # the case's own pin, replaced by the release above


def test_shipped_policies_pass_a_plan_without_changes(tmp_path: Path) -> None:
    env, empty = evm_plan(tmp_path / "x", "access_control/unlisted_ignore_no_change", PRODUCTION)
    assert empty["changes"] == []
    assert judge(env, empty) == []
