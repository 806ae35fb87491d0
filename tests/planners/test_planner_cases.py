"""Table tests for the EVM planners: one YAML case file per scenario, no chain (pyinfra's operation tests).

Each `cases/<planner>/<scenario>.yaml` holds three keys:

* `desired:` a state fragment (`contracts:`, `oracle:`) merged with a fixed base file holding the `tempo`
  network (fee token pathUSD) and the signers `admin` (via Safe), `risk_officer`, `emergency` and `deployer`
  (addresses below). The folder is loaded with `tempoctl.desired.load_environment`, as the CLI does.
* `observed:` what the reading side would have recorded, keyed as the code keys it:
  - `values:` `ObservedValues.values` as-is (`governance.role.ADMIN: [0x…]`, `risk.paused: false`, …);
    a `<c>.role_admin.<ROLE>` value may be written as a role name and is turned into its id;
  - `roles:` the role names whose `<NAME>_ROLE()` getter answered on GOV (facts `role_id` / `role_names`;
    ids are 0x00 for ADMIN and keccak256("<NAME>_ROLE") otherwise). Default: the TempoVault roles;
  - `signer_roles:` `{ROLE: [signer names]}` holding the role live on GOV (facts `signer_roles`);
  - `facts:` any other fact verbatim (`fee_token_decimals`). Facts `governance` default to GOV for every
    risk controller and vault.
* `expect:` either `refused: <fragment>` (of the SafetyError, or of the ValidationError the loader raises)
  or `changes:`, the ordered plan, each change as `{address, action, before, after, steps: [{function,
  args, signer}], depends_on}` (plus `note:` when given; a step that is no contract call, such as the
  oracle's fresh-signal wait, is `{kind, display, signer}`), and `drift:` `[{address, kind}]` (default:
  none). Step args are plain JSON (bytes as 0x-hex); an
  argument equal to a known role id is shown as the role name.

The runner does what `plan.build.build_plan` does after observing: `diff.compute` (every profile and env
planner), the ordering edges and topological order, then the lockout check. To add a case, drop a file in
the planner's folder; it is collected automatically. Flip one expected value to see it fail.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tempoctl.desired import load_environment
from tempoctl.desired.models import RiskControllerContract, TreasuryVaultContract
from tempoctl.diff import compute
from tempoctl.eip55 import keccak256
from tempoctl.errors import SafetyError, ValidationError
from tempoctl.observed.observation import ObservedValues
from tempoctl.plan.model import Change
from tempoctl.plan.order import add_ordering_edges, order
from tempoctl.plan.safety import check_lockout

CASES = Path(__file__).parent / "cases"
GOV = "0xB43eBB13D1C42709651c032C7894962023A1f90A"
TEMPOVAULT_ROLES = ["ADMIN", "EMERGENCY", "RISK_OFFICER", "TREASURY_MANAGER", "STRATEGIST", "ORACLE"]
BASE = {
    "environment": "case",
    "networks": {"tempo": {"type": "evm", "chain_id": 42431, "rpc_url": "http://127.0.0.1:8545",
                           "fee_token": "0x20C0000000000000000000000000000000000000"}},
    "signers": {
        "admin": {"network": "tempo", "address": "0x5b891B43c5a555Cd37FD93892c8990F4b2Eb3E71", "via": "safe"},
        "risk_officer": {"network": "tempo", "address": "0x39C083379AAaE701d9E2fC635FcD5fD904d31Edb",
                         "key": "env:RISK_KEY"},
        "emergency": {"network": "tempo", "address": "0x2A062b09EaBaFe0714406056F84e5634aA355896",
                      "key": "env:EMERGENCY_KEY"},
        "deployer": {"network": "tempo", "address": "0x4f7c33869c5BE4b85b4e97975a5FdAD463380478",
                     "key": "env:DEPLOYER_KEY"},
    },
    "backend": "sqlite:///.tempoctl/case.db",
}


def role_id(role: str) -> str:
    return "0x" + ("00" * 32 if role == "ADMIN" else keccak256(f"{role}_ROLE".encode()).hex())


def observation(env: Any, spec: dict[str, Any]) -> ObservedValues:
    roles = spec.get("roles", TEMPOVAULT_ROLES)
    ids = {(GOV, r): role_id(r) for r in roles}
    values = dict(spec.get("values") or {})
    for key, v in values.items():
        if ".role_admin." in key and isinstance(v, str) and not v.startswith("0x"):
            values[key] = role_id(v)
    facts: dict[str, Any] = {
        "role_id": ids,
        "role_names": {v: r for (_, r), v in ids.items()},
        "signer_roles": {(GOV, r): list(n) for r, n in (spec.get("signer_roles") or {}).items()},
        "governance": {n: GOV for n, c in env.state.contracts.items()
                       if isinstance(c, (RiskControllerContract, TreasuryVaultContract))},
    }
    facts.update(spec.get("facts") or {})
    return ObservedValues(values=values, facts=facts)


def plan_case(tmp_path: Path, case: dict[str, Any]) -> tuple[list[Change], list[Any], ObservedValues]:
    root = tmp_path / "case"
    root.mkdir()
    (root / "environment.yaml").write_text(json.dumps(BASE))
    (root / "desired.yaml").write_text(json.dumps(case["desired"]))
    env = load_environment(root, environ={}, cwd=tmp_path)
    observed = observation(env, case.get("observed") or {})
    diff = compute(env, observed)  # pure: every profile's and env planner's plan()
    names = observed.facts["role_names"]
    role_admins = {(k.split(".")[0], k.split(".role_admin.", 1)[1]): names.get(v, v)
                   for k, v in observed.values.items() if ".role_admin." in k}
    add_ordering_edges(diff.changes, {n: s.address for n, s in env.state.signers.items()}, role_admins)
    changes = order(diff.changes)
    check_lockout(changes, observed)
    return changes, diff.drift, observed


def compact(change: Change, names: dict[str, str], with_note: bool) -> dict[str, Any]:
    def arg(a: Any) -> Any:
        if isinstance(a, list):
            return [arg(x) for x in a]
        return names.get(a, a) if isinstance(a, str) else a

    out: dict[str, Any] = {
        "address": change.address, "action": change.action.value, "before": change.before, "after": change.after,
        "steps": [{"function": s.fields["function"], "args": arg(s.fields["args"]), "signer": s.signer}
                  if "function" in s.fields else {"kind": s.kind, "display": s.display, "signer": s.signer}
                  for s in change.steps],
        "depends_on": change.depends_on,
    }
    if with_note:
        out["note"] = change.note
    return out


def load_case(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = YAML(typ="safe", pure=True).load(path.read_text())
    return case


def _cases() -> list[Any]:
    return [pytest.param(p, id=f"{p.parent.name}/{p.stem}") for p in sorted(CASES.glob("*/*.yaml"))]


@pytest.mark.parametrize("path", _cases())
def test_planner_case(path: Path, tmp_path: Path) -> None:
    case = load_case(path)
    assert set(case) <= {"desired", "observed", "expect"}, f"unknown keys in {path.name}"
    expect = case["expect"]
    if "refused" in expect:
        with pytest.raises((SafetyError, ValidationError)) as err:
            plan_case(tmp_path, case)
        assert expect["refused"] in f"{err.value}\n{getattr(err.value, 'detail', '')}"
        return
    changes, drift, observed = plan_case(tmp_path, case)
    want = expect.get("changes") or []
    names = observed.facts["role_names"]
    got = [compact(c, names, with_note=i < len(want) and "note" in want[i]) for i, c in enumerate(changes)]
    assert got == want
    assert [{"address": d.address, "kind": d.kind} for d in drift] == (expect.get("drift") or [])


def test_every_planner_has_cases() -> None:
    folders = {p.name for p in CASES.iterdir() if p.is_dir()}
    assert folders >= {"access_control", "risk_controller", "treasury_vault", "custom", "oracle"}
