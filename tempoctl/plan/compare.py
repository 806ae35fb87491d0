"""Compare an approved plan with the plan apply rebuilt, change by change and field by field (DESIGN §7).

A saved plan is an approval, not a source of bytes: whoever can write the file can also recompute its
fingerprint (a plain SHA-256). Apply therefore rebuilds the plan from the state files and live state and goes
on only when everything a reviewer approved is identical in the rebuild: addresses, actions, before/after,
reasons, `depends_on`, change order, and every step (kind, signer, display, network, target, function,
arguments, calldata, host operation, Safe batch routing) in order and number.

Left out are only what is not an approval and never reaches a signer: simulation results (gas and fees move
with every block), fork-run results (`plan --fork`: review evidence from a local anvil) and a Soroban step's assembled `xdr` (it carries a sequence number; apply assembles its
own from contract, function and arguments and never reads this one).

Both sides are compared in their public form (`public_document`), which is the form a saved file has.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from tempoctl.plan.model import Plan
from tempoctl.plan.render.values import public_document

NOT_APPROVED_STEP_FIELDS = frozenset({"simulation", "xdr", "fork"})
"""Step fields that are not part of what is approved: they are recomputed, never read by apply."""

_MAX_VALUE = 160


def reviewable_changes(plan: Plan) -> list[dict[str, Any]]:
    """The changes of `plan` as a reviewer approves them: public form, without simulations or XDR."""
    out = []
    for change in public_document(plan.to_dict())["changes"]:
        c = {k: v for k, v in change.items() if k != "simulation"}
        c["steps"] = [{k: v for k, v in s.items() if k not in NOT_APPROVED_STEP_FIELDS} for s in c["steps"]]
        out.append(c)
    return out


def _show(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


class _Absent:
    pass


ABSENT = _Absent()
"""What `leaf_differences` reports for a leaf that one side does not have."""


def _path(parts: list[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(the whole change)"


def leaf_differences(a: Any, b: Any) -> list[tuple[str, Any, Any]]:
    """(path, value in `a`, value in `b`) for every leaf that differs between two JSON values, by deepdiff's
    tree view: `max_leverage`, `steps[0].args[1]`, `document.contract_id`. A leaf present on one side only
    has `ABSENT` on the other."""
    from deepdiff import DeepDiff

    tree = DeepDiff(a, b, view="tree", verbose_level=2)
    out = []
    for report in tree.values():
        for level in report:
            t1 = ABSENT if type(level.t1).__name__ == "NotPresent" else level.t1
            t2 = ABSENT if type(level.t2).__name__ == "NotPresent" else level.t2
            out.append((_path(level.path(output_format="list")), t1, t2))
    return sorted(out, key=lambda x: x[0])


def field_differences(saved: dict[str, Any], rebuilt: dict[str, Any]) -> list[str]:
    """`field: saved X, rebuilt Y` for every leaf that differs between two changes."""
    return sorted(f"{path}: saved {_show(t1)}, rebuilt {_show(t2)}" for path, t1, t2 in leaf_differences(saved, rebuilt))


def _decoded(data: Any, function: Any) -> str:
    """What EVM calldata calls, decoded against the rebuilt step's function (for the refusal message)."""
    from tempoctl.observed.evm.abi import SignatureError, describe_call, parse_signature

    try:
        raw = bytes.fromhex(str(data).removeprefix("0x"))
        sig = parse_signature(str(function))
        if raw[:4] != sig.selector:
            return f"selector 0x{raw[:4].hex()}, not {sig.canonical}"
        return describe_call(sig, raw)
    except (SignatureError, ValueError):
        return "(not decodable)"


def calldata_differences(saved: dict[str, Any], rebuilt: dict[str, Any]) -> list[str]:
    """For each EVM step whose calldata differs: both calls decoded, so a reviewer sees what the file asked
    to sign (``grantRole(0x…STRATEGIST…, 0xattacker)``) and not only two hex strings."""
    lines = []
    for i, (a, b) in enumerate(zip(saved.get("steps", []), rebuilt.get("steps", []), strict=False)):
        if a.get("data") != b.get("data") and b.get("kind") == "evm_transaction" and b.get("function"):
            lines.append(f"steps[{i}].data decoded: saved {_decoded(a.get('data'), b['function'])}, "
                         f"rebuilt {_decoded(b.get('data'), b['function'])}")
    return lines


def plan_differences(saved: Plan, rebuilt: Plan) -> list[str]:
    """Every way the rebuilt plan differs from the saved one, one line each, naming the change and field.

    An empty list means apply may run the rebuilt plan's steps in place of the saved plan's.
    """
    problems: list[str] = []
    if saved.environment != rebuilt.environment:
        problems.append(f"environment: saved {saved.environment}, rebuilt {rebuilt.environment}")
    if list(saved.targets) != list(rebuilt.targets):
        problems.append(f"targets: saved {_show(list(saved.targets))}, rebuilt {_show(list(rebuilt.targets))}")
    a, b = reviewable_changes(saved), reviewable_changes(rebuilt)
    count_a, count_b = Counter(c["address"] for c in a), Counter(c["address"] for c in b)
    for address in count_a:
        if address not in count_b:
            problems.append(f"{address}: in the saved plan, not in the rebuilt plan")
    for address in count_b:
        if address not in count_a:
            problems.append(f"{address}: in the rebuilt plan, not in the saved plan")
    for address in count_a:
        if address in count_b and count_a[address] != count_b[address]:
            problems.append(f"{address}: {count_a[address]} time(s) in the saved plan, "
                            f"{count_b[address]} in the rebuilt plan")
    order_a = [c["address"] for c in a if c["address"] in count_b]
    order_b = [c["address"] for c in b if c["address"] in count_a]
    first = next((i for i, (x, y) in enumerate(zip(order_a, order_b, strict=False)) if x != y), None)
    if first is not None:  # (a different count of one address is reported above)
        problems.append(f"change order differs from position {first + 1}: saved {order_a[first]}, "
                        f"rebuilt {order_b[first]}")
    by_address = {c["address"]: c for c in b}
    seen: set[str] = set()
    for change in a:
        address = change["address"]
        if address in by_address and address not in seen:
            seen.add(address)
            other = by_address[address]
            if change == other:  # the common case, and cheap: deepdiff only explains a difference
                continue
            problems += [f"{address}: {line}" for line in
                         field_differences(change, other) + calldata_differences(change, other)]
    return problems
