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
from typing import TypeVar

from tempoctl import __version__
from tempoctl.errors import ExitCode, TempoctlError
from tempoctl.safetext import for_terminal

T = TypeVar("T")


def run_guarded(fn: Callable[[], int], *, debug: bool) -> int:
    try:
        return fn()
    except TempoctlError as exc:
        if debug:
            traceback.print_exc()
        print(for_terminal(exc.render()), file=sys.stderr)  # errors quote RPC and host text: made inert
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
