"""How the text and Markdown renderers show the plan document's `policy` key (tempoctl.policy): one headline
naming where the policies were read from, then every deny and warn message with its policy file.

Messages are written by trusted policies but quote plan data (addresses, values from RPCs): the renderers
pass the document through `clean_plan` first, and Markdown escapes each message here.
"""

from __future__ import annotations

from typing import Any


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def headline(policy: dict[str, Any]) -> str:
    files = list(policy.get("files") or [])
    deny, warn = list(policy.get("deny") or []), list(policy.get("warn") or [])
    where = f"{_count(len(files), 'policy file')} from {policy.get('source', '?')}"
    if not deny and not warn:
        return f"Policy: passed ({where})."
    parts = ([f"{len(deny)} denied"] if deny else []) + ([_count(len(warn), "warning")] if warn else [])
    return f"Policy: {', '.join(parts)} ({where})."


def _message(item: dict[str, Any]) -> str:
    address = item.get("address")
    return (f"{address}: " if address else "") + str(item.get("message", ""))


def text_lines(policy: dict[str, Any] | None) -> list[str]:
    """Plain lines for the text plan (no colour here: the caller styles the headline)."""
    if not policy:
        return []
    lines = [headline(policy)]
    for level in ("deny", "warn"):
        for item in policy.get(level) or []:
            lines.append(f"  {level}  {item.get('policy', '?')}: {_message(item)}")
    return lines


def markdown_lines(policy: dict[str, Any] | None, cell: Any) -> list[str]:
    """Lines for the PR comment; `cell` escapes a piece of outside text for Markdown."""
    if not policy:
        return []
    deny = list(policy.get("deny") or [])
    mark = "❌" if deny else ("⚠️" if policy.get("warn") else "✅")
    out = [f"**{mark} {cell(headline(policy))}**", ""]
    for level in ("deny", "warn"):
        for item in policy.get(level) or []:
            out.append(f"- **{level}** {cell(str(item.get('policy', '?')))}: {cell(_message(item))}")
    if deny:
        out += ["", "_apply refuses this plan while any deny rule holds._"]
    return out + ([""] if out[-1] else [])
