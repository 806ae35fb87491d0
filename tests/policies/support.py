"""Plans for the policy tests, made by the real planners from the planner table cases (tests/planners), so the
shipped policies are tested against the plan JSON the planners actually produce, not a hand-written one.

`evm_plan` runs an EVM case (tests/planners/cases/<planner>/<case>.yaml) and `soroban_plan` a Soroban/host case
(tests/planners/cases_soroban_hosts/...); both may add state (`labels: {production: true}`, a `release:`) to
the case's desired state and return the environment and the plan document (`Plan.to_dict()`).
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tempoctl import __version__
from tempoctl.desired import DesiredEnvironment, load_environment
from tempoctl.plan.model import Change, Plan
from tempoctl.policy.engine import Finding, evaluate
from tempoctl.policy.facts import policy_input
from tempoctl.policy.source import from_working_tree
from tests.planners import test_planner_cases as evm_cases
from tests.planners import test_stellar_host_cases as soroban_cases

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "policies"
PRODUCTION = {"labels": {"production": True}}


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _document(env: DesiredEnvironment, changes: list[Change]) -> dict[str, Any]:
    return Plan(environment=env.name, created_at="2026-01-01T00:00:00+00:00", tool_version=__version__,
                changes=changes).to_dict()


def evm_plan(tmp_path: Path, case: str, desired: dict[str, Any] | None = None,
             observed: dict[str, Any] | None = None) -> tuple[DesiredEnvironment, dict[str, Any]]:
    """Plan `tests/planners/cases/<case>.yaml` with `desired` merged into its desired state."""
    doc = evm_cases.load_case(evm_cases.CASES / f"{case}.yaml")
    doc["desired"] = _deep_merge(doc["desired"], desired or {})
    if observed:
        doc["observed"] = _deep_merge(doc.get("observed") or {}, observed)
    tmp_path.mkdir(parents=True, exist_ok=True)
    changes, _, _ = evm_cases.plan_case(tmp_path, doc)
    env = load_environment(tmp_path / "case", environ={}, cwd=tmp_path)
    return env, _document(env, changes)


def soroban_plan(tmp_path: Path, case: str, desired: dict[str, Any] | None = None) -> tuple[DesiredEnvironment, dict[str, Any]]:
    """Plan `tests/planners/cases_soroban_hosts/<case>.yaml` with `desired` merged into its desired state."""
    src = soroban_cases.CASES / f"{case}.yaml"
    folder = tmp_path / "cases" / src.parent.name
    folder.mkdir(parents=True)
    if (src.parent / "_base.yaml").exists():
        shutil.copy(src.parent / "_base.yaml", folder / "_base.yaml")
    yaml = YAML(typ="safe", pure=True)
    doc = yaml.load(src.read_text())
    doc["desired"] = _deep_merge(doc.get("desired") or {}, desired or {})
    path = folder / src.name
    with path.open("w") as fh:
        YAML().dump(doc, fh)
    items, _ = soroban_cases.run_case(path, tmp_path)
    assert isinstance(items, list), items
    name = doc.get("folder", "cases")
    env = load_environment(tmp_path / "state" / name, environ={}, cwd=tmp_path)
    return env, _document(env, [i for i in items if isinstance(i, Change)])


def judge(env: DesiredEnvironment, plan: dict[str, Any], only: str | None = None) -> list[Finding]:
    """The shipped policies (or only `policies/<only>.rego`) over `plan`."""
    source = from_working_tree(POLICIES)
    files = [f for f in source.files if only is None or f.name == f"policies/{only}.rego"]
    assert files, f"no policy {only}"
    return evaluate(files, policy_input(env, plan), source.data)
