"""What `tempoctl history ENV` shows: the audit log of an environment's applies, each with what became of
every step it journalled (mined, failed, handed off, settled by a later apply, abandoned, still unsettled).

The audit rows say who applied what and how it ended; the journal says, step by step, what was sent. An
auditor asking "who granted this role, from which commit, in which transaction" needs both side by side,
and a step an apply left unsettled is only resolved by a *later* apply's settling, so receipts are matched
by transaction hash across the whole journal. Plain data first (`history`), text second (`render_text`);
the signed raw transactions in the journal are never shown.
"""

from __future__ import annotations

from typing import Any

from tempoctl.backend import Backend

_STEP_EVENTS = ("intent", "pending", "done", "verified")
_KEEP = ("address", "display", "call", "kind", "signer", "sender", "nonce", "network", "host", "tx_hash", "file")


def history(backend: Backend, environment: str, limit: int = 10) -> list[dict[str, Any]]:
    """The latest `limit` applies of `environment`, newest first, each with `steps` (plain data)."""
    applies = backend.applies(environment, limit=limit, steps=False)
    # One read of the journal serves every apply shown, and the outcomes by transaction hash, from
    # whichever apply recorded them (settling records them later).
    by_apply: dict[str, list[dict[str, Any]]] = {}
    final: dict[str, dict[str, Any]] = {}
    for e in backend.journal_entries(environment):
        by_apply.setdefault(str(e["apply_id"]), []).append(e)
        if e["event"] in ("receipt", "abandoned") and e.get("tx_hash"):
            final[str(e["tx_hash"])] = e
    out = []
    for a in applies:
        events = by_apply.get(str(a["apply_id"]), [])
        entry = dict(a)  # the audit row: who, host, command, commit, plan fingerprint, outcome, error
        entry["steps"] = _steps(events, final, str(a["apply_id"]))
        entry["settled"] = sorted({str(e["of_apply"]) for e in events if e.get("of_apply")})
        out.append(entry)
    return out


def _steps(events: list[dict[str, Any]], final: dict[str, dict[str, Any]], apply_id: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for e in events:
        if e["event"] not in _STEP_EVENTS or e.get("of_apply"):
            continue
        if e["event"] in ("done", "verified"):
            # A host command, a backup, a wait or a check: its intent (if journalled) becomes done.
            opened = [s for s in steps if s.get("address") == e.get("address") and s["status"] == "signed"
                      and not s.get("tx_hash")]
            if opened:
                opened[0]["status"] = e["event"]
                continue
        step = {k: e[k] for k in _KEEP if e.get(k) is not None}
        step["status"] = {"pending": "handed off", "done": "done", "verified": "verified"}.get(e["event"], "signed")
        steps.append(step)
    for e in events:
        if e["event"] == "sent":
            for s in steps:
                if s.get("tx_hash") in (None, e.get("tx_hash")) and s["status"] == "signed" \
                        and s.get("address") == e.get("address"):
                    s["tx_hash"], s["status"] = e.get("tx_hash"), "sent"
                    break
    for s in steps:
        if s["status"] == "signed" and not s.get("tx_hash"):
            s["status"] = "started, not finished"
        if s["status"] not in ("signed", "sent") or not s.get("tx_hash"):
            continue
        done = final.get(str(s["tx_hash"]))
        if done is None:
            s["status"] = "not settled" if s["status"] == "sent" else "signed, maybe not sent"
            continue
        if done["event"] == "abandoned":
            s["status"], s["reason"] = "abandoned", done.get("reason")
        else:
            s["status"] = "mined" if int(done.get("status") or 0) == 1 else "failed on chain"
            for k in ("block", "ledger", "gas_used"):
                if done.get(k) is not None:
                    s[k] = done[k]
        if done["apply_id"] != apply_id:
            s["settled_by"] = done["apply_id"]
    return steps


_GLYPH = {"mined": "✓", "done": "✓", "verified": "✓", "handed off": "→", "failed on chain": "✗",
          "abandoned": "✗", "not settled": "?", "started, not finished": "?", "signed, maybe not sent": "?", "sent": "?", "signed": "?"}


def render_text(environment: str, entries: list[dict[str, Any]]) -> str:
    if not entries:
        return f"No apply of {environment} is recorded in its backend."
    lines = [f"Applies of {environment}, newest first ({len(entries)} shown):"]
    for a in entries:
        commit = str(a.get("git_commit") or "")[:12] or "(no git commit)"
        if a.get("git_commit") and a.get("git_state"):  # recorded since issue 17; older rows have none
            commit += {"committed": " (state files committed)", "modified": " + MODIFIED state files (not committed)",
                       "untracked": " + UNTRACKED state files (not in git)"}.get(str(a["git_state"]), "")
        fp = str(a.get("plan_fingerprint") or "")
        lines += ["", f"{a['started_at']}  {a['outcome']}  {a['holder']}@{a['host']}  {a['command']}",
                  f"  apply {a['apply_id']}  commit {commit}" + (f"  plan {fp[:19]}…" if fp else "")]
        if a.get("error"):
            lines.append(f"  error: {a['error']}")
        if a.get("settled"):
            lines.append(f"  settled what apply {', '.join(a['settled'])} left in flight")
        for s in a["steps"]:
            lines.append(f"  {_GLYPH.get(s['status'], '·')} {s.get('address', '?')}  {s['status']}{_where(s)}")
            if s.get("display"):
                lines.append(f"      {s['display']}")
            if s.get("call"):  # decoded from the bytes that were signed (apply/evm.py, apply/stellar.py)
                lines.append(f"      signed call: {s['call']}")
    return "\n".join(lines)


def _where(s: dict[str, Any]) -> str:
    bits = []
    if s.get("tx_hash"):
        bits.append(f"tx {s['tx_hash']}")
    if s.get("block") is not None:
        bits.append(f"block {s['block']}")
    if s.get("ledger") is not None:
        bits.append(f"ledger {s['ledger']}")
    if s.get("file"):
        bits.append(str(s["file"]))
    if s.get("settled_by"):
        bits.append(f"settled by apply {s['settled_by']}")
    if s.get("reason"):
        bits.append(str(s["reason"]))
    return ("  " + "  ".join(bits)) if bits else ""
