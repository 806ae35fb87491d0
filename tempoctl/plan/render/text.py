"""Terraform-like text rendering of a plan document (DESIGN §5), the default output of plan/show/apply.

Input is the plain dict of `Plan.to_dict()` (or a saved plan file), never the objects, so a saved plan
shows exactly as it was planned. The caller decides about colour (TTY or not); this module only obeys.
"""

from __future__ import annotations

import json
from typing import Any

from tempoctl.plan.model import GLYPHS
from tempoctl.plan.pending import awaiting_label
from tempoctl.plan.render import policy as policy_view
from tempoctl.plan.render.values import (
    CHANGED,
    MASK,
    attribute_name,
    diff_fields,
    fmt_int,
    fmt_value,
    is_role_membership,
    public_document,
    scrub,
    short_address,
    summary_sentence,
)
from tempoctl.safetext import clean_plan

_COLORS = {"+": "32", "~": "33", "-": "31", "±": "35", "!": "33"}
_SEP = "   "


class _Style:
    """ANSI styling that collapses to plain text when colour is off."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def glyph(self, g: str) -> str:
        return self._wrap(_COLORS.get(g, "0"), g)

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def red(self, text: str) -> str:
        return self._wrap("31", text)

    def yellow(self, text: str) -> str:
        return self._wrap("33", text)


def headline_verb(address: str, action: str) -> str:
    """The verb phrase of a change's `# address …` line."""
    if is_role_membership(address) and action == "create":
        return "will be granted"
    if is_role_membership(address) and action == "delete":
        return "will be revoked"
    return {
        "create": "will be created",
        "update": "will be updated in-place",
        "delete": "will be destroyed",
        "replace": "will be replaced",
    }.get(action, f"will be changed ({action})")


def format_simulation(sim: dict[str, Any] | None, kind: str = "", style: _Style | None = None) -> str:
    """``ok, 74,120 gas`` / ``REVERTS Error(…)`` / ``skipped (reason)`` — without the ``simulated:`` label."""
    st = style or _Style(False)
    if not sim:
        return ""
    status = sim.get("status", "")
    if status == "ok":
        extra = []
        if sim.get("gas") is not None:
            extra.append(f"{fmt_int(int(sim['gas']))} gas")
        if sim.get("fee") is not None:
            unit = " stroops" if kind == "soroban_invocation" else ""
            extra.append(f"fee {fmt_int(int(sim['fee']))}{unit}")
        return ", ".join(["ok", *extra])
    if status == "revert":
        return st.red(f"REVERTS {sim.get('error') or '(no reason)'}")
    detail = sim.get("note") or sim.get("error")
    return f"{status} ({detail})" if detail else str(status)


def format_fork(fork: dict[str, Any] | None, style: _Style | None = None) -> str:
    """``simulated on fork @ block 6: ok, 51,599 gas`` / ``…: REVERTS Unauthorized(…)`` / ``not fork-simulated (…)``."""
    st = style or _Style(False)
    if not fork:
        return ""
    status = str(fork.get("status", ""))
    if status == "not_simulated":
        return str(fork.get("note") or "not fork-simulated")
    head = f"simulated on fork @ block {fork.get('block', '?')}: "
    if status == "ok":
        text = "ok" + (f", {fmt_int(int(fork['gas']))} gas" if fork.get("gas") is not None else "")
    elif status == "revert":
        text = st.red(f"REVERTS {fork.get('error') or '(no reason)'}")
    else:
        text = f"{status} ({fork.get('error') or 'failed'})"
    return head + text + (f" ({fork['note']})" if fork.get("note") else "")


def fork_ran(fork: dict[str, Any] | None) -> bool:
    return bool(fork) and (fork or {}).get("status") != "not_simulated"


def _step_line(step: dict[str, Any], style: _Style, verbose: bool) -> str:
    parts = [str(step.get("display", step.get("kind", "?")))]
    if step.get("signer"):
        safe = " (Safe)" if step.get("via") == "safe" else ""
        parts.append(f"signer: {step['signer']}{safe}")
    sim = step.get("simulation")
    fork = step.get("fork")
    if fork_ran(fork):  # the fork ran it after every earlier step: that result supersedes the lone eth_call
        parts.append(format_fork(fork, style))
        sim = sim if verbose else None
    if sim:
        text = f"simulated: {format_simulation(sim, str(step.get('kind', '')), style)}"
        if verbose and sim.get("sender"):
            text += f" as {sim['sender']}"
        parts.append(text)
    if fork and not fork_ran(fork):
        parts.append(format_fork(fork, style))
    return _SEP.join(parts)


def _installs_lines(step: dict[str, Any]) -> list[str]:
    """The exact text a step installs (a crontab block, unit files), line by line, so a reviewer sees what
    will run — not only "install crontab block". Control characters are shown escaped, never executed."""
    out: list[str] = []
    installs = step.get("installs")
    if not isinstance(installs, dict):
        return out
    for where, text in installs.items():
        out.append(f"      {_printable(str(where))}:")
        out += [f"      | {_printable(line)}" for line in str(text).split("\n")]
    return out


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _step_details(step: dict[str, Any]) -> list[str]:
    """Verbose-only: the raw fields apply will use (to, function, args, data, xdr…)."""
    skip = {"kind", "display", "signer", "simulation", "installs", "fork"}
    out = []
    for k, v in step.items():
        if k in skip or v is None:
            continue
        text = fmt_value(v)
        if len(text) > 120:
            text = text[:117] + "…"
        out.append(f"{k}: {text}")
    return out


def _diff_line(name: str, before: Any, after: Any) -> str:
    """`name: before -> after`, or `name: (sensitive) changed` for a masked value (DESIGN §5)."""
    if after == CHANGED or (after is None and before == MASK):
        return f"{name}: {CHANGED}"
    return f"{name}: {fmt_value(before)} -> {fmt_value(after)}"


def _value_lines(change: dict[str, Any], verbose: bool) -> tuple[list[str], int]:
    """`field: before -> after` lines for an update (only differing fields), or the value for create/delete
    when there is no step to show it (always in verbose mode); plus the count of hidden unchanged fields."""
    action = change.get("action")
    before, after = change.get("before"), change.get("after")
    label = attribute_name(str(change.get("address", "")))
    if action in ("update", "replace"):
        if isinstance(before, dict) and isinstance(after, dict):
            diffs, unchanged = diff_fields(before, after)
            return [_diff_line(k, b, a) for k, b, a in diffs], unchanged
        return [f"{label}: {fmt_value(before)} -> {fmt_value(after)}"], 0
    if change.get("steps") and not verbose:
        return [], 0
    value = after if action == "create" else before
    if isinstance(value, dict):
        return [f"{k}: {fmt_value(v)}" for k, v in value.items()], 0
    return [f"{label}: {fmt_value(value)}"], 0


def render_change(change: dict[str, Any], style: _Style, verbose: bool = False) -> list[str]:
    """The block of one change: headline, comment lines, value lines and step lines (each with its glyph)."""
    address = str(change.get("address", "?"))
    action = str(change.get("action", "?"))
    glyph = GLYPHS.get(action, "?")
    shown = address if verbose else short_address(address)
    reason = str(change.get("reason") or "")
    head = f"# {shown} {headline_verb(address, action)}"
    if reason == "not declared":
        head += " (not declared)"
    lines = ["  " + style.bold(head)]
    if reason and reason != "not declared":
        lines.append(f"  # (from {reason})")
    label = awaiting_label(change.get("note")) if change.get("pending") else None
    if label is not None:
        lines.append(f"  # ({label})")
    for note_line in str(change.get("note") or "").splitlines():
        if note_line != label:  # a wait's own note line is its label: shown once
            lines.append(f"  # {note_line}")

    g = style.glyph(glyph)
    values, hidden = _value_lines(change, verbose)
    steps = list(change.get("steps") or [])
    step_lines = [_step_line(s, style, verbose) for s in steps]
    if len(values) == 1 and step_lines:
        # The common case reads best on one line, as in DESIGN §5: `~ broken: false -> true   trigger…(…)`.
        step_lines[0] = values[0] + _SEP + step_lines[0]
        values, hidden = [], 0
    lines += [f"  {g} {v}" for v in values]
    if hidden:
        lines.append(f"      # ({hidden} unchanged field{'s' if hidden != 1 else ''} hidden)")
    for step, text in zip(steps, step_lines):
        lines.append(f"  {g} {text}")
        lines += [f"      event: {e}" for e in (step.get("fork") or {}).get("events") or []]
        lines += _installs_lines(step)
        if verbose:
            lines += [f"      {d}" for d in _step_details(step)]
    deps = change.get("depends_on") or []
    if deps:
        shown_deps = deps if verbose else [short_address(str(d)) for d in deps]
        lines.append("      depends on: " + ", ".join(shown_deps))
    return lines


def render_drift(drift: list[dict[str, Any]], style: _Style, verbose: bool = False) -> list[str]:
    """The 'Drift not corrected by this plan' section (warn-level items the plan leaves alone)."""
    if not drift:
        return []
    lines = ["Drift not corrected by this plan:", ""]
    for item in drift:
        address = str(item.get("address", "?"))
        shown = address if verbose else short_address(address)
        kind = f" ({item['kind']})" if item.get("kind") else ""
        lines.append(f"  {style.glyph('!')} {shown}{kind}: {item.get('message', '')}")
        if item.get("expected") is not None or item.get("actual") is not None:
            lines.append(f"      expected: {fmt_value(item.get('expected'))}, "
                         f"actual: {fmt_value(item.get('actual'))}")
    lines.append("")
    return lines


def format_observed(observed: dict[str, Any]) -> list[str]:
    """``tempo: chain 42431 at block 123`` / ``stellar: "Test SDF…" at ledger 456`` per network."""
    out = []
    for network, pin in observed.items():
        if not isinstance(pin, dict):
            out.append(f"{network}: {fmt_value(pin)}")
            continue
        ident = ""
        if "chain_id" in pin:
            ident = f"chain {pin['chain_id']}"
        elif "passphrase" in pin:
            ident = "passphrase " + json.dumps(str(pin["passphrase"]), ensure_ascii=False)
        at = f"block {pin['block']}" if "block" in pin else (f"ledger {pin['ledger']}" if "ledger" in pin else "")
        out.append(f"{network}: " + " at ".join(p for p in (ident, at) if p))
    return out


def fork_lines(fork: dict[str, Any] | None, style: _Style, verbose: bool = False) -> list[str]:
    """The fork run's summary and its re-plan: ``After this plan: no changes`` or the changes that would remain."""
    if not fork:
        return []
    lines = []
    for net, n in (fork.get("networks") or {}).items():
        if isinstance(n, dict):
            lines.append(f"Fork: {net} forked at block {n.get('block', '?')}: {n.get('steps', 0)} EVM step(s) run in "
                         f"plan order, {n.get('ok', 0)} ok, {n.get('revert', 0)} revert, {n.get('error', 0)} error")
    if fork.get("gas"):
        lines.append(f"Fork gas: {fork['gas']}")
    after = fork.get("after") or {}
    where = ", ".join(f"{k} at block {v}" for k, v in (after.get("networks") or {}).items())
    left = list(after.get("changes") or [])
    if not left:
        lines.append(style.bold(f"After this plan: no changes (EVM part; re-planned on the fork: {where})"))
    else:
        lines.append(style.yellow(f"After this plan: {len(left)} change(s) would remain (EVM part; re-planned on the "
                                  f"fork: {where}). Finding: applying this plan does not converge:"))
        for c in left:
            glyph = GLYPHS.get(str(c.get("action")), "?")
            shown = str(c.get("address")) if verbose else short_address(str(c.get("address")))
            steps = "; ".join(str(s) for s in c.get("steps") or [])
            lines.append(f"  {style.glyph(glyph)} {shown}" + (f"   {steps}" if steps else ""))
    return [*lines, ""]


def count_fork_reverts(changes: list[dict[str, Any]]) -> int:
    return sum(1 for c in changes for s in c.get("steps") or [] if (s.get("fork") or {}).get("status") == "revert")


def count_reverts(changes: list[dict[str, Any]]) -> int:
    return sum(
        1
        for c in changes
        for s in c.get("steps") or []
        if (s.get("simulation") or {}).get("status") == "revert"
    )


def render_text(plan: dict[str, Any], *, color: bool = False, verbose: bool = False) -> str:
    """Render a plan document as Terraform-like text.

    Layout: changes (in plan order, which is apply order), drift left alone, the summary sentence, plan
    notes, targeting warning, then a footer with environment, observed pins and fingerprint; a plan with
    reverting simulations ends with a warning line. Secrets are masked before anything is formatted.
    """
    # Revert reasons, notes and drift messages come from RPCs and hosts: no control character survives, so
    # nothing in them can move the cursor or repaint a line; expanded ${VAR} values show as ${VAR}.
    doc = clean_plan(public_document(plan))
    style = _Style(color)
    changes: list[dict[str, Any]] = list(doc.get("changes") or [])
    lines: list[str] = []
    if changes:
        lines += ["tempoctl will perform the following actions:", ""]
        for change in changes:
            lines += render_change(change, style, verbose)
            lines.append("")
    else:
        lines += ["No changes. Live state matches the desired state.", ""]
    lines += render_drift(list(doc.get("drift") or []), style, verbose)
    if changes:
        lines += [style.bold(summary_sentence(changes)), ""]
    lines += fork_lines(doc.get("fork"), style, verbose)
    for note in doc.get("notes") or []:
        lines.append(f"Note: {note}")
    policy = policy_view.text_lines(doc.get("policy"))
    if policy:
        denied = bool((doc.get("policy") or {}).get("deny"))
        if lines[-1] != "":
            lines.append("")
        lines += [style.red(policy[0]) if denied else style.bold(policy[0]), *policy[1:]]
    targets = doc.get("targets") or []
    if targets:
        lines.append(style.yellow("Warning: resource targeting is in effect (--target "
                                  + ", ".join(str(t) for t in targets)
                                  + "); other pending changes of this environment are not shown."))
    if lines[-1] != "":
        lines.append("")
    lines.append(f"Environment: {doc.get('environment', '?')}")
    observed = format_observed(dict(doc.get("observed") or {}))
    if observed:
        lines.append("Observed: " + "; ".join(observed))
    if doc.get("fingerprint"):
        lines.append(f"Fingerprint: {doc['fingerprint']}")
    reverts = count_reverts(changes)
    if reverts:
        lines += ["", style.red(f"Warning: {reverts} step(s) would revert; apply will refuse them.")]
    fork_reverts = count_fork_reverts(changes)
    if fork_reverts:
        lines += ["", style.red(f"Warning: {fork_reverts} step(s) revert on the fork, run in plan order after the "
                                "steps before them.")]
    text = "\n".join(lines) + "\n"
    # Last line of defence: patterns (seeds, keys) in anything a profile put into a display string.
    result = scrub(text)
    assert isinstance(result, str)
    return result
