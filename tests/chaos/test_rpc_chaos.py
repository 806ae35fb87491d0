"""Chaos: the RPC proxy injects 20 % faults (seeded: delay, drop, drop after the node acted, TCP reset, 429, 503,
malformed JSON) in front of anvil during `plan` and `apply` of the multi-change local environment.

Each run must end in success or a clean error (exit 1 or 3, no traceback, no crash log); the journal must agree
with the chain (journalled before sending, every transaction of our signers on chain is journalled, recorded
receipts match, nothing stuck in flight); a clean re-run must converge; and no intended transaction may be on
chain twice. The figures are printed (`pytest -s`) and asserted."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Workspace
from tests.support.anvil import DEV_ADDRESSES, DEV_KEYS, Anvil
from tests.support.local_state import write_local_state
from tests.support.rpc_proxy import Fault, RpcProxy

RUNS = int(os.environ.get("TEMPOCTL_CHAOS_RUNS", "5"))  # more for a report: TEMPOCTL_CHAOS_RUNS=50
FAULT_RATE = 0.20
KINDS: list[dict[str, Any]] = [
    {"kind": "delay", "delay_ms": 150}, {"kind": "drop"}, {"kind": "drop", "after_upstream": True},
    {"kind": "reset"}, {"kind": "429"}, {"kind": "5xx", "status": 503}, {"kind": "malformed"},
]
SIGNERS = {a.lower() for a in DEV_ADDRESSES[:3]}


def chaos_rules() -> list[Fault]:
    """One rule per kind, each with the probability that makes any fault fire on 20 % of requests."""
    p = 1 - (1 - FAULT_RATE) ** (1 / len(KINDS))
    return [Fault(probability=p, **k) for k in KINDS]


def journal(ws: Workspace) -> list[dict[str, Any]]:
    """The apply journal of `local`: the JSON-lines file, or the backend's table once apply writes there."""
    path = ws.root / ".tempoctl" / "local.journal.jsonl"
    entries: list[dict[str, Any]] = []
    if path.exists():
        entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    db = ws.root / ".tempoctl" / "local.db"
    if not entries and db.exists():
        from tempoctl.backend import open_backend

        with open_backend("sqlite:///.tempoctl/local.db", cwd=ws.root) as backend:
            entries = backend.journal_entries("local")
    return entries


def our_transactions(anvil: Anvil, first_block: int) -> list[dict[str, Any]]:
    head = int(str(anvil.rpc("eth_blockNumber")), 16)
    out = []
    for n in range(first_block, head + 1):
        block: Any = anvil.rpc("eth_getBlockByNumber", [hex(n), True])
        out += [tx for tx in block["transactions"] if tx["from"].lower() in SIGNERS]
    return out


def check_journal(anvil: Anvil, entries: list[dict[str, Any]], first_block: int) -> None:
    intents = {e["tx_hash"]: e for e in entries if e["event"] == "intent"}
    seen: set[str] = set()
    for e in entries:
        if e["event"] == "intent":
            seen.add(e["tx_hash"])
        elif e["event"] == "sent":
            assert e["tx_hash"] in seen, f"sent before its intent was journalled: {e}"
        elif e["event"] == "receipt":
            assert e["tx_hash"] in intents, f"receipt of a transaction never journalled: {e}"
            live: Any = anvil.rpc("eth_getTransactionReceipt", [e["tx_hash"]])
            assert live is not None and int(live["status"], 16) == e["status"]
            assert int(live["blockNumber"], 16) == e["block"]
    for tx in our_transactions(anvil, first_block):
        assert tx["hash"] in intents, f"on chain but never journalled: {tx['hash']}"
    for h in intents:  # journalled and never mined must also not be waiting in the pool
        if anvil.rpc("eth_getTransactionByHash", [h]) is not None:
            assert sealed(anvil, h), f"stuck in flight: {h}"


def sealed(anvil: Anvil, tx_hash: str) -> bool:
    """Whether `tx_hash` gets a receipt within a few seconds (anvil answers before its automined block is sealed)."""
    for _ in range(100):
        if anvil.rpc("eth_getTransactionReceipt", [tx_hash]) is not None:
            return True
        time.sleep(0.05)
    return False


def clean(result: Any, allowed: set[int], what: str) -> str:
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code in allowed, f"{what}: exit {result.exit_code}\n{text}"
    assert "Traceback" not in text and "internal error" not in text, f"{what}:\n{text}"
    return text


def run_once(anvil: Anvil, deployment: Any, proxy: RpcProxy, root: Path, rules: list[Fault], seed: int) -> str:
    """One chaos run on a fresh chain: plan and apply under faults, checks, then converge without faults."""
    snap = anvil.snapshot()
    try:
        ws = Workspace(root, {"LOCAL_ADMIN_KEY": DEV_KEYS[0], "LOCAL_RISK_OFFICER_KEY": DEV_KEYS[1],
                              "LOCAL_EMERGENCY_KEY": DEV_KEYS[2], "TEMPOCTL_LOCAL_RPC": proxy.url,
                              "TEMPOCTL_CRASH_DIR": str(root / "crash")})
        write_local_state(root / "state" / "local", deployment)
        first_block = int(str(anvil.rpc("eth_blockNumber")), 16) + 1
        proxy.set_rules(rules, seed=seed)
        clean(ws.run("plan", "local"), {0, 1}, f"seed {seed} plan")
        applied = ws.run("apply", "local", "--auto-approve")
        text = clean(applied, {0, 1, 3}, f"seed {seed} apply")
        proxy.set_rules([])
        if applied.exit_code == 0:
            assert "Re-plan after apply: no changes" in text, text
        check_journal(anvil, journal(ws), first_block)

        final = ws.run("apply", "local", "--auto-approve")  # faults off: converges, and re-plans to nothing
        assert final.exit_code == 0 and "no changes" in final.output.lower(), final.output
        check_journal(anvil, journal(ws), first_block)
        sent = Counter((tx["from"].lower(), tx["to"].lower(), tx["input"]) for tx in our_transactions(anvil, first_block))
        assert sent and max(sent.values()) == 1, "an intended transaction is on chain twice"
        assert not (root / "crash").exists() or not os.listdir(root / "crash")
        return "success" if applied.exit_code == 0 else f"clean error (exit {applied.exit_code})"
    finally:
        anvil.revert(snap)


@pytest.mark.parametrize(("scenario", "runs"), [("20% of all requests", RUNS), ("60% of sends and receipts", 3)])
def test_plan_and_apply_under_rpc_faults(anvil: Anvil, deployment, tmp_path: Path,  # type: ignore[no-untyped-def]
                                         monkeypatch: pytest.MonkeyPatch, scenario: str, runs: int) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if scenario.startswith("20%"):
        rules = chaos_rules()
    else:  # enough to exhaust the client's retries: applies stop part way, and the next one must finish the job
        hot = "^(eth_sendRawTransaction|eth_getTransactionReceipt)$"
        rules = [Fault("drop", method=hot, after_upstream=True, probability=0.3),
                 Fault("5xx", method=hot, probability=0.45)]
    outcomes: Counter[str] = Counter()
    with RpcProxy(anvil.url) as proxy:
        for seed in range(runs):
            outcomes[run_once(anvil, deployment, proxy, tmp_path / f"run{seed}", rules, seed)] += 1
        injected = proxy.stats.snapshot()["faults"]
    print(f"\nchaos ({scenario}): {runs} runs: {dict(outcomes)}; faults injected: {dict(injected)}")
    assert sum(outcomes.values()) == runs
    assert sum(injected.values()) >= runs  # the proxy really misbehaved
