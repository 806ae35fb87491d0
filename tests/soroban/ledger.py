"""Ledger state of the emulator: real ``LedgerEntry`` XDR keyed by base64 ``LedgerKey`` XDR.

Contract data and code entries have a companion ``TTL`` entry (``LedgerKey::Ttl`` keyed by
sha256 of the key XDR), exactly as on the network. A persistent entry whose
``liveUntilLedgerSeq`` is below the current ledger is *archived*: invisible to
``getLedgerEntries`` and auto-restored when a transaction touches it (Protocol 23 behaviour).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from stellar_sdk import xdr as x

from . import xdr_helpers as h


@dataclass
class NetworkConfig:
    protocol_version: int = 23
    min_persistent_ttl: int = 120_960  # ledgers a new persistent entry lives (testnet value)
    max_entry_ttl: int = 3_110_400  # network maximum; contract extensions are clamped to it
    base_fee: int = 100
    retention_window: int = 120_960  # ledgers of history (transactions, events) the RPC keeps (default ~7 days)
    # Soroban transactions per ledger: CONFIG_SETTING_CONTRACT_EXECUTION_LANES.ledgerMaxTxCount. Testnet value
    # 2000, from stellar/stellar-core `soroban-settings/testnet_settings_upgrade.json`
    # ("contract_execution_lanes": {"ledger_max_tx_count": 2000}, commit d96136efd "Update testnet settings for
    # protocol 28"; the same value since 9f2950a6f, SLP-4). stellar-core's tx-set builder
    # (SurgePricingLaneConfig) leaves the rest in the queue for a later ledger.
    ledger_max_tx_count: int = 2000
    # The network's target close time, same file: "scp_timing": {"ledger_target_close_time_milliseconds": 5000}.
    # Only informative here: the emulator's cadence is `start_emulator(ledger_interval=...)`.
    ledger_target_close_ms: int = 5000


@dataclass
class Change:
    key: x.LedgerKey
    before: x.LedgerEntry | None
    after: x.LedgerEntry | None


class LedgerState:
    """The committed state. All access goes through ``lock``."""

    def __init__(self, start_sequence: int = 1000, config: NetworkConfig | None = None) -> None:
        self.lock = threading.RLock()
        self.config = config or NetworkConfig()
        self.sequence = start_sequence
        self.oldest = start_sequence
        self.close_time = int(time.time())
        self.close_times: dict[int, int] = {start_sequence: self.close_time}
        self.entries: dict[str, x.LedgerEntry] = {}
        self.used_nonces: set[tuple[str, int]] = set()

    # -- ledger clock ---------------------------------------------------------------
    def close_ledger(self, n: int = 1) -> int:
        """Close ``n`` ledgers. Close time follows the wall clock (never backwards), so
        transactions built with ``set_timeout`` stay valid after large ``advance`` calls."""
        with self.lock:
            self.sequence += n
            self.close_time = max(self.close_time, int(time.time()))
            self.close_times[self.sequence] = self.close_time
            self.trim_history()
            return self.sequence

    def trim_history(self) -> None:
        """Drop history that has left the retention window, as the RPC does while it ingests ledgers:
        ``oldest`` becomes ``latest - window + 1``. It only moves forward; a dropped ledger never comes back,
        even if the window is widened again."""
        with self.lock:
            self.oldest = max(self.oldest, self.sequence - self.config.retention_window + 1)

    # -- raw access ------------------------------------------------------------------
    def raw_get(self, key: x.LedgerKey) -> x.LedgerEntry | None:
        return self.entries.get(h.b64(key))

    def live_until(self, key: x.LedgerKey) -> int | None:
        if not h.has_ttl(key):
            return None
        t = self.entries.get(h.b64(h.ttl_key_for(key)))
        if t is None:
            return None
        assert t.data.ttl is not None
        return int(t.data.ttl.live_until_ledger_seq.uint32)

    def is_archived(self, key: x.LedgerKey, at: int | None = None) -> bool:
        lu = self.live_until(key)
        return lu is not None and lu < (self.sequence if at is None else at)

    def get_live(self, key: x.LedgerKey) -> x.LedgerEntry | None:
        """What getLedgerEntries shows: absent when missing or archived."""
        e = self.raw_get(key)
        if e is None or self.is_archived(key):
            return None
        return e

    def put(self, e: x.LedgerEntry, live_until: int | None = None) -> None:
        """Out-of-band write (fixtures, drift). New TTL'd entries get the minimum TTL."""
        with self.lock:
            key = h.key_of(e)
            self.entries[h.b64(key)] = e
            if h.has_ttl(key):
                if live_until is None:
                    live_until = self.live_until(key) or (self.sequence + self.config.min_persistent_ttl - 1)
                self.set_ttl(key, live_until)

    def set_ttl(self, key: x.LedgerKey, live_until: int) -> None:
        with self.lock:
            tk = h.ttl_key_for(key)
            self.entries[h.b64(tk)] = h.ttl_entry(key, live_until, self.sequence)

    def delete(self, key: x.LedgerKey) -> None:
        with self.lock:
            self.entries.pop(h.b64(key), None)
            if h.has_ttl(key):
                self.entries.pop(h.b64(h.ttl_key_for(key)), None)


class Overlay:
    """A copy-on-write view over ``LedgerState`` for one transaction (or simulation).

    Tracks the keys read and written so simulation can report a footprint and
    ``stateChanges``, and ``apply`` can check the transaction's declared footprint.
    """

    def __init__(self, base: LedgerState, ledger_seq: int) -> None:
        self.base = base
        self.seq = ledger_seq
        self.changes: dict[str, x.LedgerEntry | None] = {}
        self.keys: dict[str, x.LedgerKey] = {}
        self.read: dict[str, x.LedgerKey] = {}
        self.written: dict[str, x.LedgerKey] = {}
        self.restored: dict[str, x.LedgerKey] = {}
        self.new_nonces: set[tuple[str, int]] = set()

    def _raw(self, key: x.LedgerKey) -> x.LedgerEntry | None:
        k = h.b64(key)
        if k in self.changes:
            return self.changes[k]
        return self.base.raw_get(key)

    def live_until(self, key: x.LedgerKey) -> int | None:
        t = self._raw(h.ttl_key_for(key))
        if t is None:
            return None
        assert t.data.ttl is not None
        return int(t.data.ttl.live_until_ledger_seq.uint32)

    def get(self, key: x.LedgerKey) -> x.LedgerEntry | None:
        k = h.b64(key)
        if k not in self.written:
            self.read[k] = key
        e = self._raw(key)
        if e is not None and h.has_ttl(key):
            lu = self.live_until(key)
            if lu is not None and lu < self.seq:  # archived: auto-restore (CAP-66)
                self.restored[k] = key
                self.written[k] = key
                self.read.pop(k, None)
                self._set_ttl(key, self.seq + self.base.config.min_persistent_ttl - 1)
        return e

    def put(self, e: x.LedgerEntry) -> None:
        key = h.key_of(e)
        k = h.b64(key)
        existed = self._raw(key) is not None
        e.last_modified_ledger_seq = x.Uint32(self.seq)
        self.changes[k] = e
        self.keys[k] = key
        self.written[k] = key
        self.read.pop(k, None)
        if h.has_ttl(key) and not existed:
            self._set_ttl(key, self.seq + self.base.config.min_persistent_ttl - 1)

    def delete(self, key: x.LedgerKey) -> None:
        k = h.b64(key)
        self.changes[k] = None
        self.keys[k] = key
        self.written[k] = key
        self.read.pop(k, None)
        if h.has_ttl(key):
            tk = h.ttl_key_for(key)
            self.changes[h.b64(tk)] = None
            self.keys[h.b64(tk)] = tk

    def _set_ttl(self, key: x.LedgerKey, live_until: int) -> None:
        tk = h.ttl_key_for(key)
        self.changes[h.b64(tk)] = h.ttl_entry(key, live_until, self.seq)
        self.keys[h.b64(tk)] = tk

    def extend_ttl(self, key: x.LedgerKey, threshold: int, extend_to: int) -> bool:
        """``extend_ttl(threshold, extend_to)`` semantics, clamped to the network maximum.
        Does not make the key read-write (as on the network)."""
        lu = self.live_until(key)
        if lu is None:
            return False
        if lu - self.seq >= threshold:
            return False
        extend_to = min(extend_to, self.base.config.max_entry_ttl - 1)
        new = self.seq + extend_to
        if new > lu:
            self._set_ttl(key, new)
            return True
        return False

    def commit(self) -> list[Change]:
        """Write into the base state; return the entry changes (TTL entries included)."""
        out: list[Change] = []
        with self.base.lock:
            for k, after in self.changes.items():
                key = self.keys[k]
                before = self.base.entries.get(k)
                if after is None:
                    self.base.entries.pop(k, None)
                else:
                    self.base.entries[k] = after
                out.append(Change(key, before, after))
            self.base.used_nonces |= self.new_nonces
        return out

    def pending_changes(self) -> list[Change]:
        return [Change(self.keys[k], self.base.entries.get(k), after) for k, after in self.changes.items()]


@dataclass
class Footprint:
    read_only: list[x.LedgerKey] = field(default_factory=list)
    read_write: list[x.LedgerKey] = field(default_factory=list)


@dataclass
class Queued:
    """A transaction accepted by ``sendTransaction`` and waiting in the queue for the next ledger close.
    ``te`` is the decoded ``stellar_sdk.TransactionEnvelope``; ``raw`` its base64 XDR as sent."""

    te: Any
    tx_hash: str
    source: str
    sequence: int
    resource_fee: int
    raw: str
