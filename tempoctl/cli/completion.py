"""Shell completion beyond what click derives from the commands: environment names (folders under
./state) for ENV arguments, and saved plans next to them for `apply`: any file whose content is a plan
(`tfplan`, `plan.out`, `plans/x.json`), in the folder being typed, or in `./` and `plans/`.

Enable with `eval "$(_TEMPOCTL_COMPLETE=bash_source tempoctl)"` (zsh_source, fish_source); see the README.
"""

from __future__ import annotations

from pathlib import Path

import click
from click.shell_completion import CompletionItem


def environments() -> list[str]:
    state = Path("state")
    return sorted(p.name for p in state.iterdir() if p.is_dir()) if state.is_dir() else []


def complete_env(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(name) for name in environments() if name.startswith(incomplete)]


def saved_plans(incomplete: str) -> list[str]:
    """Files that are plans by content, under the folder `incomplete` names (or ./ and plans/)."""
    from tempoctl.plan.planfile import looks_like_plan

    folder = incomplete.rpartition("/")[0]
    folders = [Path(folder)] if folder else [Path("."), Path("plans")]
    found = []
    for d in folders:
        try:
            entries = sorted(d.iterdir()) if d.is_dir() else []
        except OSError:
            continue
        for p in entries:
            shown = str(p) if d != Path(".") else p.name
            if shown.startswith(incomplete) and p.is_file() and looks_like_plan(p):
                found.append(shown)
    return found


def complete_env_or_plan(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return complete_env(ctx, param, incomplete) + [CompletionItem(p) for p in saved_plans(incomplete)]
