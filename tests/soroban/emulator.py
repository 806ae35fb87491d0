"""Soroban RPC emulator: a JSON-RPC HTTP server over an in-memory ledger of real XDR entries.

It behaves like stellar-core + Stellar RPC where tempoctl depends on it:

* **Ledger cadence.** Ledgers close on a timer (``ledger_interval`` seconds; tests use 0.1 s, testnet and
  mainnet target 5 s: ``ledger_target_close_time_milliseconds`` 5000 in stellar-core
  ``soroban-settings/testnet_settings_upgrade.json``), or only on ``emu.advance(n)`` with
  ``ledger_interval=0``.
* **A transaction is applied when the next ledger closes, not when it is sent.** ``sendTransaction``
  answers PENDING and queues it; ``getTransaction`` answers NOT_FOUND until the ledger that includes it has
  closed (stellar-rpc ``methods/get_transaction.go`` reads only ingested ledgers).
* **One pending transaction per source account.** A second ``sendTransaction`` from an account with one in
  the queue gets ``TRY_AGAIN_LATER`` (stellar-core ``TransactionQueue::canAdd``); see ``Rpc.m_sendTransaction``.
* **Several transactions per ledger** from different accounts, up to the network's Soroban
  ``ledgerMaxTxCount`` (``NetworkConfig.ledger_max_tx_count``, testnet 2000); the rest wait for a later
  ledger, in arrival order.
* **``getVersionInfo``** reports ``rpc_version`` (configurable, to test clients against old RPCs).
* **``getHealth``** answers ``healthy``, or, while ``unhealthy`` holds a reason, the JSON-RPC InternalError
  stellar-rpc gives when its last ledger closed too long ago (``methods/get_health.go``).

Use::

    with start_emulator(passphrase="Test SDF Network ; September 2015") as emu:
        emu.fund(admin.public_key)
        cid = emu.deploy_vision_records(admin=admin.public_key)
        server = SorobanServer(emu.url)   # the unmodified stellar-sdk client
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from stellar_sdk import Network
from stellar_sdk import xdr as x

from . import xdr_helpers as h
from .contract_handle import ContractHandle
from .executor import Executor
from .ledger import LedgerState, NetworkConfig, Overlay, Queued
from .rpc import Rpc, RpcError, event_json

DEFAULT_LEDGER_INTERVAL = 0.1  # seconds per ledger in tests (the network's is 5 s)
DEFAULT_RPC_VERSION = "25.1.1"  # what getVersionInfo reports; stellar-sdk 16.1.1 needs >= 25 (getLatestLedger)
DEFAULT_WASM = b"\x00asm\x01\x00\x00\x00" + b"\x00\x0econtractmetav0vision_records-emulator"
FAULT_KINDS = ("error", "http500", "garbage", "delay", "drop", "drop_after", "try_again_later")


@dataclass
class Fault:
    method: str  # an RPC method name, or "*" for any
    kind: str
    times: int
    delay: float = 0.0
    code: int = -32603
    message: str = "injected fault"
    after: int = 0  # let this many matching requests through first


class Faults:
    """Injected failures, consumed in the order added. ``kind``:

    * ``error``   — a JSON-RPC error object ``{code, message}`` (HTTP 200)
    * ``http500`` — HTTP 500 with a plain-text body
    * ``garbage`` — HTTP 200 with a body that is not JSON
    * ``delay``   — sleep ``delay`` seconds, then answer normally
    * ``drop``    — close the connection without answering
    * ``drop_after`` — process the request (a transaction is queued), then close without answering:
      the client cannot know whether its request took effect
    * ``try_again_later`` — (sendTransaction) answer ``TRY_AGAIN_LATER`` without queuing, as stellar-core does
      when its queue is full (``TransactionQueue::canAdd``, the queue limiter)

    ``after=n`` lets the first ``n`` matching requests through untouched.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Fault] = []

    def add(self, method: str, kind: str = "error", times: int = 1, delay: float = 0.0,
            code: int = -32603, message: str = "injected fault", after: int = 0) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS}")
        with self._lock:
            self._items.append(Fault(method, kind, times, delay, code, message, after))

    def take(self, method: str) -> Fault | None:
        with self._lock:
            for f in self._items:
                if f.method in (method, "*") and f.after > 0:
                    f.after -= 1
                    return None
                if f.method in (method, "*") and f.times > 0:
                    f.times -= 1
                    if f.times == 0:
                        self._items.remove(f)
                    return f
        return None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def pending(self) -> int:
        with self._lock:
            return sum(f.times for f in self._items)


class Emulator:
    def __init__(self, passphrase: str, start_ledger: int = 1000, config: NetworkConfig | None = None,
                 rpc_version: str = DEFAULT_RPC_VERSION) -> None:
        self.passphrase = passphrase
        self.rpc_version = rpc_version
        self.unhealthy: str | None = None  # getHealth's error message while set (tests of RPC health alerts)
        self.queue: dict[str, Queued] = {}  # source account -> its one pending transaction (arrival order)
        self.refused = 0  # TRY_AGAIN_LATER answers given
        self.ledger_tx_counts: dict[int, int] = {}  # ledger -> transactions it included
        self._held = 0
        self.state = LedgerState(start_ledger, config)
        self.executor = Executor(self.state, passphrase)
        self.rpc = Rpc(self)
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, Any]] = []  # (method, params) in arrival order
        self.faults = Faults()
        self.transactions: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.pending_polls = 0  # getTransaction answers NOT_FOUND this many times before the result
        self._tx_order: dict[int, int] = {}
        self.url = ""
        self._httpd: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    # ---- ledger clock -------------------------------------------------------------------------
    @property
    def ledger(self) -> int:
        return self.state.sequence

    def advance(self, n: int = 1) -> int:
        """Close ``n`` ledgers, each including queued transactions (up to the per-ledger limit); returns
        the new sequence."""
        with self.state.lock:
            for _ in range(n):
                self.close_ledger()
            return self.state.sequence

    def enqueue(self, q: Queued) -> None:
        with self.state.lock:
            self.queue[q.source] = q

    def close_ledger(self) -> int:
        """Close one ledger: its transaction set is the queued transactions in arrival order, at most
        ``ledger_max_tx_count`` of them (the Soroban lane limit; stellar-core's tx-set builder keeps the rest
        queued for a later ledger). Each is applied in this ledger, in that order."""
        with self.state.lock:
            seq = self.state.close_ledger(1)
            limit = self.state.config.ledger_max_tx_count
            taken = list(self.queue.values())[:limit]
            for order, q in enumerate(taken, start=1):
                del self.queue[q.source]
                self.rpc.apply_queued(q, seq, order)
            if taken:
                self.ledger_tx_counts[seq] = len(taken)
            return seq

    def wait_ledgers(self, n: int = 1, timeout: float = 10.0) -> int:
        """Block until ``n`` more ledgers have closed (timer mode) — for tests."""
        target = self.ledger + n
        deadline = time.monotonic() + timeout
        while self.ledger < target:
            if time.monotonic() > deadline:
                raise TimeoutError(f"ledger {target} did not close within {timeout} s")
            time.sleep(0.01)
        return self.ledger

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Hold the ledger clock while inside (the timer closes no ledger; ``advance`` still does): for tests
        that need exact ledger numbers. The RPC keeps answering."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1

    @contextmanager
    def retention_window(self, ledgers: int) -> Iterator[None]:
        """Keep only ``ledgers`` ledgers of history (getTransactions, getTransaction, getEvents, and
        ``oldestLedger`` in getHealth) while inside; the window is restored afterwards because the emulator is
        shared by a whole test session. History dropped meanwhile stays dropped, as on a real RPC."""
        with self.state.lock:
            before = self.state.config.retention_window
            self.state.config.retention_window = ledgers
            self.state.trim_history()
        try:
            yield
        finally:
            with self.state.lock:
                self.state.config.retention_window = before

    # ---- fixtures (out of band, no transaction) ------------------------------------------------------
    def fund(self, account_id: str, balance: int = 10_000 * 10**7, sequence: int | None = None) -> None:
        seq = sequence if sequence is not None else self.state.sequence << 32
        self.state.put(h.account_entry(account_id, balance, seq, self.state.sequence))

    def account_sequence(self, account_id: str) -> int | None:
        e = self.state.raw_get(h.account_key(account_id))
        if e is None or e.data.account is None:
            return None
        return int(e.data.account.seq_num.sequence_number.int64)

    def install_wasm(self, code: bytes, live_until: int | None = None) -> bytes:
        wasm_hash = hashlib.sha256(code).digest()
        if self.state.raw_get(h.code_key(wasm_hash)) is None:
            self.state.put(h.code_entry(wasm_hash, code, self.state.sequence), live_until)
        return wasm_hash

    def deploy_vision_records(self, contract_id: str | None = None, wasm_hash: bytes | None = None,
                              admin: str | None = None, initialised: bool = True,
                              instance_ttl: int | None = None) -> str:
        """Create a vision_records instance (and optionally run ``initialize(admin)``).

        ``wasm_hash``: the executable hash; if no code entry exists for it, one is created with
        placeholder bytes (so arbitrary hashes can be pinned without real wasm).
        ``instance_ttl``: absolute ``liveUntilLedgerSeq`` of the instance (default: minimum TTL).
        """
        cid = contract_id or h.random_contract_id()
        if wasm_hash is None:
            wasm_hash = self.install_wasm(DEFAULT_WASM)
        elif self.state.raw_get(h.code_key(wasm_hash)) is None:
            self.state.put(h.code_entry(wasm_hash, DEFAULT_WASM + wasm_hash, self.state.sequence))
        inst = h.contract_data_entry(cid, x.SCVal(x.SCValType.SCV_LEDGER_KEY_CONTRACT_INSTANCE),
                                     h.instance_val(wasm_hash, {}), self.state.sequence)
        self.state.put(inst, instance_ttl)
        if initialised:
            if admin is None:
                raise ValueError("initialised=True needs an admin address")
            self.contract(cid).call("initialize", admin)
        return cid

    def contract(self, contract_id: str) -> ContractHandle:
        return ContractHandle(self, contract_id)

    def overlay(self) -> Overlay:
        return Overlay(self.state, self.state.sequence)

    def record_events(self, seq: int, tx_hash: str, events: list[x.ContractEvent]) -> None:
        """Make a transaction's contract events visible to getEvents (in ledger ``seq``)."""
        with self.state.lock:
            self._tx_order[seq] = order = self._tx_order.get(seq, 0) + 1
            for i, e in enumerate(events):
                self.events.append(event_json(seq, self.state.close_time, tx_hash, order, i, e))

    @property
    def network_id(self) -> bytes:
        out: bytes = Network(self.passphrase).network_id()
        return out

    # ---- HTTP -------------------------------------------------------------------------------
    def handle(self, body: bytes) -> tuple[int, bytes, bool]:
        """Returns (http status, body, drop connection)."""
        try:
            req = json.loads(body)
        except json.JSONDecodeError:
            return 200, _j({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}), False
        method = str(req.get("method", ""))
        rid = req.get("id")
        with self.state.lock:
            self.calls[method] += 1
            self.requests.append((method, req.get("params")))
        fault = self.faults.take(method)
        if fault is not None and fault.kind == "drop_after":
            try:
                self.rpc.dispatch(method, req.get("params"))
            except Exception:  # noqa: BLE001 - the answer is lost either way
                pass
            return 0, b"", True
        if fault is not None:
            if fault.kind == "delay":
                time.sleep(fault.delay)
            elif fault.kind == "http500":
                return 500, b"Internal Server Error (injected)", False
            elif fault.kind == "garbage":
                return 200, b"<html>not json</html>", False
            elif fault.kind == "drop":
                return 0, b"", True
            elif fault.kind == "try_again_later":
                self.refused += 1
                return 200, _j({"jsonrpc": "2.0", "id": rid, "result": {
                    "status": "TRY_AGAIN_LATER", "hash": _tx_hash(req.get("params"), self.passphrase),
                    "latestLedger": self.state.sequence, "latestLedgerCloseTime": str(self.state.close_time)}}), False
            else:
                return 200, _j({"jsonrpc": "2.0", "id": rid,
                                "error": {"code": fault.code, "message": fault.message}}), False
        try:
            result = self.rpc.dispatch(method, req.get("params"))
        except RpcError as exc:
            return 200, _j({"jsonrpc": "2.0", "id": rid, "error": {"code": exc.code, "message": exc.message}}), False
        except Exception as exc:  # noqa: BLE001 - report emulator bugs as an internal error
            import traceback

            traceback.print_exc()
            return 200, _j({"jsonrpc": "2.0", "id": rid,
                            "error": {"code": -32603, "message": f"emulator internal error: {exc!r}"}}), False
        return 200, _j({"jsonrpc": "2.0", "id": rid, "result": result}), False

    def serve(self, host: str = "127.0.0.1", port: int = 0, ledger_interval: float | None = None) -> str:
        emu = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as two writes; with Nagle's algorithm on, the body then waits for the
            # client's delayed ACK (~40 ms on Linux) on every keep-alive request, which a real RPC does not do.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                status, body, drop = emu.handle(self.rfile.read(n))
                if drop:
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        t = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="soroban-emulator", daemon=True)
        t.start()
        self._threads.append(t)
        if ledger_interval:
            tick = threading.Thread(target=self._tick, args=(ledger_interval,), daemon=True)
            tick.start()
            self._threads.append(tick)
        self.url = f"http://{host}:{self._httpd.server_address[1]}/"
        return self.url

    def _tick(self, interval: float) -> None:
        """Close a ledger every ``interval`` seconds of wall time (a late close does not make the next one
        early: like SCP's target close time, the cadence is kept, not caught up)."""
        nxt = time.monotonic() + interval
        while not self._stop.wait(max(0.0, nxt - time.monotonic())):
            if not self._held:
                self.advance(1)
            nxt = max(nxt + interval, time.monotonic())

    def close(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        for t in self._threads:
            t.join(timeout=5)


def _tx_hash(params: Any, passphrase: str) -> str:
    from stellar_sdk import TransactionEnvelope

    try:
        return str(TransactionEnvelope.from_xdr((params or {}).get("transaction", ""), passphrase).hash_hex())
    except Exception:  # noqa: BLE001 - a malformed envelope has no hash
        return "0" * 64


def _j(obj: Any) -> bytes:
    return json.dumps(obj).encode()


@contextmanager
def start_emulator(passphrase: str = "Test SDF Network ; September 2015", *, host: str = "127.0.0.1",
                   port: int = 0, start_ledger: int = 1000, ledger_interval: float | None = DEFAULT_LEDGER_INTERVAL,
                   config: NetworkConfig | None = None, rpc_version: str = DEFAULT_RPC_VERSION) -> Iterator[Emulator]:
    """Start an emulator on a free port (or ``port``); a ledger closes every ``ledger_interval`` seconds
    (0 or None: only on ``emu.advance(n)``), including the transactions queued by sendTransaction."""
    emu = Emulator(passphrase, start_ledger, config, rpc_version)
    emu.serve(host, port, ledger_interval)
    try:
        yield emu
    finally:
        emu.close()
