"""The one place where errors become messages and exit codes (pre-commit's error handler, Terraform's
diagnostics). Expected errors print as one block on stderr; anything else writes a crash log with the
traceback and prints one line pointing at it, unless --debug asks for the traceback itself."""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from tempoctl import __version__
from tempoctl.errors import Diagnostic, ExitCode, TempoctlError, ValidationError
from tempoctl.safetext import for_terminal, one_line

T = TypeVar("T")


class TempoctlGroup(click.Group):
    """The top-level command group: a usage error (unknown option, bad value, missing argument — click's
    UsageError and its subclasses, exit 2 by default) exits 1, because exit 2 means only "changes present"
    or "drift found" (DESIGN §6) and CI must never read a typo as drift. Subcommands are parsed inside
    `invoke`, so both places are covered; click still prints its own usage message, made inert first."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _usage_error(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _usage_error(exc) from None


def _usage_error(exc: click.UsageError) -> click.UsageError:
    """Exit 1, and the message on one inert line: click quotes what was typed ("Got unexpected extra argument
    (…)", "No such option: …") as it is, so an argument holding escape sequences or a carriage return (a
    pasted or generated command line) could repaint the terminal."""
    inert = click.UsageError(one_line(exc.format_message()), exc.ctx)  # the subclass's full message, made inert
    setattr(inert, "exit_code", ExitCode.ERROR)  # noqa: B010 - click declares it a class variable
    return inert


def run_guarded(fn: Callable[[], int], *, debug: bool) -> int:
    try:
        return fn()
    except TempoctlError as exc:
        if debug:
            traceback.print_exc()
        print(_inert(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return ExitCode.ERROR
    except Exception:
        if debug:
            raise
        path = _crash_log()
        print(f"Error: tempoctl hit an internal error (a bug). Details were written to {path}; "
              "rerun with --debug to see them here.", file=sys.stderr)
        return ExitCode.ERROR


def _inert(exc: TempoctlError) -> str:
    """The error as the operator reads it (its own `render()`), with quoted RPC and host text made inert: no
    control character anywhere, and no newline inside the summary or a diagnostic (one line each by design),
    so a hostile message cannot start a line of its own ("Apply complete")."""
    exc.summary = one_line(exc.summary)
    if isinstance(exc, ValidationError):
        exc.diagnostics = [Diagnostic(one_line(d.where), one_line(d.path), one_line(d.message))
                           for d in exc.diagnostics]
    return for_terminal(exc.render())


def _crash_log() -> Path:
    base = Path(os.environ.get("TEMPOCTL_CRASH_DIR", ".tempoctl"))
    try:
        base.mkdir(parents=True, exist_ok=True)
        path = base / f"crash-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.log"
        path.write_text(f"tempoctl {__version__}\npython {sys.version}\n\n{traceback.format_exc()}")
        os.chmod(path, 0o600)
        return path
    except OSError:
        return Path("(unwritable)")
