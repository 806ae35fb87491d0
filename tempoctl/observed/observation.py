"""What one read of live state produced, shared by every source (EVM, Stellar, hosts).

A source writes the values a plan is computed from into `observed.values` by resource address (these are
what a saved plan records and apply re-reads to refuse a stale plan), helper facts into `observed.facts`,
its pin (chain ID and block, passphrase and ledger, …) into `pins`, and its client into `clients`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tempoctl.core.diags import Diagnostic
from tempoctl.errors import TempoctlError

_TYPED_FACTS = {"role_id": "role_ids", "role_names": "role_names", "signer_roles": "signer_roles",
                "governance": "governance", "notes": "notes", "drift_only": "drift_only", "unread": "unread",
                "unapproved_records": "unapproved_records", "oracle_signals": "oracle_signals",
                "stellar_ledger": "stellar_ledgers", "stellar_archival": "stellar_archival",
                "stellar_contracts": "stellar_contracts", "wasm_pins": "wasm_pins", "host_secrets": "host_secrets",
                "host_units": "host_units", "orphan_schedules": "orphan_schedules",
                "block_timestamps": "block_timestamps"}
"""Helper observations that have a typed field, by the `facts` key they used to live under."""


@dataclass
class ObservedValues:
    """Everything read from live state, by resource address, plus what the planners need to choose signers.

    `values` are what a plan is computed from and what apply re-reads to refuse a stale plan (JSON-able).
    The typed fields are helper observations that do not themselves describe managed state:

    * `role_ids` (contract, role name) → bytes32 id as 0x-hex, and `role_names` id → name;
    * `signer_roles` (governance, role) → names of declared signers holding it live;
    * `governance` contract name → the governance contract it answers to;
    * `diagnostics`: what could not be read as declared (`tempoctl.core.diags`);
    * `notes` for the plan, `drift_only` addresses that are evidence, never plan inputs, and `unread`
      addresses not read at all (no change is planned for them);
    * EVM evidence: `block_timestamps` network → timestamp of the pinned block (an oracle signal's age is
      measured in chain time), `fee_token_decimals` of the oracle's fee token, `oracle_signals` breaker → last signal
      (drift metrics), `unapproved_records` record scope → keys the managed-key record names that are no
      longer approved (apply forgets them);
    * Stellar: `stellar_ledgers` network → pinned ledger, `stellar_archival` network → archival limits,
      `stellar_contracts` name → what the reader saw (multisig), `wasm_pins` name → pinned wasm sha256;
    * hosts and backups: `host_secrets` env file → per-key comparison status, `host_units` host → unit →
      main pid and argv, `orphan_schedules` backup → host and user of a crontab block no longer declared.

    `facts` is what remains untyped: nothing tempoctl writes. Each typed field is also reachable under its old
    `facts` key (the same object), so an observation written the old way, as the planner table tests write
    theirs, reads the same; and the drift metrics read `oracle_signals` from it.
    """

    values: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    role_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    role_names: dict[str, str] = field(default_factory=dict)
    signer_roles: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    governance: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    drift_only: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    block_timestamps: dict[str, int] = field(default_factory=dict)
    fee_token_decimals: int | None = None
    oracle_signals: dict[str, dict[str, Any]] = field(default_factory=dict)
    unapproved_records: dict[str, list[str]] = field(default_factory=dict)
    stellar_ledgers: dict[str, int] = field(default_factory=dict)
    stellar_archival: dict[str, dict[str, Any]] = field(default_factory=dict)
    stellar_contracts: dict[str, dict[str, Any]] = field(default_factory=dict)
    wasm_pins: dict[str, str | None] = field(default_factory=dict)
    host_secrets: dict[str, dict[str, Any]] = field(default_factory=dict)
    host_units: dict[str, dict[str, Any]] = field(default_factory=dict)
    orphan_schedules: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, attr in _TYPED_FACTS.items():
            if key in self.facts:
                setattr(self, attr, self.facts[key])
            self.facts[key] = getattr(self, attr)
        if self.fee_token_decimals is None and "fee_token_decimals" in self.facts:
            self.fee_token_decimals = int(self.facts["fee_token_decimals"])

    def error(self, path: tuple[Any, ...], message: str, address: str | None = None) -> None:
        """Live state does not match the declaration at `path`: the observation fails as a whole."""
        self.diagnostics.append(Diagnostic.error(path, message, address))

    @property
    def errors(self) -> list[Diagnostic]:
        """Error diagnostics, plus any `(path, message)` a reader still appends to `facts["errors"]` the old
        way: a read problem must never be dropped because its reader predates `error()`."""
        legacy = [Diagnostic.error(tuple(path), str(msg)) for path, msg in self.facts.get("errors", [])]
        return [d for d in self.diagnostics if d.is_error] + legacy

    def mark_unread(self, address: str, reason: str) -> None:
        """`address` (and everything under it) was not read: nothing is planned or counted as drift for it."""
        self.unread.append(address)
        self.notes.append(f"{address}: not read: {reason}")


class ObservationError(TempoctlError):
    """Live state could not be read the way the YAML describes it (missing getter, wrong contract)."""


@dataclass
class ReadOptions:
    """How to read: `batching` off sends one request per read (benchmarks compare both)."""

    batching: bool = True
    create_secret_key: bool = False
    """Drift and apply may create the backend's secret comparison key; a plan only reads it."""
    parallelism: int = 10
    """How many hosts are read at the same time (`--parallelism`; observed/host/pool.py)."""


@dataclass
class Observation:
    """What was read: values by resource address, helper facts, and the pin of each network."""

    observed: ObservedValues
    pins: dict[str, dict[str, Any]] = field(default_factory=dict)
    round_trips: int = 0
    clients: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    cwd: Path | None = None
    """Where relative backend and release paths resolve (the working directory of the command)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Per-source helpers that apply reuses (the Stellar managed-key record)."""
