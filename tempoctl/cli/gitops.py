"""`tempoctl gitops pending` and `tempoctl gitops check`: the backend-kept facts the apply workflow needs
(see tempoctl/gitops.py for why they live in tempoctl and not in a CI script)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from tempoctl.cli.errors import run_guarded
from tempoctl.errors import ExitCode


@click.group()
def gitops() -> None:
    """GitOps checks against the last applied commit per environment (kept in the backend)."""


@gitops.command("pending")
@click.argument("envs", nargs=-1)
@click.option("--commit", default="HEAD", show_default=True, help="The commit to compare (main's, in CI).")
def pending(envs: tuple[str, ...], commit: str) -> None:
    """Print (JSON) the environments whose folder at COMMIT differs from their last applied commit.

    Every folder under ./state when no ENV is given. An environment that cannot be loaded is listed (its plan
    job then reports the error) rather than silently skipped."""

    def go() -> int:
        from tempoctl import gitops as g
        from tempoctl.backend import open_backend
        from tempoctl.desired import load_environment
        from tempoctl.errors import TempoctlError

        root = Path("state")
        specs = list(envs) or (sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else [])
        out: list[str] = []
        for spec in specs:
            folder = Path(spec) if "/" in spec else root / spec
            try:
                here = g.locate(folder, commit)
                env = load_environment(folder)
                with open_backend(env.state.backend) as backend:
                    g.require_shared(backend)
                    wanted, why = g.needs_apply(backend, env.name, here)
            except TempoctlError as exc:
                wanted, why = True, f"cannot tell ({exc.summary}); planned so the error is seen"
            click.echo(f"{folder.name}: {why}", err=True)
            if wanted:
                out.append(folder.name)
        click.echo(json.dumps(out))
        return ExitCode.OK

    sys.exit(run_guarded(go, debug=False))


@gitops.command("check")
@click.argument("env")
@click.option("--main", "main_ref", required=True, help="The tip of main, freshly fetched (origin/main).")
def check(env: str, main_ref: str) -> None:
    """Exit 0 if the checked-out ENV folder may be applied (equals main's, not older than the applied commit),
    else 1 with the reason. `apply --gitops-main REF` makes the same check under the lock."""

    def go() -> int:
        from tempoctl import gitops as g
        from tempoctl.backend import open_backend
        from tempoctl.desired import load_environment

        e = load_environment(env)
        here = g.locate(e.root)
        with open_backend(e.state.backend) as backend:
            g.require_shared(backend)
            g.check(backend, e.name, here, main_ref)
        click.echo(f"{e.name}: {here.rel} at {here.commit[:12]} equals {main_ref}")
        return ExitCode.OK

    sys.exit(run_guarded(go, debug=False))
