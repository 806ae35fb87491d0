"""Managed whole files on hosts (`<host>.file[path]`, `hosts.<h>.files`): write a file whose content, mode or
owner differs from the YAML, as one `host_file` step.

The plan shows what will be written, line by line, marking with `+` the lines the live file lacks; live lines
that would go are only counted — the live content never enters a plan (it may hold anything). Apply writes
the content from the YAML (checked against the digest in the step, so a saved plan cannot write other
content than it showed), atomically, at the path's real place inside the host's roots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from tempoctl.core.steps import HostFileWrite
from tempoctl.observed.host.managed import managed_hosts
from tempoctl.observed.host.plainfiles import UNCHANGED, PlainFile
from tempoctl.plan.model import Action, Change, DriftItem, Step
from tempoctl.profiles.base import PlanContext, PlanItem
from tempoctl.safetext import hide

NEW_FILE_MODE = "0644"


def content_digest(content: str) -> str:
    """The digest a step pins, of the content as *written* (`${VAR}` values put back as their template): a
    saved plan never holds a digest a guessed secret could be checked against, and apply (same expansion)
    still refuses content other than the plan's."""
    return hashlib.sha256(hide(content).encode()).hexdigest()


def _norm_mode(mode: str | None) -> str | None:
    return None if not mode else mode.lstrip("0").zfill(3).rjust(4, "0")


def _owner_differs(declared: str | None, live: str) -> bool:
    if declared is None:
        return False
    return declared != live if ":" in declared else declared != live.split(":")[0]


def shown_content(pf: PlainFile, live: dict[str, Any] | None) -> dict[str, str]:
    """The `installs` of the step: every desired line, `+ ` where the live file lacks it, `  ` where it has
    it; the header counts the live lines that go (never shows them)."""
    lines = pf.content.split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    kept = set(live.get("kept_lines", ())) if live else set()
    removed = int(live.get("removed_lines", 0)) if live else 0
    title = f"{pf.path} on {pf.host}"
    if removed:
        title += f" ({removed} live line(s) not in it are removed; not shown)"
    # hide(): a value expanded from ${VAR} (where `variables:` allows it) is shown, and saved, as ${VAR}.
    return {title: hide("\n".join(("  " if i in kept else "+ ") + line for i, line in enumerate(lines)))}


def file_items(ctx: PlanContext, pf: PlainFile) -> list[PlanItem]:
    if pf.address not in ctx.observed.values:
        return []  # not read (a note says why)
    live = ctx.observed.values[pf.address]
    if isinstance(live, dict) and "refused" in live:
        return [DriftItem(pf.address, "outside_roots", "a path inside the host's roots", live["refused"],
                          f"{pf.path} is not read or written: it {live['refused']}")]
    mode = _norm_mode(pf.mode)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if live is not None and live.get("content") != UNCHANGED:
        before["content"], after["content"] = "differs", "as declared"
    if live is not None and mode is not None and _norm_mode(live.get("mode")) != mode:
        before["mode"], after["mode"] = live.get("mode"), mode
    if live is not None and _owner_differs(pf.owner, str(live.get("owner", ""))):
        before["owner"], after["owner"] = live.get("owner"), pf.owner
    if live is not None and not before:
        return []
    if live is None:
        after = {"content": "as declared", "mode": mode or NEW_FILE_MODE, **({"owner": pf.owner} if pf.owner else {})}
    n = len(pf.content.splitlines())
    write = HostFileWrite(host=pf.host, path=pf.path, index=pf.index, sha256=content_digest(pf.content),
                          mode=mode or (NEW_FILE_MODE if live is None else None), owner=pf.owner,
                          installs=shown_content(pf, live))
    step = Step(kind=HostFileWrite.KIND, display=f"write {pf.path} on {pf.host} ({n} line(s))",
                fields=write.to_fields())
    return [Change(address=pf.address, action=Action.CREATE if live is None else Action.UPDATE,
                   before=None if live is None else before, after=after,
                   reason=ctx.env.where("hosts", pf.host, "files", pf.index, "content"), steps=[step])]


class HostFilesPlanner:
    name = "host_files"

    def plan(self, ctx: PlanContext) -> Iterable[PlanItem]:
        out: list[PlanItem] = []
        for mh in managed_hosts(ctx.env).values():
            for pf in mh.plain.values():
                out += file_items(ctx, pf)
        return out
