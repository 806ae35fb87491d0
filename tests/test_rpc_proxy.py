"""The test/benchmark RPC proxy: it forwards faithfully, counts what the benchmarks rely on, and each fault kind
reaches a real client (requests, tempoctl's EvmClient, stellar-sdk) as the failure it imitates."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tempoctl.errors import RpcError
from tempoctl.observed.evm.client import EvmClient
from tests.support.anvil import Anvil, anvil_available
from tests.support.rpc_proxy import Fault, RpcProxy

pytestmark = pytest.mark.skipif(not anvil_available(), reason="anvil not installed (npm install in tests/evm)")

REPO = Path(__file__).resolve().parents[1]


def rpc(url: str, method: str, params: list[object] | None = None, *, rid: int = 1) -> requests.Response:
    return requests.post(url, json={"jsonrpc": "2.0", "id": rid, "method": method, "params": params or []},
                         timeout=10)


@pytest.fixture
def proxy(anvil: Anvil) -> Iterator[RpcProxy]:
    with RpcProxy(anvil.url) as p:
        yield p


def test_forwards_and_counts_round_trips_batches_and_methods(anvil: Anvil, proxy: RpcProxy) -> None:
    assert rpc(proxy.url, "eth_chainId").json()["result"] == hex(anvil.chain_id)
    client = EvmClient(proxy.url)
    block = client.block()
    client.batch([("eth_getBalance", [f"0x{i:040x}", hex(block.number)]) for i in range(1, 41)]
                 + [("eth_blockNumber", [])])
    stats = proxy.stats.snapshot()
    assert stats["round_trips"] == 3 == 1 + client.round_trips
    assert stats["batches"] == 2  # EvmClient sends even one call as a batch
    assert stats["calls"] == 1 + 1 + 41
    assert stats["by_method"] == {"eth_chainId": 1, "eth_getBlockByNumber": 1, "eth_getBalance": 40,
                                  "eth_blockNumber": 1}
    assert stats["faults"] == {}
    proxy.stats.reset()
    assert proxy.stats.snapshot()["round_trips"] == 0


def test_added_latency_is_paid_once_per_round_trip(anvil: Anvil) -> None:
    with RpcProxy(anvil.url, latency_ms=50) as p:
        client = EvmClient(p.url)
        t0 = time.perf_counter()
        client.batch([("eth_blockNumber", [])] * 20)
        one_batch = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(4):
            client.request("eth_blockNumber", [])
        four = time.perf_counter() - t0
    assert one_batch >= 0.05 and four >= 4 * 0.05  # lower bounds only: never flaky on a slow machine


def test_drop_closes_without_an_answer(anvil: Anvil) -> None:
    with RpcProxy(anvil.url, rules=[Fault("drop")]) as p:
        with pytest.raises(requests.ConnectionError):
            rpc(p.url, "eth_chainId")
        assert p.stats.snapshot()["faults"] == {"drop": 1}
        host, port = p.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("POST", "/", b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}')
        with pytest.raises(http.client.RemoteDisconnected):
            conn.getresponse()


def test_reset_is_a_tcp_reset(anvil: Anvil) -> None:
    with RpcProxy(anvil.url, rules=[Fault("reset")]) as p:
        host, port = p.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("POST", "/", b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}')
        with pytest.raises(ConnectionResetError):
            conn.getresponse()
        assert p.stats.snapshot()["faults"] == {"reset": 1}


def test_http_429_5xx_and_malformed_json(anvil: Anvil) -> None:
    with RpcProxy(anvil.url, rules=[Fault("429", method="^eth_chainId$"), Fault("5xx", method="^net_version$",
                                                                                  status=502),
                                    Fault("malformed", method="^eth_blockNumber$")]) as p:
        r = rpc(p.url, "eth_chainId")
        assert r.status_code == 429 and r.headers["Retry-After"] == "0"
        assert rpc(p.url, "net_version").status_code == 502
        r = rpc(p.url, "eth_blockNumber")
        assert r.status_code == 200
        with pytest.raises(ValueError):
            json.loads(r.content)
        assert rpc(p.url, "eth_gasPrice").json()["result"].startswith("0x")  # no rule: forwarded
        assert p.stats.snapshot()["faults"] == {"429": 1, "5xx": 1, "malformed": 1}


def test_delay_then_forwards(anvil: Anvil) -> None:
    with RpcProxy(anvil.url, rules=[Fault("delay", delay_ms=300)]) as p:
        t0 = time.perf_counter()
        assert rpc(p.url, "eth_chainId").json()["result"] == hex(anvil.chain_id)
        assert time.perf_counter() - t0 >= 0.3
        with pytest.raises(requests.Timeout):
            requests.post(p.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
                          timeout=0.05)


def test_a_batch_matches_a_rule_when_any_call_does(anvil: Anvil) -> None:
    with RpcProxy(anvil.url, rules=[Fault("5xx", method="^eth_call$")]) as p:
        body = [{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
                {"jsonrpc": "2.0", "id": 2, "method": "eth_call", "params": [{"to": "0x" + "00" * 20}, "latest"]}]
        assert requests.post(p.url, json=body, timeout=10).status_code == 503
        assert requests.post(p.url, json=body[:1], timeout=10).status_code == 200


def test_after_upstream_the_work_is_done_but_the_answer_lost(anvil: Anvil) -> None:
    snap = anvil.snapshot()
    try:
        before = int(str(anvil.rpc("eth_blockNumber")), 16)
        rules = [Fault("drop", method="^anvil_mine$", after_upstream=True)]
        with RpcProxy(anvil.url, rules=rules) as p, pytest.raises(requests.ConnectionError):
            rpc(p.url, "anvil_mine", ["0x1"])
        assert int(str(anvil.rpc("eth_blockNumber")), 16) == before + 1
    finally:
        anvil.revert(snap)


def test_limit_and_evm_client_retries_through_transient_faults(anvil: Anvil) -> None:
    rules = [Fault("429", limit=1), Fault("5xx", limit=1), Fault("malformed", limit=1), Fault("reset", limit=1),
             Fault("drop", limit=1)]
    with RpcProxy(anvil.url, rules=rules) as p:
        client = EvmClient(p.url, retries=6, backoff=0.01)
        assert client.chain_id() == anvil.chain_id
        assert p.stats.snapshot()["faults"] == {"429": 1, "5xx": 1, "malformed": 1, "reset": 1, "drop": 1}
        assert client.round_trips == 6
    with RpcProxy(anvil.url, rules=[Fault("5xx")]) as p, pytest.raises(RpcError, match="HTTP 503"):
        EvmClient(p.url, retries=1, backoff=0.01).chain_id()


def fault_pattern(url: str, seed: int) -> list[int]:
    with RpcProxy(url, rules=[Fault("429", probability=0.2)], seed=seed) as p:
        return [rpc(p.url, "eth_chainId").status_code for _ in range(60)]


def test_probability_is_seeded_and_replayable(anvil: Anvil) -> None:
    a, b, c = fault_pattern(anvil.url, 7), fault_pattern(anvil.url, 7), fault_pattern(anvil.url, 8)
    assert a == b and a != c
    assert 3 <= a.count(429) <= 25 and set(a) == {200, 429}


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("teapot")
    with pytest.raises(ValueError, match="probability"):
        Fault("drop", probability=1.5)
    assert Fault.parse("429:0.25:^eth_call$") == Fault("429", method="^eth_call$", probability=0.25)


def test_in_front_of_the_soroban_emulator_with_stellar_sdk() -> None:
    from stellar_sdk import SorobanServer

    from tests.soroban.emulator import start_emulator

    with start_emulator() as emu, RpcProxy(emu.url, rules=[Fault("5xx", method="getNetwork")]) as p:
        server = SorobanServer(p.url)
        assert server.get_latest_ledger().sequence >= 1000
        with pytest.raises(Exception, match="503"):
            server.get_network()
        stats = p.stats.snapshot()  # stellar-sdk retries a 503 itself: every attempt met the fault
        assert stats["by_method"]["getLatestLedger"] == 1
        assert stats["by_method"]["getNetwork"] == stats["faults"]["5xx"] >= 1


def test_command_line_entry_point(anvil: Anvil) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.rpc_proxy", "--upstream", anvil.url,
                             "--latency-ms", "50", "--fault", "5xx:1:^net_version$"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert rpc(url, "eth_chainId").json()["result"] == hex(anvil.chain_id)
        assert rpc(url, "net_version").status_code == 503
        stats = requests.get(url + "/_proxy/stats", timeout=10).json()
        assert stats["by_method"] == {"eth_chainId": 1, "net_version": 1} and stats["faults"] == {"5xx": 1}
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert json.loads(err.strip().splitlines()[-1])["round_trips"] == 2
