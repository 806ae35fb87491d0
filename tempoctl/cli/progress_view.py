"""The terminal side of apply progress (`tempoctl.apply.progress`): permanent lines always; on a TTY also one
live status line, rewritten in place and cleared before anything else is printed. Not a TTY (CI logs, pipes):
plain lines only, no carriage returns. `--no-color` (or `NO_COLOR`): no ANSI code at all, the live line is
erased with spaces instead of the erase-line sequence.
"""

from __future__ import annotations

import shutil
import sys
from typing import IO

import click

from tempoctl.apply.progress import ApplyProgress

_FG = {"create": "green", "update": "yellow", "delete": "red", "replace": "magenta", "pending": "cyan"}


class LiveLine:
    """The one status line at the bottom of a terminal."""

    def __init__(self, stream: IO[str], color: bool) -> None:
        self.stream, self.color, self.shown = stream, color, 0

    def show(self, text: str) -> None:
        width = max(20, shutil.get_terminal_size((100, 20)).columns - 1)
        text = text if len(text) <= width else text[: width - 1] + "…"
        self.clear()
        self.stream.write(text)
        self.stream.flush()
        self.shown = len(text)

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K" if self.color else "\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0


class ProgressView:
    """An `ApplyProgress` wired to stdout; `close()` clears the live line (also on errors)."""

    def __init__(self, color: bool, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout  # looked up now: CliRunner and pytest swap sys.stdout
        self.live = LiveLine(self.stream, color) if self.stream.isatty() else None
        self.progress = ApplyProgress(
            line=self._line,
            status=self.live.show if self.live else None,
            style=(lambda text, kind: click.style(text, fg=_FG.get(kind))) if color else (lambda text, kind: text),
        )

    def _line(self, text: str) -> None:
        if self.live:
            self.live.clear()
        click.echo(text, file=self.stream)

    def close(self) -> None:
        if self.live:
            self.live.clear()
