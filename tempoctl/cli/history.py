"""`tempoctl history ENV [--limit N] [--format text|json]`: the audit log of an environment's applies (who,
host, git commit, plan fingerprint, outcome) with what became of each step, read from its backend."""

from __future__ import annotations

import json

import click

from tempoctl.cli.completion import complete_env
from tempoctl.errors import ExitCode


@click.command("history")
@click.argument("env_spec", metavar="ENV", shell_complete=complete_env)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="How many applies, newest first.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def history(c: object, env_spec: str, limit: int, fmt: str) -> None:
    """Who applied what to ENV, from which commit, and each step's transaction and outcome."""
    from tempoctl.cli.context import Ctx

    assert isinstance(c, Ctx)

    def go() -> int:
        from tempoctl.apply.history import history as read_history
        from tempoctl.apply.history import render_text
        from tempoctl.backend import open_backend
        from tempoctl.desired import load_environment

        env = load_environment(env_spec)
        with open_backend(env.state.backend) as backend:
            entries = read_history(backend, env.name, limit)
        if fmt == "json":
            click.echo(json.dumps({"environment": env.name, "applies": entries}, indent=2, default=str))
        else:
            from tempoctl.safetext import for_terminal

            click.echo(for_terminal(render_text(env.name, entries)))  # journalled RPC and host text
        return ExitCode.OK

    c.run(go)
