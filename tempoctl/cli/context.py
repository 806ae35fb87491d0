"""The object every command receives (`Ctx`: --debug, -v, colour) and the funnel it runs a command through.

Apart from `cli/__init__.py`, which registers the commands, so a command module can import it without importing
the module that imports every command: no import cycle between the CLI and its subcommands.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import click

from tempoctl.cli.errors import run_guarded


class Ctx:
    """The global options of one invocation, and `run`: every command's body goes through it to get its exit code."""

    def __init__(self, debug: bool, verbose: int, color: bool | None) -> None:
        self.debug = debug
        self.verbose = verbose
        self.color = color if color is not None else (sys.stdout.isatty() and not os.environ.get("NO_COLOR"))

    def run(self, fn: Callable[[], int]) -> None:
        from tempoctl.safetext import reset_hidden

        reset_hidden()  # the ${VAR} values hidden from output are those this command's loads read
        try:
            code = run_guarded(fn, debug=self.debug)
        finally:
            transport = sys.modules.get("tempoctl.observed.host.transport")
            if transport is not None:  # only commands that reached a host opened connections
                transport.close_shared()  # one ssh connection per host per run, closed when the command ends
        sys.exit(code)


pass_ctx = click.make_pass_decorator(Ctx)
