"""The apply journal, kept in the environment's backend (one source of truth; see `tempoctl.backend`).

Each step is recorded and committed *before* it is sent (`intent`: signer address, nonce, tx hash and the
signed raw transaction, which holds no key) and after (`sent`, `receipt`). A later apply settles every
`intent` without a receipt (`tempoctl.apply.resume`) before it plans. Records never hold a key.
"""

from __future__ import annotations

import uuid
from typing import Any

from tempoctl.backend import Backend


class Journal:
    """The journal of one apply (`apply_id`) of one environment."""

    def __init__(self, backend: Backend, environment: str, fingerprint: str, apply_id: str | None = None) -> None:
        self.backend = backend
        self.environment = environment
        self.fingerprint = fingerprint
        self.apply_id = apply_id or uuid.uuid4().hex[:12]

    def record(self, event: str, **fields: Any) -> None:
        """Write one event; it is durable when this returns."""
        self.backend.journal_append(self.environment, self.apply_id, event, {"plan": self.fingerprint, **fields})

    def record_many(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Write several events in one commit (one fsync); all are durable when this returns. A wave's
        `intent`s go in one such batch before any of them is sent."""
        self.backend.journal_append_many(self.environment, self.apply_id,
                                         [(event, {"plan": self.fingerprint, **fields}) for event, fields in events])

    def entries(self) -> list[dict[str, Any]]:
        """This apply's events, oldest first."""
        return self.backend.journal_entries(self.environment, self.apply_id)
