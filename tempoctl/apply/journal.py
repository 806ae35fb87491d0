"""The apply journal: one JSON line per step event, written and fsynced *before* the step is sent.

Records hold what is needed to explain or settle an interrupted apply (address, signer address, nonce,
calldata hash, tx hash, receipt status) and never a key. The team backend (SQLite/PostgreSQL) will hold
the same records; until then the journal sits beside the environment's local backend file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path
from typing import Any


def journal_path(backend: str, environment: str, cwd: Path | None = None) -> Path:
    """`.tempoctl/<env>.journal.jsonl`, next to the declared SQLite backend file when there is one."""
    base = Path(cwd or Path.cwd())
    if backend.startswith("sqlite:///"):
        return (base / backend[len("sqlite:///"):]).parent / f"{environment}.journal.jsonl"
    return base / ".tempoctl" / f"{environment}.journal.jsonl"


class Journal:
    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.apply_id = uuid.uuid4().hex[:12]
        self.fingerprint = fingerprint
        path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, event: str, **fields: Any) -> None:
        entry = {"ts": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), "apply_id": self.apply_id,
                 "plan": self.fingerprint, "event": event, **fields}
        line = json.dumps(entry, sort_keys=True, default=str) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # a torn last line after a crash: the step before it is what counts
        return out
