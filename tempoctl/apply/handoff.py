"""What apply does around hand-offs (Safe batches, unsigned XDR): skip what already awaits a multisig, hold
back what depends on it, and keep the pending records in step with live state.

A change handed off in an earlier apply is not proposed again; a change that depends on a handed-off one runs
only if it goes to the same hand-off (the same Safe, whose batch executes in order), otherwise it waits for
the next apply after the multisig has executed. The re-plan at the end counts neither as left over.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from tempoctl.desired import DesiredEnvironment
from tempoctl.plan.model import Change, Plan
from tempoctl.plan.pending import awaiting, awaiting_label, load_store


class HandoffTracker:
    """One apply's view of hand-offs. `held` maps a handed-off (or held-back) change to the signer that took
    it, or None when nothing may follow it in this apply."""

    def __init__(self, env: DesiredEnvironment, plan: Plan, echo: Callable[[str], None], cwd: Path | None) -> None:
        self.env, self.echo, self.cwd, self.targeted = env, echo, cwd, bool(plan.targets)
        self._settle(plan.changes)
        self.before = awaiting(plan.changes)
        self.held: dict[str, str | None] = {a: None for a in self.before}
        self.waiting: list[str] = []  # after `finish`: what the re-plan still finds, waiting for a multisig

    def _settle(self, changes: list[Change]) -> None:
        """Forget hand-offs whose change is gone from a complete plan: executed, or dropped from the YAML."""
        if self.targeted:
            return
        store = load_store(self.env, self.cwd)
        if store.settle(changes):
            store.save()

    def runnable(self, changes: list[Change]) -> list[Change]:
        """The changes this apply may run, after saying which ones wait for an earlier hand-off."""
        for c in changes:
            if c.pending:
                self.echo(f"  {awaiting_label(c.note)}: {c.address} (handed off before; not proposed again)")
            elif c.address in self.before:
                self.echo(f"  waiting: {c.address} (depends on a change awaiting multisig execution)")
        return [c for c in changes if c.address not in self.before]

    def admit(self, wave: list[Change]) -> list[Change]:
        """The wave's changes that may run now; the others are held back (and so is what depends on them)."""
        out = []
        for c in wave:
            if c.address in self.before:
                continue
            blocking = [d for d in c.depends_on if d in self.held
                        and (self.held[d] is None or any(s.signer != self.held[d] for s in c.steps))]
            if blocking:
                self.held[c.address] = None
                self.echo(f"  waiting: {c.address} (after {blocking[0]}, handed off for multisig execution)")
            else:
                out.append(c)
        return out

    def finish(self, after: Plan) -> Plan:
        """Settle the records against the re-plan; return it without what awaits a multisig (not left over)."""
        self._settle(after.changes)
        waiting = awaiting(after.changes)
        self.waiting = [c.address for c in after.changes if c.address in waiting]
        return dataclasses.replace(after, changes=[c for c in after.changes if c.address not in waiting])

