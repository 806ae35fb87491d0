"""`tempoctl backup run ENV NAME`: take one backup now under the declared policy (what the schedule runs)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from difflib import get_close_matches
from typing import TYPE_CHECKING

import click

from tempoctl.errors import ConfigError, ExitCode

if TYPE_CHECKING:
    # Annotations only: importing the models at module level costs every `tempoctl --help` ~0.2 s (DESIGN §10).
    from tempoctl.cli.context import Ctx
    from tempoctl.desired import DesiredEnvironment
    from tempoctl.desired.models import Backup, Host
    from tempoctl.observed.host.transport import Transport


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
        from tempoctl.observed.host.roots import confine
        from tempoctl.safetext import one_line  # file names and host output are outside text

        with _on_backup_host(c, env_spec, name, on_host) as (_env, policy, host, transport):
            if policy.kind == "files":
                # tar runs from the job user's home (`cd &&`), so that is the base of relative paths here; a
                # path (or a symlink on it) that resolves outside the roots is not archived.
                wanted = {p: p if p.startswith("/") else "~/" + p for p in policy.paths}
                out = confine(transport, "ssh", host.roots, list(wanted.values())).refused
                bad = [f"{p} ({out[w]})" for p, w in wanted.items() if w in out]
                if bad:
                    raise ConfigError(f"backup {name}: refusing to archive {'; '.join(bad)}")
            result = run_backup(transport, name, policy)
        click.echo(one_line(f"{name}: wrote {result.path} ({result.size:,} bytes, "
                            f"{'verified' if result.verified else 'not verified: verify is off'})"))
        if result.removed:
            click.echo(one_line(f"{name}: retention ({policy.retention_days} days) removed "
                                f"{', '.join(result.removed)}"))
        return ExitCode.OK

    c.run(go)


@backup.command("drill")
@click.argument("env_spec", metavar="ENV")
@click.argument("name")
@click.option("--on-host", is_flag=True,
              help="Run the drill here, on the backup's host itself, instead of through its `connection:`.")
@click.pass_obj
def drill(c: Ctx, env_spec: str, name: str, on_host: bool) -> None:
    """Restore the newest verified backup NAME of ENV into a scratch database (or temp directory), run its
    `drill:` smoke checks, record the result, and remove the scratch copy. Exit 0 when the drill passed, 1
    when it failed."""

    def go() -> int:
        from tempoctl.backend import open_backend
        from tempoctl.backup.drill import run_drill
        from tempoctl.safetext import one_line

        with (_on_backup_host(c, env_spec, name, on_host) as (env, policy, _host, transport),
              open_backend(env.state.backend) as records, _killable()):
            result = run_drill(transport, records, env.name, name, policy, _chain_head(env))
        for line in result.cleanup[:-1] if result.scratch else result.cleanup:
            click.echo(one_line(f"{name}: {line}"))
        if result.backup_file:
            click.echo(one_line(f"{name}: restored {result.backup_file} into {result.scratch or '(nothing)'}"))
        for check in result.checks:
            click.echo(one_line(f"  {'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}"))
        if result.problem:
            click.echo(one_line(f"{name}: {result.problem}"))
        if result.scratch and result.cleanup:
            click.echo(one_line(f"{name}: {result.cleanup[-1]}"))
        verdict = "passed" if result.passed else "FAILED"
        click.echo(one_line(f"{name}: drill {verdict} (recorded as {result.drill_id} in the backend)"))
        return ExitCode.OK if result.passed else ExitCode.ERROR

    c.run(go)


@contextmanager
def _on_backup_host(c: Ctx, env_spec: str, name: str, on_host: bool) -> Iterator[tuple[DesiredEnvironment, Backup, Host, Transport]]:
    """The environment, backup NAME's policy, its host and an open transport to it (here with `--on-host`),
    after refusing a destination outside the host's roots; the transport is closed whatever happens. Shared
    by `backup run` and `backup drill`, which must reach the same host the same way."""
    from tempoctl.desired import load_environment
    from tempoctl.observed.host.roots import confine
    from tempoctl.observed.host.transport import LocalTransport, open_transport
    from tempoctl.safetext import for_terminal

    if on_host:
        _enter_repository(env_spec)
    env = load_environment(env_spec)
    policy = _declared(env, name)
    log = (lambda line: click.echo(for_terminal(line), err=True)) if c.verbose else None
    host = env.state.hosts[policy.host]
    transport = LocalTransport(log=log) if on_host else open_transport(host.connection, log=log)
    try:
        refused = confine(transport, host.connection, host.roots, [policy.destination]).refused
        if refused:
            raise ConfigError(f"backup {name}: refusing destination {policy.destination}: it "
                              f"{refused[policy.destination]}")
        yield env, policy, host, transport
    finally:
        transport.close()


def _chain_head(env: DesiredEnvironment) -> Callable[[str], int]:
    """The head block of an EVM network, read once per drill (for `max_block_age`)."""

    def head(network: str) -> int:
        from tempoctl.desired.models import EvmNetwork
        from tempoctl.observed.evm.client import EvmClient

        net = env.state.networks[network]
        assert isinstance(net, EvmNetwork)  # validate refuses a Stellar network here
        client = EvmClient(net.rpc_url)
        client.check_chain(net.chain_id, env.where("networks", network, "chain_id"))
        return int(client.block("latest").number)

    return head


@contextmanager
def _killable() -> Iterator[None]:
    """SIGTERM and SIGHUP (a CI job cancelled, a terminal closed) raise instead of ending the process on the
    spot, so the drill's cleanup runs and its scratch database is dropped."""
    import signal

    class Killed(BaseException):
        pass

    fired: list[int] = []

    def handler(signum: int, _frame: object) -> None:
        if fired:  # a second signal must not abort the cleanup the first one started
            return
        fired.append(signum)
        raise Killed(f"signal {signum}")

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    except Killed as exc:
        raise ConfigError(f"drill interrupted by {exc}; its scratch copy was removed") from None
    finally:
        for s, h in old.items():
            signal.signal(s, h)


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
