"""Drift report: the same computation as a plan, presented as "what differs from the YAML".

Every planned change is drift (live differs from declared), and so is every item the plan will not
correct (`unlisted_members: warn`). Rendered from the plan dict, like every other output.
"""

from __future__ import annotations

import json
from typing import Any

from tempoctl.plan.pending import awaiting_label
from tempoctl.safetext import clean_document, clean_plan, for_markdown


def drift_items(plan: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for c in plan.get("changes", []):
        if c.get("pending"):
            continue  # handed to a multisig by an earlier apply: known and proposed, not drift (see awaiting)
        items.append({"address": c["address"], "kind": "changed" if c["action"] == "update" else
                      ("missing" if c["action"] == "create" else "unexpected"),
                      "expected": c.get("after"), "actual": c.get("before"),
                      "reason": c.get("reason"), "corrected_by_apply": True})
    for d in plan.get("drift", []):
        items.append({"address": d["address"], "kind": d["kind"], "expected": d.get("expected"),
                      "actual": d.get("actual"), "reason": d.get("message"), "corrected_by_apply": False})
    return items


def _short(v: Any) -> str:
    if v is None:
        return "absent"
    if isinstance(v, dict) and set(v) == {"role", "member"}:
        return f"{v['role']} held by {v['member']}"
    return json.dumps(v, default=str)


def awaiting_items(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Changes an earlier apply handed to a multisig, not yet executed: reported apart from drift."""
    return [{"address": c["address"], "note": c.get("note", "")} for c in plan.get("changes", []) if c.get("pending")]


def _notes(plan: dict[str, Any], fmt: str) -> str:
    """The plan's notes (what could not be read or scanned, e.g. ledgers past an RPC's retention window).
    Drift is the scheduled job these notes are meant for; and it moves a scan cursor on, so a note not shown
    here would not be shown by the next plan either."""
    mark = "- Note:" if fmt == "markdown" else "Note:"
    return "".join(f"{mark} {n}\n" for n in plan.get("notes") or [])


def render_drift(plan: dict[str, Any], fmt: str = "text") -> str:
    if fmt != "json":  # drift reports go to terminals and issues: outside text made inert first
        plan = clean_document(clean_plan(plan), for_markdown) if fmt == "markdown" else clean_plan(plan)
    items, waiting = drift_items(plan), awaiting_items(plan)
    if fmt == "json":
        doc = {"environment": plan["environment"], "created_at": plan["created_at"], "observed": plan["observed"],
               "drift": items, "count": len(items), "awaiting_multisig": waiting, "notes": plan.get("notes") or []}
        return json.dumps(doc, indent=2, default=str) + "\n"
    env = plan["environment"]
    tail = "".join(f"  {w['address']}: {awaiting_label(w['note'])}\n" for w in waiting)
    if not items:
        return f"No drift in {env}: live state matches the desired state.\n" + (
            f"{len(waiting)} change(s) await multisig execution:\n{tail}" if waiting else "") + _notes(plan, fmt)
    lines = [f"Drift in {env}: {len(items)} item(s) differ from the desired state." if fmt == "text"
             else f"### tempoctl drift — {env}\n\n**{len(items)} item(s) differ from the desired state.**\n"]
    for it in items:
        fix = "apply corrects it" if it["corrected_by_apply"] else "reported only"
        line = f"  {it['address']}: declared {_short(it['expected'])}, live {_short(it['actual'])} ({it['kind']}; {fix})"
        lines.append(line if fmt == "text" else "-" + line[1:])
    if waiting:
        lines.append(f"{len(waiting)} change(s) await multisig execution (not drift):\n{tail.rstrip()}")
    if plan.get("notes"):
        lines.append(_notes(plan, fmt).rstrip())
    from tempoctl.plan.render.text import format_observed

    pins = ", ".join(format_observed(plan.get("observed", {})))
    if pins:
        lines.append(f"\nObserved {pins}.")
    return "\n".join(lines) + "\n"
