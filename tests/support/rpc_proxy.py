"""A threaded HTTP JSON-RPC forwarding proxy for tests and benchmarks.

Sits on a free loopback port in front of any JSON-RPC upstream (anvil, the Soroban emulator in tests/soroban) and
forwards every POST unchanged, adding what real RPC providers do to us: a fixed latency per round trip, and
faults chosen by rule (delay, drop, TCP reset, HTTP 429, HTTP 5xx, malformed JSON) from a seeded RNG, so a
failing chaos run can be replayed exactly. It also counts what crossed it: round trips, batches and calls per
JSON-RPC method, which is how the benchmarks prove batching.

Use it as a context manager::

    with RpcProxy(anvil.url, latency_ms=50, rules=[Fault("429", probability=0.2)], seed=7) as proxy:
        run_something(proxy.url)
        print(proxy.stats.snapshot())

or from a shell (stats as JSON at GET <url>/_proxy/stats, reset with POST <url>/_proxy/reset)::

    python -m tests.support.rpc_proxy --upstream http://127.0.0.1:8545 --latency-ms 50 --fault 429:0.1:eth_call
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import queue
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

FAULT_KINDS = ("delay", "drop", "reset", "429", "5xx", "malformed")
STATS_PATH = "/_proxy/stats"
RESET_PATH = "/_proxy/reset"


@dataclass
class Fault:
    """One fault rule. Rules are tried in order; the first whose pattern matches and whose roll succeeds acts.

    kind: one of FAULT_KINDS.
    method: regex searched in each JSON-RPC method name of the request (a batch matches if any call does);
        None matches every request.
    probability: chance per matching request, drawn from the proxy's seeded RNG.
    delay_ms: for "delay", the extra wait before forwarding.
    status: for "5xx", the HTTP status (500, 502, 503, 504 ...).
    after_upstream: forward first, then replace the answer by the fault: the upstream did the work (a
        transaction may be in the mempool) but the client never hears of it. The nastiest case for a journal.
    limit: stop injecting after this many times (None: no limit).
    """

    kind: str
    method: str | None = None
    probability: float = 1.0
    delay_ms: int = 500
    status: int = 503
    after_upstream: bool = False
    limit: int | None = None
    fired: int = 0
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(FAULT_KINDS)}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be in [0, 1], got {self.probability}")
        self._pattern = re.compile(self.method) if self.method is not None else None

    def matches(self, methods: list[str]) -> bool:
        if self.limit is not None and self.fired >= self.limit:
            return False
        if self._pattern is None:
            return True
        return any(self._pattern.search(m) for m in methods)

    @classmethod
    def parse(cls, text: str) -> Fault:
        """`KIND[:PROBABILITY[:METHOD_REGEX]]`, e.g. `reset:0.05`, `429:0.2:^eth_call$`, `5xx:1`."""
        kind, _, rest = text.partition(":")
        prob, _, method = rest.partition(":")
        return cls(kind, method=method or None, probability=float(prob) if prob else 1.0)


class Stats:
    """What crossed the proxy. A batch is one round trip (and one batch) plus one call per entry."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.round_trips = 0
        self.batches = 0
        self.calls = 0
        self.by_method: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()

    def record(self, methods: list[str], batch: bool) -> None:
        with self._lock:
            self.round_trips += 1
            self.batches += int(batch)
            self.calls += len(methods)
            self.by_method.update(methods)

    def record_fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def reset(self) -> None:
        with self._lock:
            self.round_trips = self.batches = self.calls = 0
            self.by_method.clear()
            self.faults.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"round_trips": self.round_trips, "batches": self.batches, "calls": self.calls,
                    "by_method": dict(self.by_method), "faults": dict(self.faults)}


def _methods(body: bytes) -> tuple[list[str], bool]:
    """JSON-RPC method names in a request body and whether it is a batch; unparsable bodies count as '?'."""
    try:
        doc = json.loads(body)
    except ValueError:
        return ["?"], False
    if isinstance(doc, list):
        return [str(c.get("method", "?")) if isinstance(c, dict) else "?" for c in doc], True
    return [str(doc.get("method", "?")) if isinstance(doc, dict) else "?"], False


class _Upstream:
    """A small pool of keep-alive connections to the upstream, so the proxy adds no connection set-up cost."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"upstream must be an http(s) URL, got {url!r}")
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port or (443 if self.https else 80)
        self.base_path = parts.path.rstrip("/")
        self.timeout = timeout
        self._idle: queue.LifoQueue[http.client.HTTPConnection] = queue.LifoQueue()

    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=self.timeout)

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes, str]:
        target = (self.base_path + path) if path != "/" else (self.base_path or "/")
        for attempt in (0, 1):  # a pooled connection the upstream closed meanwhile gets one fresh retry
            try:
                conn = self._idle.get_nowait()
                fresh = False
            except queue.Empty:
                conn, fresh = self._connect(), True
            try:
                conn.request("POST", target, body, {"Content-Type": content_type})
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                if fresh or attempt:
                    raise
                continue
            if resp.will_close:
                conn.close()
            else:
                self._idle.put(conn)
            return resp.status, data, resp.getheader("Content-Type") or "application/json"
        raise AssertionError("unreachable")

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


class RpcProxy:
    """Forwarding proxy on 127.0.0.1:<free port>; `url` is where clients point. See the module docstring."""

    def __init__(self, upstream: str, *, latency_ms: float = 0, rules: list[Fault] | None = None,
                 seed: int = 0, host: str = "127.0.0.1", port: int = 0, upstream_timeout: float = 60) -> None:
        self.upstream_url = upstream
        self.latency_ms = latency_ms
        self.rules: list[Fault] = list(rules or [])
        self.stats = Stats()
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._upstream = _Upstream(upstream, upstream_timeout)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=f"rpc-proxy-{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, cut idle keep-alive client connections, close the upstream pool. Idempotent."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        with self._open_lock:
            for sock in list(self._open):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self._upstream.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- behaviour -------------------------------------------------------------------------------------
    def set_rules(self, rules: list[Fault], seed: int | None = None) -> None:
        """Replace the fault rules (and optionally re-seed) between phases of a test."""
        with self._rng_lock:
            self.rules = list(rules)
            if seed is not None:
                self._rng.seed(seed)

    def choose(self, methods: list[str]) -> Fault | None:
        """The rule that acts on this request, if any. One RNG draw per matching rule, under a lock, so a given
        seed and request sequence always inject the same faults."""
        with self._rng_lock:
            for rule in self.rules:
                if rule.matches(methods) and self._rng.random() < rule.probability:
                    rule.fired += 1
                    return rule
        return None

    def _handler_class(self) -> type[http.server.BaseHTTPRequestHandler]:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like real providers; "drop" then means something

            def log_message(self, format: str, *args: Any) -> None:
                return

            def setup(self) -> None:
                super().setup()
                # Headers and body leave in two writes: with Nagle on, the body waits for the client's
                # delayed ACK (~40 ms), which would add to every round trip on top of `latency_ms`.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with proxy._open_lock:
                    proxy._open.add(self.connection)

            def finish(self) -> None:
                with proxy._open_lock:
                    proxy._open.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def do_GET(self) -> None:
                if self.path == STATS_PATH:
                    self._reply(200, json.dumps(proxy.stats.snapshot()).encode())
                else:
                    self._reply(405, b"POST JSON-RPC here", "text/plain")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == RESET_PATH:
                    proxy.stats.reset()
                    self._reply(200, b"{}")
                    return
                methods, batch = _methods(body)
                proxy.stats.record(methods, batch)
                if proxy.latency_ms:
                    time.sleep(proxy.latency_ms / 1000)
                rule = proxy.choose(methods)
                if rule is not None:
                    proxy.stats.record_fault(rule.kind)
                    if rule.kind == "delay":
                        time.sleep(rule.delay_ms / 1000)
                        rule = None
                    elif not rule.after_upstream:
                        self._fault(rule)
                        return
                try:
                    status, out, ctype = proxy._upstream.post(self.path, body,
                                                              self.headers.get("Content-Type") or "application/json")
                except (OSError, http.client.HTTPException) as exc:
                    self._reply(502, f"upstream unreachable: {exc}".encode(), "text/plain")
                    return
                if rule is not None:
                    self._fault(rule)
                    return
                self._reply(status, out, ctype)

            def _fault(self, rule: Fault) -> None:
                if rule.kind == "drop":  # orderly close (FIN), no answer
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_WR)
                elif rule.kind == "reset":  # SO_LINGER 0: close sends RST
                    self.close_connection = True
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                elif rule.kind == "429":
                    self._reply(429, b'{"error":"rate limited by rpc_proxy"}', extra={"Retry-After": "0"})
                elif rule.kind == "5xx":
                    self._reply(rule.status, b"upstream error injected by rpc_proxy", "text/plain")
                elif rule.kind == "malformed":
                    self._reply(200, b'{"jsonrpc":"2.0","id":1,"result":"0x')

            def _reply(self, status: int, out: bytes, ctype: str = "application/json",
                       extra: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(out)))
                    for k, v in (extra or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(out)
                except OSError:
                    self.close_connection = True  # the client gave up first

        return Handler


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.support.rpc_proxy", description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", required=True, help="JSON-RPC URL to forward to")
    ap.add_argument("--latency-ms", type=float, default=0, help="added to every round trip (default 0)")
    ap.add_argument("--port", type=int, default=0, help="listen port (default: a free one)")
    ap.add_argument("--seed", type=int, default=0, help="RNG seed for fault injection")
    ap.add_argument("--fault", action="append", default=[], metavar="KIND[:P[:METHOD_RE]]",
                    help=f"fault rule, repeatable; KIND one of {', '.join(FAULT_KINDS)}")
    args = ap.parse_args(argv)
    proxy = RpcProxy(args.upstream, latency_ms=args.latency_ms, port=args.port, seed=args.seed,
                     rules=[Fault.parse(f) for f in args.fault])
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with proxy:
        print(proxy.url, flush=True)  # the first stdout line is the URL, for scripts that start us
        stop.wait()
    print(json.dumps(proxy.stats.snapshot()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
