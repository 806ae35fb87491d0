"""Markdown rendering of a plan for pull-request comments (`--format markdown`).

Summary first, a table of changes, the full text plan folded in a ```diff block, and a fingerprint in an HTML
comment for bots. Never longer than `max_chars` (GitHub refuses comments over 65,535 characters and Atlantis
users lost whole plans to it): the details go first, then table rows, and the comment says how to see all.
"""

from __future__ import annotations

import re
from typing import Any

from tempoctl.plan.pending import awaiting_label
from tempoctl.plan.render.text import (
    count_fork_reverts,
    count_reverts,
    fork_ran,
    format_fork,
    format_simulation,
    render_text,
)
from tempoctl.plan.render.values import (
    fmt_int,
    is_role_membership,
    public_document,
    short_address,
    summary_sentence,
)
from tempoctl.safetext import clean_plan, defuse_comments, for_code_block, for_markdown, one_line

_ACTION_WORDS = {"create": "create", "update": "update", "delete": "destroy", "replace": "replace"}
_DIFF_GLYPHS = {"+": "+", "-": "-", "~": "!", "±": "!", "!": "!"}
_GLYPH_LINE = re.compile(r"^  ([+~\-±!]) ")
_MAX_REVERTS_LISTED = 5
_FINGERPRINT = re.compile(r"sha256:[0-9a-f]{64}")


def _cell(text: str) -> str:
    """Table-safe, inert text: a `|` would end the cell, a newline the row, `<` could open HTML (a bot's
    `<!--` marker), a backtick a code span; control characters are dropped (safetext.for_markdown)."""
    return for_markdown(text)


def _code(text: str) -> str:
    """A code span in a table cell: HTML is inert there (no `&lt;`), but `|` still needs escaping, a
    backtick would end the span, and `<!--`/`-->` must not reach a bot reading the raw comment."""
    return "`" + defuse_comments(one_line(text)).replace("|", "\\|").replace("`", "'") + "`"


def _action_word(change: dict[str, Any]) -> str:
    address, action = str(change.get("address", "")), str(change.get("action", ""))
    word = _ACTION_WORDS.get(action, action)
    if is_role_membership(address):
        word = {"create": "grant", "delete": "revoke"}.get(action, word)
    if change.get("reason") == "not declared":
        word += " (not declared)"
    return word


def _signers(change: dict[str, Any]) -> str:
    seen: list[str] = []
    for step in change.get("steps") or []:
        if step.get("signer"):
            name = str(step["signer"]) + (" (Safe)" if step.get("via") == "safe" else "")
            if name not in seen:
                seen.append(name)
    return ", ".join(_cell(s) for s in seen) or "—"


def _fork_cell(forks: list[dict[str, Any]]) -> str:
    reverts = [f for f in forks if f.get("status") == "revert"]
    if reverts:
        return f"**❌ REVERTS on fork** {_code(str(reverts[0].get('error') or '(no reason)'))}"
    if all(f.get("status") == "ok" for f in forks):
        gas = sum(int(f["gas"]) for f in forks if f.get("gas") is not None)
        events = sum(len(f.get("events") or []) for f in forks)
        return f"fork ok, {fmt_int(gas)} gas (anvil), {events} event{'s' if events != 1 else ''}"
    return _cell("; ".join(format_fork(f) for f in forks[:3]))


def _simulation_cell(change: dict[str, Any]) -> str:
    steps = list(change.get("steps") or [])
    forks = [s["fork"] for s in steps if fork_ran(s.get("fork"))]
    if forks:
        return _fork_cell(forks) + (" · ⏳ " + awaiting_label(change.get("note")) if change.get("pending") else "")
    sims = [(s.get("simulation"), str(s.get("kind", ""))) for s in steps if s.get("simulation")]
    reverts = [sim for sim, _ in sims if sim.get("status") == "revert"]
    if reverts:
        text = f"**❌ REVERTS** {_code(str(reverts[0].get('error') or '(no reason)'))}"
        if len(reverts) > 1:
            text += f" (+{len(reverts) - 1} more)"
    elif sims and all(sim.get("status") == "ok" for sim, _ in sims):
        gas = [int(sim["gas"]) for sim, _ in sims if sim.get("gas") is not None]
        text = f"ok, {fmt_int(sum(gas))} gas" if gas else "ok"
    elif sims:
        text = _cell("; ".join(format_simulation(sim, kind) for sim, kind in sims[:3]))
        if len(sims) > 3:
            text += " …"
    else:
        text = "—"
    if change.get("pending"):
        text += " · ⏳ " + awaiting_label(change.get("note"))
    return text


def _row(glyph: str, change: dict[str, Any]) -> str:
    address = _code(short_address(str(change.get("address", "?"))))
    return f"| `{glyph}` | {address} | {_action_word(change)} | {_signers(change)} | {_simulation_cell(change)} |"


def _diff_block(text: str) -> str:
    """The text plan in a ```diff fence, glyphs moved to column 0 so GitHub colours + and - lines
    (`~` becomes `!`, which GitHub shows as changed)."""
    out = []
    for line in text.splitlines():
        m = _GLYPH_LINE.match(line)
        out.append(_DIFF_GLYPHS[m.group(1)] + "  " + line[m.end() - 1:] if m else line)
    body = for_code_block("\n".join(out))
    longest = max((len(r) for r in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}diff\n{body}\n{fence}"


def _revert_callout(changes: list[dict[str, Any]]) -> list[str]:
    n = count_reverts(changes)
    if not n:
        return []
    lines = ["> [!WARNING]", f"> **{n} step(s) would revert; apply will refuse them.**"]
    listed = 0
    for c in changes:
        for s in c.get("steps") or []:
            sim = s.get("simulation") or {}
            if sim.get("status") == "revert" and listed < _MAX_REVERTS_LISTED:
                lines.append(f"> - {_code(short_address(str(c.get('address'))))}: "
                             f"{_code(str(sim.get('error') or '(no reason)'))}")
                listed += 1
    if n > listed:
        lines.append(f"> - … and {n - listed} more")
    return lines + [""]


def _fork_section(fork: dict[str, Any] | None, changes: list[dict[str, Any]]) -> list[str]:
    """What the fork run proved: steps run in order on which fork, reverts there, and what would remain."""
    if not fork:
        return []
    out = []
    for net, n in (fork.get("networks") or {}).items():
        if isinstance(n, dict):
            out.append(f"**Fork:** {_code(str(net))} forked at block {n.get('block', '?')}: {n.get('steps', 0)} EVM "
                       f"step(s) run in plan order: {n.get('ok', 0)} ok, {n.get('revert', 0)} revert, "
                       f"{n.get('error', 0)} error. _Gas is anvil's (no Tempo fee-token precompile on the fork)._")
    reverts = count_fork_reverts(changes)
    if reverts:
        out += ["", "> [!WARNING]", f"> **{reverts} step(s) revert on the fork** (run after the steps before them):"]
        for c in changes:
            for s in c.get("steps") or []:
                f = s.get("fork") or {}
                if f.get("status") == "revert":
                    out.append(f"> - {_code(short_address(str(c.get('address'))))}: {_code(str(f.get('error')))}")
    after = fork.get("after") or {}
    left = list(after.get("changes") or [])
    out.append("")
    if not left:
        out.append("**After this plan: no changes** (EVM part, re-planned on the fork).")
    else:
        remain = (f"> **After this plan: {len(left)} change(s) would remain** (EVM part, re-planned on the fork): "
                  "applying this plan does not converge.")
        out += ["> [!WARNING]", remain]
        out += [f"> - {_code(short_address(str(c.get('address'))))} ({_cell(str(c.get('action')))})" for c in left[:20]]
        if len(left) > 20:
            out.append(f"> - … and {len(left) - 20} more")
    return [*out, ""]


def _drift_lines(drift: list[dict[str, Any]]) -> list[str]:
    return [
        f"- ⚠️ {_code(short_address(str(d.get('address', '?'))))}"
        + (f" ({_cell(str(d['kind']))})" if d.get("kind") else "")
        + f": {_cell(str(d.get('message', '')))}"
        for d in drift
    ]


_MAX_UNREAD_LISTED = 20


def _unread_lines(notes: list[str]) -> list[str]:
    """What a PR-time plan did not read (`--trusted-base`: the base does not declare it), listed where a
    reviewer sees it, not only in the folded plan: those items are not in the table until merged."""
    unread = [n for n in notes if ": not read: " in n]
    if not unread:
        return []
    title = (f"**Not read until merged ({len(unread)}):** the base branch does not declare these, so this plan "
             "neither read them nor plans them.")
    out = [title, ""]
    out += [f"- ⏸️ {_cell(n)}" for n in unread[:_MAX_UNREAD_LISTED]]
    if len(unread) > _MAX_UNREAD_LISTED:
        out.append(f"- … {len(unread) - _MAX_UNREAD_LISTED} more in the plan's notes")
    return [*out, ""]


def _fit(items: list[str], budget: int) -> int:
    """How many of `items` (each followed by a newline) fit in `budget` characters."""
    used = 0
    for i, item in enumerate(items):
        used += len(item) + 1
        if used > budget:
            return i
    return len(items)


def render_markdown(plan: dict[str, Any], *, max_chars: int = 60000, planfile: str | None = None) -> str:
    """Render a plan document as a PR comment of at most `max_chars` characters.

    Args:
        plan: the `Plan.to_dict()` document (or a loaded plan file).
        max_chars: hard ceiling; 60,000 leaves room under GitHub's 65,535 for a bot's own header.
        planfile: the saved plan's path, quoted in the "see all" hint (``<planfile>`` if unknown).
    """
    doc = clean_plan(public_document(plan))  # outside text: no control characters
    changes: list[dict[str, Any]] = list(doc.get("changes") or [])
    drift: list[dict[str, Any]] = list(doc.get("drift") or [])
    show_cmd = f"`tempoctl show {planfile or '<planfile>'}`"
    env = str(doc.get("environment", "?"))

    head = [f"### tempoctl plan — {_cell(env)}", ""]
    if changes:
        head += [f"**{summary_sentence(changes)}**", ""]
    else:
        head += ["**No changes.** Live state matches the desired state.", ""]
    head += _revert_callout(changes)
    head += _fork_section(doc.get("fork"), changes)
    head += _unread_lines([str(n) for n in doc.get("notes") or []])
    from tempoctl.plan.render.policy import markdown_lines as policy_lines  # the policies' verdict, if any

    head += policy_lines(doc.get("policy"), _cell)

    table_head = ["| | address | action | signer | simulation |", "|:-:|---|---|---|---|"] if changes else []
    glyphs = {"create": "+", "update": "~", "delete": "-", "replace": "±"}
    rows = [_row(glyphs.get(str(c.get("action")), "?"), c) for c in changes]
    drift_head = ([""] if changes else []) + [f"**Drift not corrected by this plan ({len(drift)}):**", ""]
    drift_rows = _drift_lines(drift)
    details = ["", "<details><summary>Show plan</summary>", "", _diff_block(render_text(plan)), "",
               "</details>"]
    fingerprint = str(doc.get("fingerprint", ""))
    # A saved plan file is outside input too: only a well-formed fingerprint goes into the bot's marker.
    fingerprint = fingerprint if _FINGERPRINT.fullmatch(fingerprint) else "(invalid)"
    footer = ["", f"<!-- tempoctl-fingerprint: {fingerprint} -->"]

    def assemble(rows_: list[str], drift_: list[str], middle: list[str]) -> str:
        body = head + table_head + rows_ + (drift_head + drift_ if drift else []) + middle + footer
        return "\n".join(body) + "\n"

    full = assemble(rows, drift_rows, details)
    if len(full) <= max_chars:
        return full
    omitted = ["", f"_Details omitted to fit a comment; run {show_cmd} to see the full plan._"]
    without_details = assemble(rows, drift_rows, omitted)
    if len(without_details) <= max_chars:
        return without_details

    def more_note(n_changes: int, n_drift: int) -> list[str]:
        what = [f"{n} more change{'s' if n != 1 else ''}" for n in [n_changes] if n]
        what += [f"{n} more drift item{'s' if n != 1 else ''}" for n in [n_drift] if n]
        return ["", f"_… {' and '.join(what)} not shown; run {show_cmd} to see all._"]

    worst_note = more_note(len(rows), len(drift_rows))
    budget = max_chars - len(assemble([], [], worst_note))
    keep_rows = _fit(rows, budget)
    budget -= sum(len(r) + 1 for r in rows[:keep_rows])
    keep_drift = _fit(drift_rows, budget) if keep_rows == len(rows) else 0
    note = more_note(len(rows) - keep_rows, len(drift_rows) - keep_drift)
    result = assemble(rows[:keep_rows], drift_rows[:keep_drift], note)
    # Only a pathologically small max_chars gets here; a cut comment beats one GitHub refuses to post.
    return result if len(result) <= max_chars else result[: max_chars - 2] + "…\n"
