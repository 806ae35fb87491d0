"""EvmClient against a real anvil, with a small misbehaving HTTP proxy in front of it where needed."""

from __future__ import annotations

import http.server
import itertools
import json
import socket
import struct
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth_account import Account

from tempoctl.errors import ChainMismatchError, RpcError
from tempoctl.observed.evm.abi import keccak, parse_signature
from tempoctl.observed.evm.client import EthCall, EvmClient, ReceiptTimeout, Revert
from tempoctl.observed.evm.logs import ROLE_ADMIN_CHANGED, ROLE_GRANTED, ROLE_REVOKED, replay_role_events
from tempoctl.observed.evm.reverts import decode_revert
from tests.support.anvil import DEV_ADDRESSES, DEV_KEYS, Anvil, anvil_available, start_anvil

pytestmark = pytest.mark.skipif(not anvil_available(), reason="anvil not installed (npm ci in tests/evm)")

CHAIN_ID = 42431
# Hand-written runtime code: copy calldata to memory, then RETURN it / REVERT with it / LOG4 its 4 words.
ECHO_RETURN, ECHO_REVERT = "0x366000600037366000f3", "0x366000600037366000fd"
EMIT_LOG4 = "0x606035604035602035600035600060" + "00a400"
ECHO = "0x" + "11" * 20
REVERTER = "0x" + "22" * 20
EMITTER = "0x" + "33" * 20
ACL = parse_signature("AccessControlUnauthorizedAccount(address,bytes32)")

Behaviour = Callable[[bytes], "tuple[int, bytes] | str | None"]


class Proxy:
    """HTTP proxy to anvil that misbehaves per `script` (consumed one entry per request), then forwards."""

    def __init__(self, upstream: str, script: list[Any] | None = None, rule: Behaviour | None = None) -> None:
        self.upstream, self.script, self.rule = upstream, list(script or []), rule
        self.bodies: list[Any] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.bodies.append(json.loads(body))
                act: Any = proxy.script.pop(0) if proxy.script else (proxy.rule(body) if proxy.rule else None)
                if act == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                if act == "sleep":
                    time.sleep(0.6)
                    act = None
                if isinstance(act, int):
                    status, out = act, b"busy"
                elif act == "truncated":
                    status, out = 200, b'{"jsonrpc":"2.0","id'
                elif act == "html":
                    status, out = 200, b"<html>gateway</html>"
                elif isinstance(act, tuple):
                    status, out = act
                else:
                    status, out = 200, proxy.forward(body)
                    if act == "reverse":
                        out = json.dumps(list(reversed(json.loads(out)))).encode()
                    elif act == "wrong-ids":
                        out = json.dumps([dict(r, id=r["id"] + 10_000) for r in json.loads(out)]).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except OSError:
                    pass  # the client gave up (timeout test)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def forward(self, body: bytes) -> bytes:
        req = urllib.request.Request(self.upstream, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return bytes(resp.read())

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def node() -> Iterator[Anvil]:
    with start_anvil(chain_id=CHAIN_ID) as n:
        for addr, code in ((ECHO, ECHO_RETURN), (REVERTER, ECHO_REVERT), (EMITTER, EMIT_LOG4)):
            n.rpc("anvil_setCode", [addr, code])
        yield n


def proxied(node: Anvil, **kw: Any) -> Iterator[Proxy]:
    p = Proxy(node.url, **kw)
    try:
        yield p
    finally:
        p.close()


def test_batch_of_1000_calls_is_one_round_trip(node: Anvil) -> None:
    c = EvmClient(node.url, max_batch=1000)
    calls = [EthCall(ECHO, i.to_bytes(32, "big")) for i in range(1000)]
    t0 = time.perf_counter()
    results = c.call_many(calls, c.block().number)
    elapsed = time.perf_counter() - t0
    assert c.round_trips == 2 and c.requests == 1001  # block() + one batch
    assert [int.from_bytes(r.data, "big") for r in results] == list(range(1000))
    assert all(r.ok for r in results)
    print(f"1000 eth_calls in one batch: {elapsed * 1000:.0f} ms")
    small = EvmClient(node.url, max_batch=300)
    small.call_many(calls, "latest")
    assert small.round_trips == 4  # ceil(1000 / 300)


def test_batching_off_is_one_round_trip_per_call(node: Anvil) -> None:
    c = EvmClient(node.url, batching=False)
    results = c.call_many([EthCall(ECHO, bytes([i])) for i in range(50)], "latest")
    assert c.round_trips == 50 and [r.data for r in results] == [bytes([i]) for i in range(50)]


def test_results_follow_input_order_not_response_order(node: Anvil) -> None:
    for p in proxied(node, script=["reverse"]):
        c = EvmClient(p.url)
        results = c.call_many([EthCall(ECHO, bytes([i])) for i in range(20)], "latest")
        assert [r.data for r in results] == [bytes([i]) for i in range(20)]


def test_revert_data_is_captured(node: Anvil) -> None:
    c = EvmClient(node.url)
    data = ACL.encode_call(DEV_ADDRESSES[1], keccak(b"RISK_OFFICER"))
    ok, custom, bare = c.call_many(
        [EthCall(ECHO, b"\x01"), EthCall(REVERTER, data, sender=DEV_ADDRESSES[0]), EthCall(REVERTER, b"")],
        "latest",
    )
    assert ok.ok and not custom.ok and not bare.ok
    assert custom.data == data and bare.data == b""
    roles = {"0x" + keccak(b"RISK_OFFICER").hex(): "RISK_OFFICER"}
    assert decode_revert(custom.data, role_names=roles) == (
        "AccessControlUnauthorizedAccount(0x70997970C51812dc3A010C7d01b50e0d17dc79C8, RISK_OFFICER)"
    )
    with pytest.raises(Revert) as e:
        c.estimate_gas({"from": DEV_ADDRESSES[0], "to": REVERTER, "data": data})
    assert e.value.data == data


def test_chain_mismatch_message(node: Anvil) -> None:
    c = EvmClient(node.url)
    assert c.check_chain(CHAIN_ID, "network tempo-testnet") == CHAIN_ID
    with pytest.raises(ChainMismatchError) as e:
        c.check_chain(4217, "network tempo-mainnet")
    assert (
        str(e.value) == "Connected to chain 42431 but network tempo-mainnet expects 4217. Check the RPC URL."
    )


@pytest.mark.parametrize(
    "script",
    [
        [429, 429],
        [502],
        ["truncated"],
        ["reset"],
        ["html"],
        ["wrong-ids"],
        [503, "reset", "truncated"],
        ["sleep"],
    ],
)
def test_transient_failures_are_retried(node: Anvil, script: list[Any]) -> None:
    for p in proxied(node, script=script):
        c = EvmClient(p.url, backoff=0.01, timeout=0.3)
        assert c.call_many([EthCall(ECHO, b"\x07")] * 3, "latest")[0].data == b"\x07"
        assert c.round_trips == len(script) + 1


@pytest.mark.parametrize("failure", [502, "truncated", "reset", "html", 429])
def test_persistent_failures_end_in_clean_rpc_error_without_secrets(node: Anvil, failure: Any) -> None:
    for p in proxied(node, rule=lambda body: failure):
        host = p.url.removeprefix("http://")
        c = EvmClient(f"http://user:hunter2@{host}/v3/SECRETKEY?apikey=SECRETKEY", retries=2, backoff=0.01)
        with pytest.raises(RpcError) as e:
            c.chain_id()
        text = e.value.render()
        assert host in text and "hunter2" not in text and "SECRETKEY" not in text and "Traceback" not in text
        assert c.round_trips == 3


def test_http_4xx_and_refused_connection(node: Anvil) -> None:
    for p in proxied(node, rule=lambda body: 403):
        with pytest.raises(RpcError, match="HTTP 403"):
            EvmClient(p.url, backoff=0.01).chain_id()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RpcError, match="connection refused"):
        EvmClient(f"http://127.0.0.1:{port}", retries=1, backoff=0.01).chain_id()


def test_batch_too_large_is_split(node: Anvil) -> None:
    def rule(body: bytes) -> tuple[int, bytes] | None:
        msg = json.loads(body)
        if isinstance(msg, list) and len(msg) > 16:
            return 200, b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}}'
        return None

    for p in proxied(node, rule=rule):
        c = EvmClient(p.url)
        results = c.call_many([EthCall(ECHO, bytes([i])) for i in range(100)], "latest")
        assert [r.data for r in results] == [bytes([i]) for i in range(100)]
        assert c.max_batch <= 16


def pad(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def _send_role_event(c: EvmClient, nonce: int, topics: list[bytes]) -> tuple[str, bytes]:
    data = b"".join(topics)
    tx: dict[str, Any] = {"chainId": CHAIN_ID, "nonce": nonce, "to": EMITTER, "data": data, "value": 0}
    tx["gas"] = c.estimate_gas({"from": DEV_ADDRESSES[0], **tx}) + 10_000
    tx.update(c.fee_fields().tx_fields())
    tx["data"] = "0x" + data.hex()
    raw = bytes(Account.sign_transaction(tx, DEV_KEYS[0]).raw_transaction)
    return c.send_raw(raw), raw


def test_send_wait_receipts_and_role_replay_with_range_limit(node: Anvil) -> None:
    c = EvmClient(node.url)
    start = c.block().number
    r1, r2 = keccak(b"RISK_OFFICER"), keccak(b"ORACLE")
    events = [
        [ROLE_GRANTED, r1, pad(DEV_ADDRESSES[1]), pad(DEV_ADDRESSES[0])],
        [ROLE_GRANTED, r2, pad(DEV_ADDRESSES[2]), pad(DEV_ADDRESSES[0])],
        [ROLE_GRANTED, r1, pad(DEV_ADDRESSES[3]), pad(DEV_ADDRESSES[0])],
        [ROLE_REVOKED, r1, pad(DEV_ADDRESSES[1]), pad(DEV_ADDRESSES[0])],
        [ROLE_ADMIN_CHANGED, r2, bytes(32), r1],
    ]
    nonce = c.nonce(DEV_ADDRESSES[0])
    hashes, raws = [], []
    for i, topics in enumerate(events):
        tx_hash, raw = _send_role_event(c, nonce + i, topics)
        hashes.append(tx_hash)
        raws.append(raw)
        node.mine(7)
    before = c.round_trips
    receipts = c.wait_receipts(hashes, timeout=10)
    assert c.round_trips == before + 1  # all receipts in one batched poll
    assert [receipts[h]["status"] for h in hashes] == ["0x1"] * 5
    assert c.send_raw(raws[0]) == hashes[0]  # a resend (e.g. after a dropped reply) is not an error
    end = c.block().number

    def limit(body: bytes) -> tuple[int, bytes] | None:
        msg = json.loads(body)
        if isinstance(msg, list) and msg and msg[0]["method"] == "eth_getLogs":
            f = msg[0]["params"][0]
            if int(f["toBlock"], 16) - int(f["fromBlock"], 16) + 1 > 8:
                err = {"code": -32005, "message": "query exceeds max block range 8"}
                return 200, json.dumps([{"jsonrpc": "2.0", "id": msg[0]["id"], "error": err}]).encode()
        return None

    for p in proxied(node, rule=limit):
        pc = EvmClient(p.url)
        state = replay_role_events(pc, EMITTER, start, end)
        ranges = [
            (int(b[0]["params"][0]["fromBlock"], 16), int(b[0]["params"][0]["toBlock"], 16)) for b in p.bodies
        ]
        assert any(t - f + 1 > 8 for f, t in ranges) and pc.log_window <= 8
        served = [(f, t) for f, t in ranges if t - f + 1 <= 8]
        assert served[0][0] == start and served[-1][1] == end
        assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(served))  # contiguous, no gaps or overlaps
    assert state.members[r1] == {DEV_ADDRESSES[3]} and state.members[r2] == {DEV_ADDRESSES[2]}
    assert state.admin_of(r2) == r1 and state.admin_of(r1) == bytes(32) and state.events == 5


def test_wait_receipts_timeout_reports_missing(node: Anvil) -> None:
    c = EvmClient(node.url)
    missing = "0x" + "ab" * 32
    with pytest.raises(ReceiptTimeout) as e:
        c.wait_receipts([missing], timeout=0.3, poll=0.1)
    assert e.value.missing == [missing] and e.value.found == {}


def test_logs_rate_limit_backs_off_without_splitting(node: Anvil) -> None:
    err = {"jsonrpc": "2.0", "id": None, "error": {"code": 429, "message": "rate limit exceeded"}}
    calls = {"n": 0}

    def rule(body: bytes) -> tuple[int, bytes] | None:
        msg = json.loads(body)
        if msg[0]["method"] == "eth_getLogs" and calls["n"] < 2:
            calls["n"] += 1
            return 200, json.dumps([dict(err, id=msg[0]["id"])]).encode()
        return None

    for p in proxied(node, rule=rule):
        c = EvmClient(p.url, backoff=0.01)
        assert isinstance(c.get_logs(EMITTER, [], 0, 5), list)
        assert c.log_window == 10_000 and len(p.bodies) == 3


def test_persistent_rate_limit_on_logs_is_a_clean_error_not_a_split(node: Anvil) -> None:
    def rule(body: bytes) -> tuple[int, bytes] | None:
        msg = json.loads(body)
        err = {"code": -32005, "message": "daily request rate limit exceeded"}
        return 200, json.dumps([{"jsonrpc": "2.0", "id": msg[0]["id"], "error": err}]).encode()

    for p in proxied(node, rule=rule):
        c = EvmClient(p.url, retries=2, backoff=0.01)
        with pytest.raises(RpcError, match="rate limit"):
            c.get_logs(EMITTER, [], 0, 100)
        assert c.log_window == 10_000 and len(p.bodies) == 3


def test_invalid_url_is_a_clean_error() -> None:
    with pytest.raises(RpcError, match="not a valid") as e:
        EvmClient("ftp://example.invalid/key=SECRET", retries=0).chain_id()
    assert "SECRET" not in e.value.render()
