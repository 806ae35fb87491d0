"""A wave of EVM transactions goes out in JSON-RPC batches, one block's worth at a time (issue 15).

On an anvil mining a block every second with a small block gas limit, a wave of role grants that reserves
more gas than one block holds lands over several blocks, each grant exactly once, in nonce order, each block
within its limit, with one send request per block; a lost answer to a batch is settled; a transaction that
alone needs more than a block holds is refused before anything is signed or sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.apply_grants import GRANT, grants, landed, write_grants_env
from tempoctl.observed.evm.abi import encode_call
from tests.conftest import Workspace
from tests.support.anvil import DEV_KEYS, Anvil, start_anvil
from tests.support.contracts import TempoVaultDeployment, deploy_tempovault
from tests.support.rpc_proxy import Fault, RpcProxy


@pytest.fixture(scope="module")
def slow_chain() -> Iterator[tuple[Anvil, TempoVaultDeployment]]:
    """Its own anvil: deployed with automine, then a block a second (what `--block-time 1` does)."""
    with start_anvil(42431) as node:
        d = deploy_tempovault(node.url, chain_id=42431)
        node.rpc("evm_setIntervalMining", [1])
        yield node, d


class _Requests:
    """The JSON-RPC methods of every HTTP request that crossed the proxy, in order."""

    def __init__(self, proxy: RpcProxy) -> None:
        self.seen: list[list[str]] = []
        record = proxy.stats.record

        def spy(methods: list[str], batch: bool) -> None:
            self.seen.append(list(methods))
            record(methods, batch)

        proxy.stats.record = spy  # type: ignore[method-assign]

    def with_method(self, method: str) -> list[list[str]]:
        return [r for r in self.seen if method in r]


def _setup(node: Anvil, d: TempoVaultDeployment, tmp_path: Path, tag: str, n: int,
           proxy: RpcProxy) -> tuple[Workspace, Path]:
    folder = write_grants_env(tmp_path / "state", d, tag, n)
    ws = Workspace(tmp_path, {"GRANTS_RPC": proxy.url, "GRANTS_ADMIN_KEY": DEV_KEYS[0],
                              "TEMPOCTL_CRASH_DIR": str(tmp_path / "crash")})
    return ws, folder


def _gas_limit(node: Anvil, limit: int) -> None:
    node.rpc("evm_setBlockGasLimit", [hex(limit)])
    node.mine(1)  # the limit applies from the next block on


def _check_once(node: Anvil, d: TempoVaultDeployment, first: int, tag: str, n: int) -> dict[str, Any]:
    seen = landed(node, first, d.governance)
    want = {"0x" + encode_call(GRANT, [rid, who]).hex() for rid, who in grants(tag, n)}
    assert set(seen["calls"]) == want and set(seen["calls"].values()) == {1}  # every grant exactly once
    assert seen["nonces"] == list(range(seen["nonces"][0], seen["nonces"][0] + n))  # in nonce order
    return seen


def test_a_wave_over_the_block_gas_limit_lands_over_several_blocks_each_grant_once(  # type: ignore[no-untyped-def]
        slow_chain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    node, d = slow_chain
    limit, n = 500_000, 10
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with RpcProxy(node.url) as proxy:
        ws, folder = _setup(node, d, tmp_path, "blocks", n, proxy)
        _gas_limit(node, limit)
        try:
            first = int(str(node.rpc("eth_blockNumber")), 16) + 1
            requests = _Requests(proxy)
            r = ws.run("apply", str(folder), "--auto-approve")
        finally:
            _gas_limit(node, 30_000_000)
        assert r.exit_code == 0, r.output
        assert "over the block gas limit 500,000: sending them over" in r.output
        assert "Re-plan after apply: no changes" in r.output
        seen = _check_once(node, d, first, "blocks", n)
        blocks = sorted(seen["blocks"])
        assert len(blocks) >= 3 and sum(seen["blocks"].values()) == n
        for number in blocks:  # each block within its limit (what a transaction reserves: its gas field)
            block: Any = node.rpc("eth_getBlockByNumber", [hex(number), True])
            assert sum(int(tx["gas"], 16) for tx in block["transactions"]) <= limit
        # Receipts agree with the blocks: every grant's receipt names the block it is in, status 1.
        receipts = [e for e in _journal(tmp_path) if e["event"] == "receipt"]
        assert len(receipts) == n and {e["status"] for e in receipts} == {1}
        assert sorted({e["block"] for e in receipts}) == blocks
        # One batched send per block, and the wave's simulations and estimates in one batch before signing.
        assert len(requests.with_method("eth_sendRawTransaction")) == len(blocks)
        assert all(set(m) == {"eth_sendRawTransaction"} and len(m) <= n for m in requests.with_method(
            "eth_sendRawTransaction"))
        presend = requests.with_method("eth_getTransactionCount")
        assert len(presend) == 1 and presend[0].count("eth_estimateGas") == n and presend[0].count("eth_call") == n
        assert ws.run("plan", str(folder), "--detailed-exitcode").exit_code == 0  # nothing left


def _journal(root: Path) -> list[dict[str, Any]]:
    from tempoctl.backend import open_backend

    with open_backend("sqlite:///.tempoctl/" + _db(root), root) as backend:
        return backend.journal_entries(_db(root).removesuffix(".db"))


def _db(root: Path) -> str:
    [db] = [p.name for p in (root / ".tempoctl").glob("*.db")]
    return db


def test_the_wave_is_journalled_in_one_commit_before_any_send(  # type: ignore[no-untyped-def]
        slow_chain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tempoctl.backend.base import Backend

    node, d = slow_chain
    n = 6
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    commits: list[tuple[list[str], int]] = []
    append_many = Backend.journal_append_many

    with RpcProxy(node.url) as proxy:
        def spy(self: Backend, environment: str, apply_id: str, events: list[tuple[str, dict[str, Any]]]) -> None:
            commits.append(([e for e, _ in events], proxy.stats.snapshot()["by_method"].get("eth_sendRawTransaction", 0)))
            append_many(self, environment, apply_id, events)

        monkeypatch.setattr(Backend, "journal_append_many", spy)
        ws, folder = _setup(node, d, tmp_path, "commit", n, proxy)
        r = ws.run("apply", str(folder), "--auto-approve")
    assert r.exit_code == 0, r.output
    intents = [c for c in commits if "intent" in c[0]]
    assert intents == [(["intent"] * n, 0)]  # all n in one commit, and no transaction sent before it
    assert [c[0] for c in commits if "receipt" in c[0]] == [["receipt"] * n]


def test_a_lost_answer_to_a_send_batch_is_resent_as_the_same_transactions(  # type: ignore[no-untyped-def]
        slow_chain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The node took the batch but the answer was lost once: the retry gets "already known" (or "nonce too
    low" for one already mined, found by hash), so the apply completes and nothing lands twice."""
    node, d = slow_chain
    n = 8
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    lost = Fault("drop", method="eth_sendRawTransaction", after_upstream=True, limit=1)
    with RpcProxy(node.url, rules=[lost]) as proxy:
        ws, folder = _setup(node, d, tmp_path, "lost", n, proxy)
        first = int(str(node.rpc("eth_blockNumber")), 16) + 1
        r = ws.run("apply", str(folder), "--auto-approve")
        assert proxy.stats.snapshot()["faults"] == {"drop": 1}
    assert r.exit_code == 0, r.output
    assert "Re-plan after apply: no changes" in r.output
    _check_once(node, d, first, "lost", n)


def test_a_transaction_that_needs_more_than_a_block_holds_is_refused_before_anything_is_sent(  # type: ignore[no-untyped-def]
        slow_chain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    node, d = slow_chain
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with RpcProxy(node.url) as proxy:
        ws, folder = _setup(node, d, tmp_path, "toobig", 2, proxy)
        plan = json.loads(ws.run("plan", str(folder), "--format", "json").stdout)
        gas = max(c["simulation"][0]["gas"] for c in plan["changes"])
        # Enough for the estimate, not for the estimate plus the network's 25 % margin the transaction reserves.
        _gas_limit(node, gas + gas // 10)
        try:
            r = ws.run("apply", str(folder), "--auto-approve")
        finally:
            _gas_limit(node, 30_000_000)
        assert r.exit_code == 1, r.output
        assert "more than the block gas limit" in r.output and "can never be mined" in r.output
        assert "eth_sendRawTransaction" not in proxy.stats.snapshot()["by_method"]
    assert not [e for e in _journal(tmp_path) if e["event"] == "intent"]


def test_a_wave_whose_send_batch_never_reached_the_node_is_resent_from_the_journal_in_batches(  # type: ignore[no-untyped-def]
        slow_chain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every attempt at the send batch fails before the node sees it: the apply stops (exit 3: journalled, maybe
    sent). The next apply re-sends the identical signed bytes, lowest nonce first then the rest (two send
    requests, not one per transaction), and each grant lands exactly once."""
    node, d = slow_chain
    n = 8
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    first = int(str(node.rpc("eth_blockNumber")), 16) + 1
    with RpcProxy(node.url, rules=[Fault("5xx", method="eth_sendRawTransaction", status=503, limit=5)]) as proxy:
        ws, folder = _setup(node, d, tmp_path, "resend", n, proxy)
        r = ws.run("apply", str(folder), "--auto-approve")
        assert r.exit_code == 3, r.output
        assert "maybe sent" in r.stderr and proxy.stats.snapshot()["faults"] == {"5xx": 5}
        assert not landed(node, first, d.governance)["calls"]
        requests = _Requests(proxy)
        r = ws.run("apply", str(folder), "--auto-approve")
    assert r.exit_code == 0, r.output
    assert f"Settling {n} transaction(s)" in r.output and r.output.count("re-sent ") == n
    assert len(requests.with_method("eth_sendRawTransaction")) == 2
    _check_once(node, d, first, "resend", n)
    assert "abandoned" not in r.output
