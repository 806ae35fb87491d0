"""The RPC health probe against hostile or broken endpoints: an endless body, garbage, a wrong shape, another
chain. Each is "down" (never a traceback, never more than 64 KiB read); only the documented answer is "up"."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tempoctl.observed import rpchealth

ANSWERS = {
    "/healthy": b'{"jsonrpc":"2.0","id":1,"result":{"status":"healthy","latestLedger":5}}',
    "/stale": b'{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"latency (2m0s) since last known ledger"}}',
    "/chain": b'{"jsonrpc":"2.0","id":1,"result":"0xa5bf"}',
    "/garbage": b"\x00\xffnot json",
    "/shape": b'{"jsonrpc":"2.0","id":1,"result":["healthy"]}',
    "/badhex": b'{"jsonrpc":"2.0","id":1,"result":"0xzz"}',
}


class _Handler(BaseHTTPRequestHandler):
    written = 0  # bytes of the endless answer that got out before the client hung up

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/endless":
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(4096):  # 256 MiB if anyone read it all
                    self.wfile.write(b"a" * 65536)
                    type(self).written += 65536
            except OSError:
                pass
            return
        body = ANSWERS.get(self.path, b"")
        self.send_response(200 if body else 503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def test_only_the_documented_answers_are_up(server: str) -> None:
    rpchealth.reset()
    assert rpchealth.probe("stellar", f"{server}/healthy")[0] is True
    assert rpchealth.probe("evm", f"{server}/chain", chain_id=42431)[0] is True
    for kind, path in [("stellar", "/stale"), ("stellar", "/garbage"), ("stellar", "/shape"), ("stellar", "/down"),
                       ("evm", "/badhex"), ("evm", "/garbage")]:
        up, _ = rpchealth.probe(kind, f"{server}{path}", chain_id=42431)
        assert up is False, path
    assert rpchealth.probe("evm", f"{server}/chain", chain_id=1)[0] is False  # another chain's node
    assert rpchealth.counts(f"{server}/healthy") == (1, 0)
    assert rpchealth.counts(f"{server}/stale") == (1, 1)


def test_an_endless_answer_is_cut_off(server: str) -> None:
    _Handler.written = 0
    start = time.monotonic()
    up, _ = rpchealth.probe("stellar", f"{server}/endless", timeout=5)
    assert up is False and time.monotonic() - start < 5
    time.sleep(0.3)  # the server notices the closed connection
    assert _Handler.written < 32 * 2**20, "the probe stopped reading after 64 KiB and hung up"
    assert rpchealth.probe("stellar", "http://127.0.0.1:9/", timeout=2) == (False, None)
