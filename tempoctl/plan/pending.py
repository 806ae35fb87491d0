"""Changes handed off to someone else (a Safe batch, an unsigned Stellar XDR) and not yet executed.

Apply records each hand-off here; the next plan marks a change whose steps are exactly the handed-off ones
as pending ("awaiting multisig execution") instead of planning it again, and apply neither re-proposes it nor
runs what depends on it. When a change no longer appears in an untargeted plan it was executed (or dropped
from the YAML) and its record is removed. The records live in the environment's backend (table `pending`),
so an operator's laptop and the CI runner that applies on merge see the same hand-offs; they hold addresses,
calldata digests and file names, never a key.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tempoctl.plan.model import Change, Step

if TYPE_CHECKING:
    from tempoctl.backend import LockHolder

_STEP_KEYS = ("network", "chain_id", "to", "data", "contract", "function", "args")


def steps_digest(steps: Iterable[Step]) -> str:
    """What a hand-off is of: the steps' targets and calldata (not their simulation or display)."""
    doc = [[s.kind, s.signer, {k: s.fields.get(k) for k in _STEP_KEYS if k in s.fields}] for s in steps]
    return "sha256:" + hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


class PendingStore:
    """The records of one environment: address → {digest, signer, handoff, file, apply_id, created_at}.

    Loaded once from the backend; `save` writes back only what this store added, changed or dropped."""

    def __init__(self, environment: str, backend: str, cwd: Path | None = None, *, opened: bool = True) -> None:
        self.environment, self.backend, self.cwd = environment, backend, cwd
        self.records: dict[str, dict[str, Any]] = {}
        self.unsettled: list[dict[str, Any]] = []  # sends an earlier apply journalled but never settled
        self.holder: LockHolder | None = None  # who holds the environment's apply lock now, if anyone
        if opened and self._exists():
            with self._open() as be:
                self.records = be.pending_records(environment)
                self.unsettled = be.unsettled(environment)
                holder = be.lock_status(environment)
                # apply plans under its own lock: that holder is this process, not another apply
                self.holder = None if holder is not None and holder.is_me() else holder
        self._saved = copy.deepcopy(self.records)

    def _exists(self) -> bool:
        """A plan does not create a SQLite backend that no apply has written yet (it has no records)."""
        from tempoctl.backend import backend_exists

        return backend_exists(self.backend, self.cwd)

    def _open(self) -> Any:
        from tempoctl.backend import open_backend

        return open_backend(self.backend, cwd=self.cwd)

    def in_flight_notes(self) -> list[str]:
        """What a plan reader must know before trusting it: an apply is running now (its lock is held by a
        live process), or an earlier one stopped with sends in flight, so some changes shown here may already
        be on chain (apply settles them before sending anything)."""
        state, who = self.apply_state()
        if not self.unsettled:
            if state != "running":
                return []
            return [(f"An apply is running now ({who}): this plan shows the state before it ends; plan again "
                     "once it has finished.")]
        first = self.unsettled[0]
        count = f"{len(self.unsettled)} transaction(s)"
        if state == "running":
            note = (f"An apply is running now ({who}): {count} it sent are not settled yet and may be mined any "
                    "moment, so this plan may show changes they make. Plan again once it has finished.")
        elif state == "unknown":
            note = (f"An apply holds the lock from another host ({who}); whether it still runs cannot be told "
                    f"from here. {count} of apply {first.get('apply_id', '?')} ({first.get('ts', '?')}) are "
                    "journalled but not settled: they may be on chain already, so this plan may show changes "
                    "they make.")
        else:
            gone = f" (its process {who} is gone)" if self.holder is not None else ""
            note = (f"An earlier apply ({first.get('apply_id', '?')}, {first.get('ts', '?')}) stopped{gone} with "
                    f"{count} journalled but not settled: they may be on chain already, "
                    "so this plan may show changes they make. `tempoctl apply` settles them before sending anything.")
        return [note]

    def apply_state(self) -> tuple[str, str]:
        """("running" | "stopped" | "unknown", who): "running" when the lock's holder is a live process on
        this host or holds a live PostgreSQL session; "unknown" for a SQLite lock taken on another host."""
        h = self.holder
        if h is None:
            return "stopped", ""
        from tempoctl.safetext import one_line

        who = one_line(f"{h.command} by {h.holder}@{h.host}, pid {h.pid}, since {h.created_at}")
        if h.session or h.local_and_alive():
            return "running", who
        return ("stopped" if h.local_and_dead() else "unknown"), who

    def save(self) -> None:
        put = {a: r for a, r in self.records.items() if self._saved.get(a) != r}
        drop = [a for a in self._saved if a not in self.records]
        if put or drop:
            with self._open() as be:
                be.update_pending(self.environment, put, drop)
        self._saved = copy.deepcopy(self.records)

    def add(self, change: Change, *, handoff: str, file: str, signer: str | None,
            apply_id: str) -> dict[str, Any] | None:
        """Record `change` as handed off; returns the record it replaces (a different, older hand-off)."""
        old = self.records.get(change.address)
        digest = steps_digest(change.steps)
        self.records[change.address] = {
            "digest": digest, "handoff": handoff, "file": file, "signer": signer, "apply_id": apply_id,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        return old if old and (old.get("digest") != digest or old.get("file") != file) else None

    def mark(self, changes: list[Change]) -> None:
        """Set `pending` (with a note naming the hand-off) on changes whose steps are a recorded hand-off."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for c in changes:
            rec = self.records.get(c.address)
            if rec and rec.get("expires_at") and str(rec["expires_at"]) < now:
                continue  # an unsigned XDR past its time bounds can never execute: plan the change again
            if rec and rec.get("digest") == steps_digest(c.steps):
                c.pending = True
                what = f"{rec.get('handoff', 'hand-off')} {rec.get('file', '')}".strip()
                note = f"handed off in {what} at {rec.get('created_at', '?')}"
                c.note = f"{c.note}\n{note}" if c.note else note

    def settle(self, changes: list[Change]) -> list[str]:
        """Drop records whose change no longer appears in a complete (untargeted) plan; return their addresses."""
        present = {c.address for c in changes}
        gone = [a for a in self.records if a not in present]
        for a in gone:
            del self.records[a]
        return gone


WAIT_PREFIX = "waiting until "
"""A profile marks a change `pending` with a note line starting with this when it waits on chain for a time
(a timelock's delay): the line itself, with its ready time, is how the change is described."""


def awaiting_label(note: str | None) -> str:
    """How a pending change is described: a Safe batch awaits its owners, an unsigned XDR a signature, a
    scheduled operation its ready time."""
    wait = next((line for line in (note or "").splitlines() if line.startswith(WAIT_PREFIX)), None)
    if wait is not None:
        return wait
    return "awaiting a signature (unsigned XDR)" if "unsigned XDR" in (note or "") else "awaiting multisig execution"


def awaiting(changes: list[Change]) -> set[str]:
    """Pending changes and everything that depends on them, transitively: what waits for a multisig."""
    out = {c.address for c in changes if c.pending}
    grew = True
    while grew:
        grew = False
        for c in changes:
            if c.address not in out and any(d in out for d in c.depends_on):
                out.add(c.address)
                grew = True
    return out


def load_store(env: Any, cwd: Path | None = None) -> PendingStore:
    """The environment's hand-off records; none (nothing opened) when a PR names another backend than
    the trusted base (desired/reach.py): a PR must not choose what a plan connects to."""
    reach = getattr(env, "reach", None)
    if reach is not None and reach.backend() is not None:
        return PendingStore(env.name, env.state.backend, cwd, opened=False)
    return PendingStore(env.name, env.state.backend, cwd)
