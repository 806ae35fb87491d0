"""`tempoctl alerts ENV [--out FILE]`: the Prometheus alert rules of ENV, generated from its state files
(tempoctl.alerts), printed or written atomically. Offline: reads only the state files."""

from __future__ import annotations

from pathlib import Path

import click

from tempoctl.cli.completion import complete_env
from tempoctl.errors import ExitCode


@click.command("alerts")
@click.argument("env_spec", metavar="ENV", shell_complete=complete_env)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE", default=None,
              help="Write the rules file here (atomically) instead of printing it.")
@click.pass_obj
def alerts(c: object, env_spec: str, out: Path | None) -> None:
    """Prometheus alert rules for ENV from its thresholds and `alerts:` settings (for `drift --prometheus`)."""
    from tempoctl.cli.context import Ctx

    assert isinstance(c, Ctx)

    def go() -> int:
        from tempoctl.alerts import build_rules, render_rules
        from tempoctl.desired import load_environment
        from tempoctl.safetext import one_line

        env = load_environment(env_spec)
        text = render_rules(env)
        if out is None:
            click.echo(text, nl=False)
            return ExitCode.OK
        from tempoctl.atomic import write_atomic

        write_atomic(out, text, mode=0o644)  # Prometheus runs as its own user; the rules hold no secret
        rules = build_rules(env.state)
        critical = sum(1 for r in rules if r.severity == "critical")
        click.echo(one_line(f"wrote {out}: {len(rules)} rules for {env.name} ({critical} critical, "
                            f"{len(rules) - critical} warning)"))
        return ExitCode.OK

    c.run(go)
