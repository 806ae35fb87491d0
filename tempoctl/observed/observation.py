"""What one read of live state produced, shared by every source (EVM, Stellar, hosts).

A source writes the values a plan is computed from into `observed.values` by resource address (these are
what a saved plan records and apply re-reads to refuse a stale plan), helper facts into `observed.facts`,
its pin (chain ID and block, passphrase and ledger, …) into `pins`, and its client into `clients`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tempoctl.errors import TempoctlError


@dataclass
class ObservedValues:
    """Everything read from live state, by resource address, plus facts the planners need.

    `values` are what a plan is computed from and what apply re-reads to refuse a stale plan (JSON-able).
    `facts` are helper observations (role ids, which signer holds which role) that do not themselves
    describe managed state but that planners use to choose signers.
    """

    values: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


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
