"""Command line: thin click commands over the engine. Only this package imports click.

web3 and stellar-sdk are imported lazily by the commands that read chains, so `tempoctl --help` and
`tempoctl validate` stay fast (DESIGN §10).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from tempoctl import __version__
from tempoctl.cli.completion import complete_env, complete_env_or_plan
from tempoctl.cli.context import Ctx, pass_ctx
from tempoctl.cli.drift_metrics import PROMETHEUS, DriftMetrics
from tempoctl.cli.errors import TempoctlGroup
from tempoctl.core.steps import EvmTx
from tempoctl.errors import ExitCode


@click.group(cls=TempoctlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tempoctl")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("-v", "--verbose", count=True, help="More detail (repeatable).")
@click.option("--no-color", is_flag=True, help="Never use colour (default: colour only on a TTY).")
@click.pass_context
def main(ctx: click.Context, debug: bool, verbose: int, no_color: bool) -> None:
    """Declarative desired state for TempoVault (EVM) and Teye (Soroban): validate, plan, apply, drift."""
    ctx.obj = Ctx(debug, verbose, False if no_color else None)
    if verbose:  # -v: every host command (secrets masked) on stderr
        import logging

        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr, force=True)
        from tempoctl.safetext import TerminalLogFilter

        for handler in logging.getLogger().handlers:
            handler.addFilter(TerminalLogFilter())  # host output quoted in a log line: no control characters


def _envs(specs: tuple[str, ...]) -> list[str]:
    if specs:
        return list(specs)
    root = Path("state")
    found = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not found:
        from tempoctl.errors import ConfigError

        raise ConfigError("no environment given and no folders under ./state", hint="Pass ENV (a folder or a name under ./state).")
    return found


TRUSTED_BASE = click.option(
    "--trusted-base", "trusted_base", metavar="REF", default=None,
    help="Take what decides this command's reach (which variables the state files may expand where; which "
         "hosts, paths, databases and backend plan and drift read) from git REF, not the working tree: for a "
         "pull request's content (DESIGN §8). What REF does not declare is not read, and marked.")


@main.command()
@click.argument("envs", nargs=-1, shell_complete=complete_env)
@TRUSTED_BASE
@pass_ctx
def validate(c: Ctx, envs: tuple[str, ...], trusted_base: str | None) -> None:
    """Offline schema and semantic checks of ENV (a folder or a name under ./state)."""

    def go() -> int:
        from tempoctl.desired import load_environment
        from tempoctl.safetext import one_line  # a folder name is outside text too

        for spec in _envs(envs):
            env = load_environment(spec, trusted=trusted_base)
            click.echo(one_line(f"{env.name}: valid ({len(env.files)} files, {len(env.state.contracts)} contracts, "
                                f"{len(env.state.hosts)} hosts, {len(env.state.backups)} backups)"))
        return ExitCode.OK

    c.run(go)


def _render(plan: dict[str, Any], fmt: str, c: Ctx) -> str:
    from tempoctl.plan.render import json as json_render
    from tempoctl.plan.render import markdown, text

    if fmt == "json":
        return json_render.render_json(plan)
    if fmt == "markdown":
        return markdown.render_markdown(plan)
    return text.render_text(plan, color=c.color, verbose=c.verbose > 0)


FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
PARALLELISM = click.option(
    "--parallelism", type=click.IntRange(min=1), default=10, show_default=True, metavar="N",
    help="Read at most N hosts at the same time (one connection each); output stays in declaration order.")
TARGET = click.option("--target", "targets", multiple=True, metavar="ADDR", help="Only this resource address (and what it depends on).")


@main.command()
@click.argument("envs", nargs=-1, shell_complete=complete_env)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan (JSON) for `apply PLANFILE`.")
@FORMAT
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when none.")
@TARGET
@TRUSTED_BASE
@click.option("--no-batch", is_flag=True, hidden=True, help="One RPC request per read (benchmarks).")
@PARALLELISM
@click.option("--fork/--no-fork", "fork", default=None,
              help="Run every EVM step in order on a local anvil fork at the pinned block and show what would "
                   "remain after apply (default: the networks that declare `fork: true`). Needs anvil.")
@pass_ctx
def plan(c: Ctx, envs: tuple[str, ...], out: Path | None, fmt: str, detailed_exitcode: bool, targets: tuple[str, ...],
         trusted_base: str | None, no_batch: bool, parallelism: int, fork: bool | None) -> None:
    """Read live state and print what apply would change."""

    def go() -> int:
        from tempoctl.desired import load_environment
        from tempoctl.plan.build import PlanOptions, build_plan

        names = _envs(envs)
        if out is not None and len(names) != 1:
            from tempoctl.errors import ConfigError

            raise ConfigError("--out saves one plan: give exactly one environment")
        from tempoctl import policy

        changed, denied = False, list[tuple[str, dict[str, Any]]]()
        for spec in names:
            env = load_environment(spec, trusted=trusted_base)
            p, _ = build_plan(env, PlanOptions(targets=targets, batching=not no_batch, parallelism=parallelism,
                                               fork=fork))
            doc = p.to_dict()
            verdict = policy.attach(env, p, doc)  # policies/*.rego, from the trusted base under --trusted-base
            if verdict is not None:
                doc["policy"] = verdict  # where to_dict() puts it (last), so --out saves the same
                denied += [(env.name, verdict)] if verdict.get("deny") else []
            click.echo(_render(doc, fmt, c), nl=False)
            if out is not None:
                from tempoctl.plan.planfile import save_plan

                save_plan(p, out)
                if fmt == "text":
                    click.echo(f"\nSaved the plan to {out}. To apply exactly this plan: tempoctl apply {out}")
            changed = changed or not p.empty
        for name, verdict in denied:  # after every plan is shown (and saved): exit 1, the rules named on stderr
            policy.refuse_if_denied(name, verdict)
        return ExitCode.CHANGES if (detailed_exitcode and changed) else ExitCode.OK

    c.run(go)


@main.command()
@click.argument("planfile", type=click.Path(dir_okay=False, path_type=Path))
@FORMAT
@pass_ctx
def show(c: Ctx, planfile: Path, fmt: str) -> None:
    """Render a saved plan."""

    def go() -> int:
        from tempoctl.plan.planfile import load_plan

        click.echo(_render(load_plan(planfile).to_dict(), fmt, c), nl=False)
        return ExitCode.OK

    c.run(go)


@main.command()
@click.argument("target", nargs=-1, shell_complete=complete_env_or_plan)
@click.option("--auto-approve", is_flag=True, help="Skip the confirmation prompt (the plan is still computed and shown).")
@click.option("--lock-timeout", default="0", show_default=True, metavar="DURATION",
              help="Wait this long (30s, 5m) for another apply of the environment to finish; 0 fails at once.")
@click.option("--gitops-main", metavar="REF", help="CI: refuse unless the environment folder equals REF's (the "
              "fetched tip of main) and is not older than the last applied commit; record it when applied.")
@TARGET
@PARALLELISM
@pass_ctx
def apply(c: Ctx, target: tuple[str, ...], auto_approve: bool, lock_timeout: str, targets: tuple[str, ...],
          gitops_main: str | None, parallelism: int) -> None:
    """Apply a saved plan (PLANFILE), or plan ENV, show it, ask, and apply.

    The environment's lock is held throughout; transactions an earlier, interrupted apply left in flight
    are settled from the journal first, so the plan shows only what remains."""

    def go() -> int:
        from tempoctl import policy
        from tempoctl.apply.runner import apply_plan, rebuild_approved
        from tempoctl.apply.session import ApplySession
        from tempoctl.backend import parse_duration
        from tempoctl.cli.progress_view import ProgressView
        from tempoctl.desired import load_environment
        from tempoctl.errors import ConfigError
        from tempoctl.plan.build import PlanOptions, build_plan
        from tempoctl.plan.planfile import load_plan

        if len(target) > 1:
            raise ConfigError("apply takes one PLANFILE or one ENV")
        specs = list(target) or _envs(())
        if len(specs) != 1:
            raise ConfigError("apply takes one environment at a time", hint="Name it: tempoctl apply ENV")
        spec = specs[0]
        wait = parse_duration(lock_timeout)
        saved = Path(spec).is_file()  # a plan by content, whatever its name (tfplan, plan.out, x.json)
        if saved:
            if targets:
                raise ConfigError("--target is fixed when the plan is saved; re-plan with --target instead")
            p = load_plan(Path(spec))
            env = load_environment(p.environment)
        else:
            env = load_environment(spec)
        from tempoctl.gitops import main_tip_guard

        with (ApplySession(env, command=f"apply {spec}", lock_timeout=wait, echo=click.echo) as session,
              main_tip_guard(session, gitops_main)):
            clients = session.settle()
            if saved:
                approved = p  # an approval only: what is shown, signed and run is what is rebuilt from it
                p = rebuild_approved(env, approved, clients, parallelism=parallelism)
                verdict = policy.attach(env, p)
                click.echo(_render(p.to_dict(), "text", c), nl=False)
                policy.refuse_if_denied(env.name, verdict)  # the rebuilt plan is judged, whatever the file says
            else:
                p, _ = build_plan(env, PlanOptions(targets=targets, create_secret_key=True, parallelism=parallelism),
                                  clients=clients)
                verdict = policy.attach(env, p)
                click.echo(_render(p.to_dict(), "text", c), nl=False)
                policy.refuse_if_denied(env.name, verdict)  # before the prompt: nothing to confirm, nothing sent
                if not p.empty and not auto_approve:
                    if not sys.stdin.isatty():
                        raise ConfigError("apply needs confirmation but stdin is not a terminal",
                                          hint="Review the plan above, then rerun with --auto-approve, or save it "
                                               "with `plan --out` and apply that file.")
                    if click.prompt("\nDo you want to perform these actions? Only 'yes' will be accepted",
                                    default="") != "yes":
                        click.echo("Apply cancelled.")
                        session.outcome = "cancelled"
                        return ExitCode.ERROR
            journal = session.journal(approved.fingerprint() if saved else p.fingerprint())
            if p.empty:
                # settles bookkeeping (managed-key record); sends nothing
                apply_plan(env, p, clients=clients, echo=click.echo, journal=journal, parallelism=parallelism)
                click.echo("Nothing to apply.")
                session.outcome = "nothing to do"
                return ExitCode.OK
            click.echo("\nApplying:")
            ask = (lambda m: str(click.prompt(m, hide_input=True))) if sys.stdin.isatty() else None  # keystores
            view = ProgressView(c.color)
            try:
                report = apply_plan(env, p, clients=clients, echo=view.progress, prompt=ask, journal=journal,
                                    parallelism=parallelism)
            finally:
                view.close()
            click.echo(f"\nApply complete: {view.progress.summary()}")
            pending = [s for s in report.sent if s.pending]
            handed_off = {s.change.address for s in pending}
            left = [ch for ch in (report.leftover.changes if report.leftover else []) if ch.address not in handed_off]
            batched = {s.change.address for s in pending if s.step.kind == EvmTx.KIND and EvmTx.of(s.step).via_safe}
            if batched:
                click.echo(f"{len(batched)} change(s) are in a Safe Transaction Builder batch (see above): the "
                           "Safe's owners execute it; until then plans show them as awaiting multisig execution.")
            if handed_off - batched:
                click.echo(f"{len(handed_off - batched)} change(s) wait for a signature: "
                           f"{', '.join(sorted(handed_off - batched))}. "
                           "Run apply again once the key is available; the next plan shows only what remains.")
            if left:
                session.outcome = "ok, changes remain"
                click.echo(f"Warning: re-planning after apply still finds {len(left)} change(s):", err=True)
                for ch in left:
                    click.echo(f"  {ch.action.glyph} {ch.address}", err=True)
                return ExitCode.ERROR
            session.outcome = "ok, some pending" if handed_off or report.awaiting else "ok"
            if report.awaiting:
                click.echo(f"Re-plan after apply: {len(report.awaiting)} change(s) await multisig execution "
                           "(shown by `tempoctl plan`); nothing else remains.")
                return ExitCode.OK
            if handed_off:
                return ExitCode.OK
            click.echo("Re-plan after apply: no changes. Live state matches the desired state.")
            return ExitCode.OK

    c.run(go)


@main.command()
@click.argument("envs", nargs=-1, shell_complete=complete_env)
@FORMAT
@PROMETHEUS
@TRUSTED_BASE
@PARALLELISM
@pass_ctx
def drift(c: Ctx, envs: tuple[str, ...], fmt: str, prometheus: Path | None, trusted_base: str | None,
          parallelism: int) -> None:
    """Read-only: report live state that differs from the YAML; exit 2 when anything does."""

    def go() -> int:
        from tempoctl.desired import load_environment
        from tempoctl.errors import TempoctlError
        from tempoctl.plan.build import PlanOptions, build_plan
        from tempoctl.plan.drift import render_drift
        from tempoctl.plan.render.values import public_document

        found, metrics, first_error = False, DriftMetrics(prometheus), None
        for spec in _envs(envs):
            env = None
            metrics.begin()
            try:
                env = load_environment(spec, trusted=trusted_base)
                p, obs = build_plan(env, PlanOptions(simulate=False, create_secret_key=True, parallelism=parallelism))
            except TempoctlError as exc:
                if prometheus is None:
                    raise
                metrics.failed(spec, env)  # the other environments are still checked and the file still written
                first_error = first_error or exc
                continue
            doc = public_document(p.to_dict())  # the report goes into issues and logs: sensitive values masked
            metrics.ok(env, doc, obs)
            found = found or bool([ch for ch in p.changes if not ch.pending] or p.drift)  # pending: not drift
            click.echo(render_drift(doc, fmt), nl=False)
        metrics.write()
        if first_error is not None:
            raise first_error
        return ExitCode.CHANGES if found else ExitCode.OK

    c.run(go)


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("schemas"), show_default=True)
@pass_ctx
def schema(c: Ctx, out: Path) -> None:
    """Export the JSON Schemas of the state files (for editors)."""

    def go() -> int:
        from tempoctl.desired.schema import write_schemas

        for path in write_schemas(out):
            click.echo(f"wrote {path}")
        return ExitCode.OK

    c.run(go)


from tempoctl.cli.import_cmd import import_cmd

main.add_command(import_cmd)

from tempoctl.cli.backup import backup

main.add_command(backup)

from tempoctl.cli.lock import lock

main.add_command(lock)

from tempoctl.cli.history import history

main.add_command(history)

from tempoctl.cli.gitops import gitops

main.add_command(gitops)

from tempoctl.cli.alerts import alerts

main.add_command(alerts)
