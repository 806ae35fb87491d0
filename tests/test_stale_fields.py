"""Issue 13: a saved plan that went stale because a struct moved (risk params, fee config, a descriptor) says
which field moved, one line per leaf, instead of printing both whole values for the operator to compare."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tempoctl.apply.runner import stale_reasons
from tempoctl.observed.observation import Observation, ObservedValues
from tempoctl.plan.model import Plan


def _reasons(inputs: dict[str, Any], now: dict[str, Any]) -> list[str]:
    plan = Plan(environment="prod", created_at="", tool_version="", inputs=inputs)
    env: Any = SimpleNamespace(name="prod", digest="")
    return stale_reasons(plan, env, Observation(observed=ObservedValues(values=now)))


def test_a_moved_struct_field_is_named() -> None:
    params = {"maxTickDeviation": 200, "maxInventory": 1000000, "minSpread": 50, "window": 60}
    moved = {**params, "maxInventory": 2000000}
    assert _reasons({"risk.risk_params": params}, {"risk.risk_params": moved}) == [
        "risk.risk_params.maxInventory: was 1000000 when planned, is 2000000 now"]


def test_nested_lists_and_absent_fields() -> None:
    before = {"contract_id": "CA", "admins": ["G1", "G2"]}
    now = {"contract_id": "CA", "admins": ["G1", "G3"], "wasm_hash": "ab"}
    assert _reasons({"vr.descriptor": before}, {"vr.descriptor": now}) == [
        'vr.descriptor.admins[1]: was "G2" when planned, is "G3" now',
        'vr.descriptor.wasm_hash: was (absent) when planned, is "ab" now']


def test_scalars_and_vanished_values_keep_the_whole_value_line() -> None:
    assert _reasons({"risk.paused": False}, {"risk.paused": True}) == ["risk.paused: was false when planned, is true now"]
    assert _reasons({"vault.fee_config": {"treasury": "0x1"}}, {}) == [
        'vault.fee_config: was {"treasury": "0x1"} when planned, is null now']
    assert _reasons({"risk.risk_params": {"a": 1}}, {"risk.risk_params": {"a": 1}}) == []
    assert _reasons({"gov.role.ORACLE": []}, {"gov.role.ORACLE": ["0x01"]}) == [
        'gov.role.ORACLE: was [] when planned, is ["0x01"] now']
