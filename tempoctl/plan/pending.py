"""Changes handed off to someone else (a Safe batch, later an unsigned Stellar XDR) and not yet executed.

Apply records each hand-off here; the next plan marks a change whose steps are exactly the handed-off ones
as pending ("awaiting multisig execution") instead of planning it again, and apply neither re-proposes it nor
runs what depends on it. When a change no longer appears in an untargeted plan it was executed (or dropped
from the YAML) and its record is removed. Until the team backend holds these records they live in
`<env>.pending.json` beside the journal, written atomically; they hold addresses and calldata, never a key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tempoctl.atomic import write_atomic
from tempoctl.plan.model import Change, Step

_STEP_KEYS = ("network", "chain_id", "to", "data", "contract", "function", "args")


def pending_path(backend: str, environment: str, cwd: Path | None = None) -> Path:
    """`<env>.pending.json` in the directory of the journal (the SQLite backend's, else `.tempoctl/`)."""
    from tempoctl.backend import sqlite_path

    folder = sqlite_path(backend, cwd).parent if backend.startswith("sqlite:///") else Path(cwd or Path.cwd()) / ".tempoctl"
    return folder / f"{environment}.pending.json"


def steps_digest(steps: Iterable[Step]) -> str:
    """What a hand-off is of: the steps' targets and calldata (not their simulation or display)."""
    doc = [[s.kind, s.signer, {k: s.fields.get(k) for k in _STEP_KEYS if k in s.fields}] for s in steps]
    return "sha256:" + hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


class PendingStore:
    """The records of one environment: address → {digest, signer, handoff, file, apply_id, created_at}."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[str, dict[str, Any]] = {}
        try:
            doc = json.loads(path.read_text())
            self.records = {str(k): dict(v) for k, v in doc.get("pending", {}).items()}
        except (OSError, ValueError, AttributeError):
            self.records = {}  # none yet, or unreadable: nothing is treated as pending (plans again, visibly)

    def save(self) -> None:
        write_atomic(self.path, json.dumps({"format": 1, "pending": self.records}, indent=2, sort_keys=True) + "\n")

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


def awaiting_label(note: str | None) -> str:
    """How a pending change is described: a Safe batch awaits its owners, an unsigned XDR a signature."""
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
    return PendingStore(pending_path(env.state.backend, env.name, cwd))
