"""`tempoctl backup run ENV NAME`: take one backup now under the declared policy (what the schedule runs)."""

from __future__ import annotations

from difflib import get_close_matches
from typing import TYPE_CHECKING

import click

from tempoctl.errors import ConfigError, ExitCode

if TYPE_CHECKING:
    # Annotations only: importing the models at module level costs every `tempoctl --help` ~0.2 s (DESIGN §10).
    from tempoctl.cli import Ctx
    from tempoctl.desired import DesiredEnvironment
    from tempoctl.desired.models import Backup


@click.group()
def backup() -> None:
    """Backups declared under `backups:` in an environment."""


@backup.command("run")
@click.argument("env_spec", metavar="ENV")
@click.argument("name")
@click.option("--on-host", is_flag=True,
              help="Run the job here, on the backup's host itself (what the installed schedule does), "
                   "instead of reaching the host through its `connection:`.")
@click.pass_obj
def run(c: Ctx, env_spec: str, name: str, on_host: bool) -> None:
    """Take one backup NAME of ENV now, verify it, and apply retention."""

    def go() -> int:
        from tempoctl.backup.run import run_backup
        from tempoctl.desired import load_environment
        from tempoctl.observed.host.transport import LocalTransport, open_transport

        env = load_environment(env_spec)
        policy = _declared(env, name)
        from tempoctl.safetext import for_terminal, one_line  # file names and host output are outside text

        log = (lambda line: click.echo(for_terminal(line), err=True)) if c.verbose else None
        host = env.state.hosts[policy.host]
        transport = LocalTransport(log=log) if on_host else open_transport(host.connection, log=log)
        try:
            result = run_backup(transport, name, policy)
        finally:
            transport.close()
        click.echo(one_line(f"{name}: wrote {result.path} ({result.size:,} bytes, "
                            f"{'verified' if result.verified else 'not verified: verify is off'})"))
        if result.removed:
            click.echo(one_line(f"{name}: retention ({policy.retention_days} days) removed "
                                f"{', '.join(result.removed)}"))
        return ExitCode.OK

    c.run(go)


def _declared(env: DesiredEnvironment, name: str) -> Backup:
    if name in env.state.backups:
        return env.state.backups[name]
    close = get_close_matches(name, list(env.state.backups), n=1)
    known = ", ".join(env.state.backups) or "none"
    raise ConfigError(f'no backup "{name}" in {env.name}',
                      hint=(f'Did you mean "{close[0]}"? ' if close else "") + f"Declared backups: {known}.")
