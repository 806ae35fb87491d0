"""Table tests for the planners of Teye (vision_records) and of hosts, backups, descriptors, checks and the
oracle relay: one YAML case file per scenario, desired state and observed values in, expected changes out.
No chain, no host: the planner is a pure function of the loaded environment and an `ObservedValues`.

Add a case: write `tests/planners/cases_soroban_hosts/<planner>/<scenario>.yaml` with

    desired:                  # a state YAML fragment, merged over the folder's `_base.yaml` (if any) into
      contracts: {...}        # environment.yaml mapping by mapping (`{}` or any other value replaces)
    observed:
      values: {"<resource address>": <value as the reader records it>}
      facts: {...}            # optional (stellar_ledger, host_secrets, orphan_schedules, notes ...)
    expect:
      changes:                # every Change the planner yields, in order (none listed = none expected)
        - {address: ..., action: create|update|delete, before: ..., after: ..., depends_on: [...],
           note: <fragment>, reason: <fragment>,
           steps: [{kind: ..., function: ..., op: ..., args: [...], signer: ..., display: <fragment>}]}
      drift:                  # every DriftItem, in order: {address, kind, expected?, actual?, message: <fragment>}
      refused: <fragment>     # the planner raises a TempoctlError whose text holds the fragment
      notes: [<fragments>]    # plan notes the planner appends to observed.facts["notes"]
    folder: cases             # optional: the environment's folder name

Keys left out of an expected change or step are not compared; listed ones must match exactly (`note`,
`reason` and `display` are fragments). `<ADMIN>`, `<NEW>`, `<U1>`..`<U4>`, `<CID>`, `<CID2>` stand for the
fixed Stellar keys in `KEYS` below, `<CID_INSTANCE>` for the ledger key of `<CID>`'s instance.
`<planner>` is the folder name, mapped to a planner in `PLANNERS`.
`test_case_can_fail` perturbs each case's expectation once and checks the comparison then fails.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tempoctl.desired import load_environment
from tempoctl.errors import TempoctlError
from tempoctl.observed.observation import ObservedValues
from tempoctl.observed.stellar.ledger import instance_key
from tempoctl.plan.model import Change, DriftItem
from tempoctl.profiles.backups import BackupsPlanner
from tempoctl.profiles.base import PlanContext, PlanItem
from tempoctl.profiles.checks import ChecksPlanner
from tempoctl.profiles.descriptor import DescriptorPlanner
from tempoctl.profiles.hosts import HostsPlanner
from tempoctl.profiles.oracle_relay import OracleRelayPlanner
from tempoctl.profiles.vision_records.plan import plan as vision_records_plan

CASES = Path(__file__).parent / "cases_soroban_hosts"

KEYS = {
    "ADMIN": "GABB3V2S4OEH6BJ2LPKLKFSLX4PCAFSGUJCUG2THKHUGEBKV5LLK7NKT",
    "NEW": "GBXHN5URL5BA7ODTVQAY26RUZBGVR4TQI4J2GRD7X5X7WPP3CNQYDVY4",
    "U1": "GAKMNFWO5NWFRUZEMN6MQ2PJVO6H7P2U3PJOAG43QQADNFTW4BEPE732",
    "U2": "GD4UZGOAGUF7S2N744B7FZJYLVL2O6AERHJ7IVIYRGPQRQ4PN563NTPE",
    "U3": "GCVTRFGE25HTVMF65T2Z4WKLYVTGVAS2SXOQTICOLUU57QBVYMOR4OVT",
    "U4": "GAZ5TOH345SJX7WABE7NUCKZ7ZB2NF32AGQT24T2GB3QKNB4A2ESMP3J",
    "CID": "CBOPR7LTBLQTPKP6X4OBUUXD3BHKKZVOC2F56GXA5HXGF6PRCLOEJZDA",
    "CID2": "CD4NC5FNMEOD6KWYGG5II6JJD2V7M6NG4MZSL4GPDQ5XKYKPG6LZYTUY",
}
KEYS["CID_INSTANCE"] = instance_key(KEYS["CID"]).to_xdr()  # the ledger key of <CID>'s instance (base64 XDR)


def _vision_records(ctx: PlanContext) -> Iterable[PlanItem]:
    for name, c in ctx.env.state.contracts.items():
        if c.profile == "teye/vision-records":
            yield from vision_records_plan(ctx, name, c)


PLANNERS: dict[str, Callable[[PlanContext], Iterable[PlanItem]]] = {
    "vision_records": _vision_records,
    "hosts": HostsPlanner().plan,
    "backups": BackupsPlanner().plan,
    "descriptor": DescriptorPlanner().plan,
    "checks": ChecksPlanner().plan,
    "oracle_relay": OracleRelayPlanner().plan,
}


def _subst(text: str) -> str:
    return re.sub(r"<([A-Z0-9_]+)>", lambda m: KEYS.get(m.group(1), m.group(0)), text)


def _load(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(_subst(path.read_text()))


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` over `base`, mapping by mapping; an empty mapping or any other value replaces."""
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and v and isinstance(out.get(k), dict) else v
    return out


def _no_evm(*_: Any, **__: Any) -> Any:
    raise AssertionError("these planners build no EVM step and choose no EVM signer")


def run_case(path: Path, tmp: Path) -> tuple[list[PlanItem] | TempoctlError, list[str]]:
    """Load the case's environment from a temp folder and run its planner: the items, or the refusal."""
    case = _load(path)
    base_path = path.parent / "_base.yaml"
    base = _load(base_path) if base_path.exists() else {}
    name = case.get("folder", "cases")  # the environment's folder name (it reaches crontab markers and units)
    doc = _merge({"environment": name, "backend": "sqlite:///.tempoctl/cases.db", **base}, case.get("desired") or {})
    folder = tmp / "state" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "environment.yaml").write_text(json.dumps(doc, indent=1))  # JSON is YAML
    env = load_environment(folder, environ={}, cwd=tmp)
    obs = case.get("observed") or {}
    observed = ObservedValues(values=copy.deepcopy(obs.get("values") or {}), facts=copy.deepcopy(obs.get("facts") or {}))
    ctx = PlanContext(env=env, observed=observed, step=_no_evm, signer_for=_no_evm, role_names={})
    try:
        items: list[PlanItem] | TempoctlError = list(PLANNERS[path.parent.name](ctx))
    except TempoctlError as exc:
        items = exc
    return items, list(observed.facts.get("notes", []))


_FRAGMENTS = ("note", "reason", "display", "message")


def _matches(want: dict[str, Any], have: dict[str, Any], what: str) -> None:
    for key, value in want.items():
        if key == "steps":
            continue
        assert key in have, f"{what}: no {key!r} in {have}"
        if key in _FRAGMENTS:
            assert value in (have[key] or ""), f"{what}: {key} {have[key]!r} lacks {value!r}"
        else:
            assert have[key] == value, f"{what}: {key} is {have[key]!r}, expected {value!r}"


def check(expect: dict[str, Any], items: list[PlanItem] | TempoctlError, notes: list[str]) -> None:
    """Raise AssertionError when the planner's output differs from the case's `expect`."""
    if "refused" in expect:
        assert isinstance(items, TempoctlError), f"expected a refusal, got {items}"
        text = " ".join(str(x) for x in (items, getattr(items, "detail", ""), getattr(items, "hint", "")))
        assert expect["refused"] in text, f"refusal {text!r} lacks {expect['refused']!r}"
        return
    assert not isinstance(items, TempoctlError), f"unexpected refusal: {items} {getattr(items, 'detail', '')}"
    changes = [i.to_dict() for i in items if isinstance(i, Change)]
    drift = [i.to_dict() for i in items if isinstance(i, DriftItem)]
    want_changes = expect.get("changes") or []
    assert [c["address"] for c in changes] == [c["address"] for c in want_changes], f"changes: {changes}"
    for want, have in zip(want_changes, changes, strict=True):
        _matches(want, have, have["address"])
        if "steps" in want:
            assert len(have["steps"]) == len(want["steps"]), f"{have['address']} steps: {have['steps']}"
            for n, (ws, hs) in enumerate(zip(want["steps"], have["steps"], strict=True)):
                _matches(ws, hs, f"{have['address']} step {n}")
    want_drift = expect.get("drift") or []
    assert [(d["address"], d["kind"]) for d in drift] == [(d["address"], d["kind"]) for d in want_drift], \
        f"drift: {drift}"
    for want, have in zip(want_drift, drift, strict=True):
        _matches(want, have, f"drift {have['address']}")
    for fragment in expect.get("notes") or []:
        assert any(fragment in n for n in notes), f"no plan note holds {fragment!r}: {notes}"
    if "notes" in expect and not expect["notes"]:
        assert not notes, f"unexpected plan notes: {notes}"


def _cases() -> list[Path]:
    return sorted(p for p in CASES.glob("*/*.yaml") if not p.name.startswith("_"))


def _id(p: Path) -> str:
    return f"{p.parent.name}/{p.stem}"


@pytest.mark.parametrize("path", _cases(), ids=_id)
def test_case(path: Path, tmp_path: Path) -> None:
    items, notes = run_case(path, tmp_path)
    check(_load(path)["expect"] or {}, items, notes)


def _perturb(expect: dict[str, Any]) -> dict[str, Any]:
    """The expectation with one value flipped: a case that still passed would compare nothing."""
    e = copy.deepcopy(expect)
    if "refused" in e:
        e["refused"] += " (not said)"
    elif e.get("changes"):
        first = e["changes"][0]
        if "action" in first:
            first["action"] = {"create": "update", "update": "delete", "delete": "create"}[first["action"]]
        else:
            first["address"] += " (not planned)"
    elif e.get("drift"):
        e["drift"][0]["kind"] += "_not"
    else:
        e["changes"] = [{"address": "nothing.planned"}]
    return e


@pytest.mark.parametrize("path", _cases(), ids=_id)
def test_case_can_fail(path: Path, tmp_path: Path) -> None:
    items, notes = run_case(path, tmp_path)
    with pytest.raises(AssertionError):
        check(_perturb(_load(path)["expect"] or {}), items, notes)
