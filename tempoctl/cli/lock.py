"""`tempoctl lock status ENV` and `tempoctl lock release ENV --id ID`: see and clear an environment's apply
lock (DESIGN §6). PostgreSQL locks vanish with their holder's connection; a SQLite lock left by a process
that died on another host needs `release` (on the same host, the next apply takes it over by itself)."""

from __future__ import annotations

import sys

import click

from tempoctl.cli.errors import run_guarded
from tempoctl.errors import ExitCode
from tempoctl.safetext import one_line


@click.group()
def lock() -> None:
    """Inspect or release an environment's apply lock."""


@lock.command("status")
@click.argument("env")
@click.pass_context
def status(ctx: click.Context, env: str) -> None:
    """Who holds the apply lock of ENV, and how the last apply ended."""

    def go() -> int:
        from tempoctl.backend import open_backend
        from tempoctl.desired import load_environment

        e = load_environment(env)
        with open_backend(e.state.backend) as backend:
            holder = backend.lock_status(e.name)
            if holder is None:
                click.echo(f"{e.name} is not locked.")
            else:
                click.echo(f"{e.name} is locked.\n\nLock Info:\n{holder.describe()}")
                if backend.dialect == "sqlite" and holder.local_and_dead():
                    click.echo("\nIts process is gone: the next apply on this host takes the lock over.")
            last = backend.applies(e.name, limit=1, steps=False)
            if last:
                a = last[0]
                # The backend's text was written by other machines and apply errors quote RPCs: one inert line.
                click.echo("\n" + one_line(f"Last apply: {a['apply_id']} by {a['holder']}@{a['host']} started "
                                            f"{a['started_at']}, {a['outcome']}" + (f": {a['error']}" if a["error"] else "")))
        return ExitCode.OK

    sys.exit(run_guarded(go, debug=_debug(ctx)))


@lock.command("release")
@click.argument("env")
@click.option("--id", "lock_id", required=True, help="The lock ID shown by `lock status` (guards against races).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True,
              help="Release even though the holding process still runs on this host (dangerous: see the warning).")
@click.pass_context
def release(ctx: click.Context, env: str, lock_id: str, yes: bool, force: bool) -> None:
    """Clear a stuck lock of ENV, after confirmation. Only when its holder is really gone: a holder that
    still runs on this host (same pid, same start time) is refused unless --force."""

    def go() -> int:
        from tempoctl.backend import open_backend
        from tempoctl.desired import load_environment
        from tempoctl.errors import ConfigError, LockError

        e = load_environment(env)
        with open_backend(e.state.backend) as backend:
            holder = backend.lock_status(e.name)
            if holder is None:
                raise LockError(f"{e.name} is not locked", hint="Nothing to release.")
            click.echo(f"Lock Info:\n{holder.describe()}")
            if holder.local_and_alive():
                if not force:
                    raise LockError(
                        f"refusing to release lock {holder.lock_id} of {e.name}: its apply is still running on this "
                        f"host (pid {holder.pid}, the same process that took the lock)",
                        hint="Wait for it to finish, or stop that process first (the next apply settles what it left "
                             "in flight). --force releases it anyway; see `tempoctl lock release --help`.")
                click.echo(f"\nWarning: pid {holder.pid} on this host still holds this lock and is still running. "
                           "Releasing it lets a second apply start while this one may still be sending or polling "
                           "transactions: both would settle the same in-flight transactions and may resend, replace "
                           "or abandon them, and their steps would interleave on chain.", err=True)
            if not yes:
                if not sys.stdin.isatty():
                    raise ConfigError("lock release needs confirmation but stdin is not a terminal",
                                      hint="Rerun with --yes once you are sure the holder is gone.")
                click.echo("\nReleasing a lock whose apply is still running lets two applies interleave.")
                if click.prompt("Release it? Only 'yes' will be accepted", default="") != "yes":
                    click.echo("Release cancelled.")
                    return ExitCode.ERROR
            backend.force_release(e.name, lock_id)
            click.echo(f"Released lock {lock_id} of {e.name}.")
        return ExitCode.OK

    sys.exit(run_guarded(go, debug=_debug(ctx)))


def _debug(ctx: click.Context) -> bool:
    root = ctx.find_root().obj
    return bool(getattr(root, "debug", False))
