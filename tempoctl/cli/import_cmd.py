"""`tempoctl import ENV [--write]`: print (or merge into the state files) YAML for live state that is not
declared yet, so adopting a hand-made change is a reviewed diff rather than a revocation."""

from __future__ import annotations

from pathlib import Path

import click

from tempoctl.errors import ExitCode


def _yaml_text(doc: dict[str, object]) -> str:
    from tempoctl.desired.edit import merge_yaml

    return merge_yaml("", doc)


@click.command("import")
@click.argument("env_spec", metavar="ENV")
@click.option("--write", is_flag=True, help="Merge into the state files (comments and order kept) instead of printing.")
@click.option("--from-block", type=click.IntRange(min=0), default=0, show_default=True,
              help="First block to scan for CircuitBreakerTriggered events (the risk controller's deployment).")
@click.pass_obj
def import_cmd(c: object, env_spec: str, write: bool, from_block: int) -> None:
    """Print YAML for live state not declared yet (unlisted role holders, tripped breakers); --write merges it."""
    from tempoctl.cli.context import Ctx

    assert isinstance(c, Ctx)

    def go() -> int:
        from tempoctl.desired import load_environment
        from tempoctl.desired.source import display_path
        from tempoctl.plan.importer import find_undeclared

        env = load_environment(env_spec)
        found = find_undeclared(env, from_block=from_block)
        pins = ", ".join(f"{n} block {p.get('block')}" for n, p in found.pins.items())
        from tempoctl.safetext import for_terminal

        for note in found.notes:  # notes quote RPC errors
            click.echo(for_terminal(f"note: {note}"), err=True)
        if not found.items:
            click.echo(f"# {env.name}: nothing to import; every live role holder and tripped breaker is declared "
                       f"({pins}).")
            return ExitCode.OK
        if not write:
            for file, doc in found.additions.items():
                click.echo(f"# {display_path(file, None)}: live on {pins}, not declared\n{_yaml_text(doc)}", nl=False)
            click.echo(f"# {len(found.items)} item(s). `tempoctl import {env_spec} --write` merges them into the files.")
            return ExitCode.OK
        changed = write_additions(env.root, found.additions)
        for path in changed:
            click.echo(f"updated {display_path(path, None)}")
        for item in found.items:
            click.echo(f"  + {item.address}")
        click.echo(f"Imported {len(found.items)} item(s). `tempoctl plan {env_spec}` shows no change for them.")
        return ExitCode.OK

    c.run(go)


def write_additions(root: Path, additions: dict[Path, dict[str, object]]) -> list[Path]:
    """Merge every file's additions, check the result still validates, then replace the files atomically."""
    import os
    import shutil
    import stat
    import tempfile

    from tempoctl.atomic import write_atomic
    from tempoctl.desired import load_environment
    from tempoctl.desired.edit import merge_yaml

    texts = {path: merge_yaml(path.read_text(), doc, name=str(path)) for path, doc in additions.items()}
    with tempfile.TemporaryDirectory(prefix="tempoctl-import-") as tmp:
        trial = Path(tmp) / root.name
        shutil.copytree(root, trial)
        for path, text in texts.items():
            (trial / path.relative_to(root)).write_text(text)
        load_environment(trial, environ=os.environ)  # raises ValidationError before any file is touched
    for path, text in texts.items():
        write_atomic(path, text, mode=stat.S_IMODE(path.stat().st_mode))
    return list(texts)
