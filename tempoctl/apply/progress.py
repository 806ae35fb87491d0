"""Apply progress: what the operator sees while the steps of a plan run (one line per finished step with its
duration, a live status line on a terminal, a closing summary with counts and total time).

The runner knows nothing about terminals: it calls its `echo` hook with lines, and when that hook is also a
`StepEvents` (as `ApplyProgress` is) it reports each group of steps before sending and each step when final.
`ApplyProgress` keeps the counts and builds the text; the CLI gives it two sinks, `line` (a permanent line)
and `status` (the one live line, or None when the output is not a terminal).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from tempoctl.safetext import for_terminal, one_line

_VERB = {"create": "created", "update": "updated", "delete": "deleted", "replace": "replaced"}


@runtime_checkable
class StepEvents(Protocol):
    """Optional events an `echo` hook may accept (the runner checks with isinstance)."""

    def begin(self, total: int) -> None:
        """Apply is about to run `total` steps."""
        ...

    def started(self, items: list[tuple[Any, Any]]) -> None:
        """A group of (change, step) pairs is being sent back to back and awaited together."""
        ...

    def finished(self, sent: Any, seconds: float) -> None:
        """One step is final (`SentStep`); `seconds` is the send-to-final time of its group."""
        ...


def fmt_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


@dataclass
class ApplyProgress:
    """Collects apply's step events and renders them through `line` and `status`.

    `style(text, kind)` colours a glyph (`kind` is the action or ``pending``); the identity when colour is off.
    """

    line: Callable[[str], None]
    status: Callable[[str], None] | None = None
    style: Callable[[str, str], str] = lambda text, kind: text
    clock: Callable[[], float] = time.monotonic
    total: int = 0
    done: int = 0
    pending: int = 0
    by_action: dict[str, int] = field(default_factory=dict)
    started_at: float | None = None

    def __call__(self, text: str) -> None:
        """A plain message from the runner or an executor (e.g. "Safe batch written to …"); it may quote an
        RPC or a host, so control characters are dropped (safetext) before it reaches the terminal."""
        self.line(for_terminal(text))

    def begin(self, total: int) -> None:
        self.total, self.started_at = total, self.clock()

    def started(self, items: list[tuple[Any, Any]]) -> None:
        if self.status is None or not items:
            return
        first = items[0][0].address
        more = f" and {len(items) - 1} more" if len(items) > 1 else ""
        self.status(one_line(f"[{self.done}/{self.total}] running {first}{more} … {fmt_seconds(self.elapsed)} elapsed"))

    def finished(self, sent: Any, seconds: float) -> None:
        self.done += 1
        action = sent.change.action.value
        if sent.pending:
            self.pending += 1
            tag = self.style("pending", "pending")
        else:
            self.by_action[action] = self.by_action.get(action, 0) + 1
            tag = self.style(sent.change.action.glyph, action)
        width = len(str(self.total or self.done))
        detail = one_line(f"{sent.step.display}  {sent.summary}".rstrip())  # a revert or RPC error's words
        address = one_line(str(sent.change.address))
        self.line(f"  [{self.done:>{width}}/{self.total}] {tag} {address}: {detail}  ({fmt_seconds(seconds)})")

    @property
    def elapsed(self) -> float:
        return 0.0 if self.started_at is None else self.clock() - self.started_at

    def summary(self) -> str:
        """The closing line: steps done and pending, by action, and the total time."""
        done = self.done - self.pending
        parts = [f"{n} {_VERB.get(a, a)}" for a, n in sorted(self.by_action.items())]
        text = f"{done} step(s) done"
        if parts:
            text += f" ({', '.join(parts)})"
        if self.pending:
            text += f", {self.pending} pending (handed off; see above)"
        return f"{text} in {fmt_seconds(self.elapsed)}."
