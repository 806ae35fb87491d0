"""Host steps on different hosts run at the same time (issue 15 item 2), with what the operator sees unchanged.

Within one step of a wave the runner hands every host's group here at once: at most `parallelism` hosts run
together (the pool that reads hosts, `observed/host/pool.py`), each over its own per-run connection, and each
host's steps still run in plan order. Only the commands and the waiting happen in worker threads; everything
the operator or a later apply reads happens here, in the calling thread, in plan order whatever finishes first:

- the journal: every step's `intent` is written (and durable) before any host starts, then each `done` in plan
  order once all hosts have returned (the backend's connection is used from one thread only);
- progress and output lines, in plan order;
- a failure: the other hosts of the step run to their end (a half-written env file or a unit left mid-restart is
  worse than a finished one), what they did is reported as done, and the first failure in plan order stops the
  apply as a sequential run would, the others listed under it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from tempoctl.apply.context import SentStep
from tempoctl.errors import TempoctlError
from tempoctl.observed.host.pool import map_hosts, raise_first
from tempoctl.plan.model import Change, Step


class ConcurrentExecutor(Protocol):
    """An executor whose group may run beside other groups of its kind (`concurrent = True`)."""

    def intend(self, items: list[tuple[Change, Step]]) -> None: ...

    def perform(self, items: list[tuple[Change, Step]], sent: list[SentStep]) -> None: ...

    def record_done(self, items: list[tuple[Change, Step]]) -> None: ...


@dataclass
class GroupRun:
    """One host's group within a step of a wave: what ran (as it ran), its time, and its failure if any."""

    executor: ConcurrentExecutor
    items: list[tuple[Change, Step]]
    sent: list[SentStep] = field(default_factory=list)
    seconds: float = 0.0
    error: TempoctlError | None = None


def _perform(run: GroupRun) -> GroupRun:
    t0 = time.monotonic()
    try:
        run.executor.perform(run.items, run.sent)
    except TempoctlError as exc:
        run.error = exc
    run.seconds = time.monotonic() - t0
    return run


def run_groups(groups: list[GroupRun], parallelism: int, shown: Callable[[GroupRun], None]) -> list[SentStep]:
    """Run `groups` (plan order) at most `parallelism` at a time; return every step that ran, in plan order.

    `shown(run)` is called for each group in plan order once all have returned (output, progress). Raises the
    first group's failure in plan order, with `sent_steps` holding what every group did."""
    for run in groups:
        run.executor.intend(run.items)
    results = map_hosts(_perform, groups, parallelism)
    sent: list[SentStep] = []
    for run, result in zip(groups, results, strict=True):
        if isinstance(result, TempoctlError):  # _perform catches these; kept for the type
            run.error = result
        ran = {id(s.step) for s in run.sent}
        run.executor.record_done([(c, s) for c, s in run.items if id(s) in ran])
        sent += run.sent
    for run in groups:
        shown(run)
    errors = [run.error for run in groups if run.error is not None]
    if errors:
        first = errors[0]
        first.sent_steps = sent  # type: ignore[attr-defined]  # read by the runner's stop report
        raise_first(errors)
    return sent
