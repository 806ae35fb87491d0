"""Shell completion beyond what click derives from the commands: environment names (folders under
./state) for ENV arguments, and saved plans (`plans/*.json`) next to them for `apply`.

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


def complete_env_or_plan(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    plans = sorted(str(p) for p in Path("plans").glob("*.json")) if Path("plans").is_dir() else []
    return complete_env(ctx, param, incomplete) + [CompletionItem(p) for p in plans if p.startswith(incomplete)]
