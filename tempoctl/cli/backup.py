"""`tempoctl backup run ENV NAME`: take one backup now under the declared policy (what the schedule runs)."""

from __future__ import annotations

from difflib import get_close_matches
from typing import TYPE_CHECKING

import click

from tempoctl.errors import ConfigError, ExitCode

if TYPE_CHECKING:
    # Annotations only: importing the models at module level costs every `tempoctl --help` ~0.2 s (DESIGN §10).
    from tempoctl.cli.context import Ctx
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
        from tempoctl.observed.host.roots import confine
        from tempoctl.observed.host.transport import LocalTransport, open_transport

        if on_host:
            _enter_repository(env_spec)
        env = load_environment(env_spec)
        policy = _declared(env, name)
        from tempoctl.safetext import for_terminal, one_line  # file names and host output are outside text

        log = (lambda line: click.echo(for_terminal(line), err=True)) if c.verbose else None
        host = env.state.hosts[policy.host]
        transport = LocalTransport(log=log) if on_host else open_transport(host.connection, log=log)
        try:
            refused = confine(transport, host.connection, host.roots, [policy.destination]).refused
            if refused:
                raise ConfigError(f"backup {name}: refusing destination {policy.destination}: it "
                                  f"{refused[policy.destination]}")
            if policy.kind == "files":
                # tar runs from the job user's home (`cd &&`), so that is the base of relative paths here; a
                # path (or a symlink on it) that resolves outside the roots is not archived.
                wanted = {p: p if p.startswith("/") else "~/" + p for p in policy.paths}
                out = confine(transport, "ssh", host.roots, list(wanted.values())).refused
                bad = [f"{p} ({out[w]})" for p, w in wanted.items() if w in out]
                if bad:
                    raise ConfigError(f"backup {name}: refusing to archive {'; '.join(bad)}")
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


def _enter_repository(env_spec: str) -> None:
    """The installed job of a `local` host names the environment by its absolute path and runs from cron's
    working directory (the user's home): work from the repository root instead, where `tempoctl plan` ran,
    so relative paths, the backend and the host's roots (the base of `local` is the repository root) mean
    the same in the job as in the plan."""
    import os
    from pathlib import Path

    p = Path(env_spec)
    if p.is_absolute() and p.parent.name == "state" and p.parent.parent.is_dir():
        os.chdir(p.parent.parent)


def _declared(env: DesiredEnvironment, name: str) -> Backup:
    if name in env.state.backups:
        return env.state.backups[name]
    close = get_close_matches(name, list(env.state.backups), n=1)
    known = ", ".join(env.state.backups) or "none"
    raise ConfigError(f'no backup "{name}" in {env.name}',
                      hint=(f'Did you mean "{close[0]}"? ' if close else "") + f"Declared backups: {known}.")
