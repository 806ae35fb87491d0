"""Managed whole files on a host (`<host>.file[path]`): their observed value, without their content.

The hosts source reads each such file with the host's one read command (at its real path, after the roots
check); this module turns what was read into the value the plan keeps: whether the content is the desired
one, which desired lines are already there, how many live lines would go, and owner and mode. The live text
itself never leaves this module — no plan, plan file, drift report or metric holds a host file's content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tempoctl.core.addrs import attribute
from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.models import HostFile
from tempoctl.observed.host.facts import FileFacts

UNCHANGED, CHANGED = "unchanged", "changed"


@dataclass
class PlainFile:
    """One declared managed file: where it is declared (`hosts.<h>.files[i]`) and what it should hold."""

    host: str
    path: str
    index: int
    content: str
    mode: str | None = None
    owner: str | None = None

    @property
    def address(self) -> str:
        return attribute(self.host, "file", self.path)


def declared_content(env: DesiredEnvironment, hf: HostFile) -> str:
    """The content a managed file should hold: its `content:`. The one place that decides it, so a generated
    content (e.g. `generated: alerts` → `tempoctl.alerts.render_rules(env)`) plugs in here for plan and apply."""
    if hf.generated == "alerts":
        from tempoctl.alerts import render_rules

        return render_rules(env)
    return hf.content if hf.content is not None else ""  # the model holds exactly one of the two


def observed_file(pf: PlainFile, ff: FileFacts) -> dict[str, Any] | None:
    """None for an absent file; else the verdict on its content, the desired lines already present (by
    index), the count of live lines not in the desired content, owner and mode."""
    if ff.content is None:
        return None
    live = ff.content.decode("utf-8", "replace")
    if live == pf.content:
        return {"content": UNCHANGED, "owner": ff.owner, "mode": ff.mode}
    live_lines = live.split("\n")
    counts: dict[str, int] = {}
    for line in live_lines:
        counts[line] = counts.get(line, 0) + 1
    kept = []
    for i, line in enumerate(pf.content.split("\n")):
        if counts.get(line, 0) > 0:
            counts[line] -= 1
            kept.append(i)
    return {"content": CHANGED, "kept_lines": kept, "removed_lines": sum(counts.values()),
            "owner": ff.owner, "mode": ff.mode}
