"""A Soroban RPC client that checks the network passphrase first, counts round trips, and batches
ledger-entry reads (up to 200 keys per `getLedgerEntries`, the RPC's limit; one key per request with
batching off, which is what `plan --no-batch` and the benchmark compare against).

It wraps stellar-sdk's `SorobanServer` and passes it a counting HTTP client (the SDK's own extension
point), so every JSON-RPC request is one counted round trip; nothing in the SDK is patched.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tempoctl.errors import ChainMismatchError, RpcError

MAX_KEYS_PER_CALL = 200
# stellar-sdk 16.1.1's `GetLatestLedgerResponse` requires `closeTime`, `headerXdr` and `metadataXdr`, which
# stellar-rpc added to getLatestLedger in v25.0.0 (stellar-rpc CHANGELOG.md, "[v25.0.0] ... Expanded
# `getLatestLedger` endpoint to also return `closeTime`, `headerXdr`, and `metadataXdr` (#554)").
MIN_RPC_VERSION = (25, 0, 0)
ENTRY_READERS = 4  # getLedgerEntries requests in flight at once (a public RPC's rate limits are per IP)


def _host(url: str) -> str:
    """Only scheme and host for messages: an RPC URL may carry an API key in its path or query."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}"


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    """`25.1.1`, `v25.1.1`, `25.0.0-rc1`, `23.0.4-abc` → (major, minor, patch); None when unreadable."""
    import re

    m = re.match(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", (text or "").strip())
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)


@dataclass
class Entry:
    """One live ledger entry: its data (`LedgerEntryData`) and `liveUntilLedgerSeq` (None for accounts)."""

    data: Any
    live_until: int | None
    last_modified: int


class StellarClient:
    def __init__(self, url: str, *, timeout: float = 20.0, retries: int = 3, backoff: float = 0.2,
                 batching: bool = True) -> None:
        from stellar_sdk import SorobanServer
        from stellar_sdk.client.requests_client import RequestsClient

        outer = self

        class CountingClient(RequestsClient):
            def post(self, url: str, data: Any = None, json_data: Any = None) -> Any:
                from tempoctl.observed import rpchealth

                with outer._count_lock:
                    outer.round_trips += 1
                ok = False
                try:
                    resp = super().post(url, data=data, json_data=json_data)
                    ok = int(getattr(resp, "status_code", 500)) < 400
                    return resp
                finally:  # counted towards the network's error rate (drift --prometheus)
                    rpchealth.record(outer.url, ok)

        self.url = url
        self.host = _host(url)
        self.version: str | None = None  # the RPC's version once `check_version` accepted it
        self.round_trips = 0
        self._count_lock = threading.Lock()
        self.retries, self.backoff = retries, backoff
        self.batching = batching
        self.keys_per_call = MAX_KEYS_PER_CALL if batching else 1
        self.server = SorobanServer(url, client=CountingClient(num_retries=3, post_timeout=timeout))

    def _rpc(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the SDK, retrying transient failures, then turning them into one clear `RpcError` naming only
        the host. Every call made here is safe to repeat: reads, simulations, and sending the same signed
        envelope (the RPC answers DUPLICATE for a transaction it already has)."""
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - SDK raises many types (requests, BadResponseError, ...)
                if type(exc).__name__ in ("NotFoundError", "AccountNotFoundException"):
                    raise RpcError(f"Stellar RPC {self.host}: {what}: not found", detail=str(exc)[:300]) from None
                last = exc
                if attempt < self.retries:
                    time.sleep(self.backoff * (3 ** attempt))
        assert last is not None
        text = str(last).replace(self.url, self.host)
        raise RpcError(f"Stellar RPC {self.host}: {what} failed ({type(last).__name__}) after {self.retries + 1} attempts",
                       detail=text[:500], hint="Check that the RPC is reachable and healthy.")

    def check_version(self) -> str:
        """`getVersionInfo` first: an RPC older than `MIN_RPC_VERSION` answers methods in shapes stellar-sdk
        16.1.1 cannot read (getLatestLedger), which would surface later as an SDK validation error. Refuse
        with one clear message naming the minimum instead. Checked once per client. stellar-rpc reports its
        release tag without the `v` (`config.Version`, methods/get_version_info.go), e.g. `25.1.1`."""
        if self.version is not None:
            return self.version
        from pydantic import ValidationError
        from stellar_sdk.exceptions import SorobanRpcErrorResponse

        def read() -> str | None:
            try:
                return str(self.server.get_version_info().version)
            except (ValidationError, SorobanRpcErrorResponse):  # no such method, or pre-v22 field names
                return None

        got: str | None = self._rpc("getVersionInfo", read)
        parsed = parse_version(got)
        need = ".".join(map(str, MIN_RPC_VERSION))
        if parsed is None or parsed < MIN_RPC_VERSION:
            shown = f"version {got}" if got else "a version that does not answer getVersionInfo like v22+"
            raise RpcError(f"the Stellar RPC at {self.host} runs {shown}; tempoctl needs Stellar RPC {need} or newer",
                           hint=f"stellar-sdk 16.1.1 reads getLatestLedger fields added in RPC v{need}. Upgrade "
                                "the RPC or point `rpc_url` at a newer one; nothing was read or sent.")
        self.version = str(got)
        return self.version

    def check_network(self, passphrase: str, where: str) -> None:
        """Refuse to go on when the RPC is too old for the SDK (`check_version`, first), or serves another
        network than the YAML declares (DESIGN §8)."""
        self.check_version()
        got = self._rpc("getNetwork", self.server.get_network).passphrase
        if got != passphrase:
            raise ChainMismatchError(
                f"{where}: the RPC at {self.host} serves network {got!r}, not the declared {passphrase!r}",
                hint="Fix `rpc_url` or `passphrase` in the state files; nothing was read or sent.")

    def latest_ledger(self) -> int:
        return int(self._rpc("getLatestLedger", self.server.get_latest_ledger).sequence)

    def entries(self, keys: list[Any]) -> tuple[dict[str, Entry], int]:
        """Live entries by base64 key XDR, plus the RPC's latest ledger. Absent (or archived) keys are
        simply missing from the result. One round trip per 200 keys (per key with batching off)."""
        from stellar_sdk import xdr

        out: dict[str, Entry] = {}
        latest = 0
        unique = list(dict.fromkeys(k.to_xdr() for k in keys))
        step = self.keys_per_call
        chunks = [unique[i:i + step] for i in range(0, len(unique), step)]

        def read(chunk: list[str]) -> Any:
            return self._rpc("getLedgerEntries", self.server.get_ledger_entries,
                             [xdr.LedgerKey.from_xdr(k) for k in chunk])

        if self.batching and len(chunks) > 1:
            # Several 200-key requests are independent: up to ENTRY_READERS at a time, not one after another
            # (same number of round trips; 5,000 keys are 25 requests, ~4 round-trip times instead of 25).
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(ENTRY_READERS, len(chunks))) as pool:
                answers = list(pool.map(read, chunks))
        else:
            answers = [read(c) for c in chunks]  # --no-batch: strictly one request after another
        for res in answers:
            latest = max(latest, int(res.latest_ledger))
            for e in res.entries or []:
                out[e.key] = Entry(xdr.LedgerEntryData.from_xdr(e.xdr), e.live_until_ledger,
                                   int(e.last_modified_ledger))
        return out, latest

    def oldest_ledger(self) -> int:
        """The first ledger the RPC still holds transactions for (its retention window, ~7 days by default)."""
        return int(self._rpc("getHealth", self.server.get_health).oldest_ledger)

    def transactions_since(self, start_ledger: int, limit: int = 200) -> tuple[list[Any], int]:
        """Transactions from `start_ledger` on (paged), and the latest ledger."""
        txs: list[Any] = []
        cursor: str | None = None
        latest = start_ledger
        while True:
            if cursor is None:
                res = self._rpc("getTransactions", self.server.get_transactions, start_ledger=start_ledger, limit=limit)
            else:
                res = self._rpc("getTransactions", self.server.get_transactions, cursor=cursor, limit=limit)
            txs += res.transactions or []
            latest = int(res.latest_ledger)
            if not res.transactions or len(res.transactions) < limit:
                return txs, latest
            cursor = res.cursor

    def close(self) -> None:
        self.server.close()
