"""kill -9 at random points of a 20-transaction apply, then resume (DESIGN §11).

Each round starts from the fresh deployment (anvil snapshot) with an empty backend, starts
`python -m tempoctl apply local --auto-approve` as a real process, SIGKILLs it after a seeded random delay
spread over the apply's duration, then runs apply again. Every round must end in the desired state, and
the blocks must show each intended call exactly once: a crash between journalling and sending, between
sending and the receipt, or mid-wave never leads to a second transaction for the same change.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Self

import pytest

from tests.conftest import Workspace
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.anvil import Anvil
from tests.support.local_state import environment_yaml, tempovault_yaml
from tests.team.apply_zygote import Zygote

ROUNDS = 50
SEED = 20261123


def _state(folder: Path, d) -> None:  # type: ignore[no-untyped-def]
    """The demo's `local` environment plus six more grants: 20 transactions from three signers in 4 waves."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "environment.yaml").write_text(environment_yaml(d.url, d.chain_id, d.fee_token))
    text = tempovault_yaml(d)
    text = text.replace(f'STRATEGIST: ["{A[4]}"]', f'STRATEGIST: ["{A[4]}", "{A[5]}", "{A[7]}", "{A[8]}", "{A[9]}"]')
    text = text.replace(f'TREASURY_MANAGER: ["{A[3]}"]', f'TREASURY_MANAGER: ["{A[3]}", "{A[7]}", "{A[8]}"]')
    (folder / "tempovault.yaml").write_text(text)


def _txs_since(anvil: Anvil, first_block: int) -> list[dict]:  # type: ignore[type-arg]
    latest = int(str(anvil.rpc("eth_blockNumber")), 16)
    out = []
    for n in range(first_block, latest + 1):
        block = anvil.rpc("eth_getBlockByNumber", [hex(n), True])
        out += block["transactions"]  # type: ignore[index]
    return out


def _intended(ws: Workspace) -> list[tuple[str, str]]:
    r = ws.run("plan", "local", "--format", "json")
    assert r.exit_code == 0, r.output
    plan = json.loads(r.stdout)
    return [(s["to"].lower(), s["data"].lower()) for c in plan["changes"] for s in c["steps"]]


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Miner:
    """Mempool mode: automine off and a block every 50 ms, so a kill often lands while the apply's
    transactions sit in the mempool (sent, not mined): the case where re-planning without settling would
    send them a second time."""

    def __init__(self, anvil: Anvil) -> None:
        self.anvil, self.stop_flag, self.thread = anvil, threading.Event(), threading.Thread(target=self._run)
        self.paused_until = 0.0

    def _run(self) -> None:
        while not self.stop_flag.wait(0.05):
            if time.monotonic() >= self.paused_until:
                self.anvil.rpc("evm_mine")

    def pause(self, seconds: float) -> None:
        """No blocks for a while: what the crashed apply left in the mempool is still there when the
        resuming apply starts, so only settling (waiting for it) keeps the resume from sending it again."""
        self.paused_until = time.monotonic() + seconds

    def __enter__(self) -> Self:
        self.anvil.rpc("evm_setAutomine", [False])
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_flag.set()
        self.thread.join()
        self.anvil.rpc("evm_setAutomine", [True])


@pytest.mark.parametrize(("mode", "rounds"), [("instant", ROUNDS), ("mempool", 10), ("postgresql", 10)])
def test_kill_9_at_random_points_then_resume_converges_with_no_transaction_twice(
        anvil: Anvil, chain, tmp_path: Path, request: pytest.FixtureRequest, mode: str,  # type: ignore[no-untyped-def]
        rounds: int) -> None:
    from tests.support.anvil import DEV_KEYS

    rng = random.Random(f"{SEED}-{mode}")
    base = anvil.snapshot()
    backend_env: dict[str, str] = {}
    if mode == "postgresql":  # the team backend: journal in PostgreSQL, the lock dies with the killed session
        pg = request.getfixturevalue("postgres")
        backend_env = pg.env()
    signers = [a.lower() for a in A[:3]]

    def fresh_round(i: int) -> tuple[Workspace, int]:
        nonlocal base
        anvil.revert(base)
        base = anvil.snapshot()
        ws = Workspace(tmp_path / f"round{i}", {"LOCAL_ADMIN_KEY": DEV_KEYS[0], "LOCAL_RISK_OFFICER_KEY": DEV_KEYS[1],
                                                "LOCAL_EMERGENCY_KEY": DEV_KEYS[2],
                                                "TEMPOCTL_CRASH_DIR": str(tmp_path / "crash"), **backend_env})
        _state(ws.root / "state" / "local", chain)
        if backend_env:
            env_file = ws.root / "state" / "local" / "environment.yaml"
            spec = pg.url(pg.create_database())
            env_file.write_text(env_file.read_text().replace("sqlite:///.tempoctl/local.db", spec))
        return ws, int(str(anvil.rpc("eth_blockNumber")), 16) + 1

    def sent() -> int:  # transactions the signers have sent so far (mined or in the mempool)
        return sum(int(str(anvil.rpc("eth_getTransactionCount", [a, "pending"])), 16) for a in signers)

    ws, first = fresh_round(-1)
    intended = _intended(ws)
    assert len(intended) == 20
    nonces_before = sent()

    stats: Counter[str] = Counter()
    zygote = Zygote()
    request.addfinalizer(zygote.close)
    for i in range(rounds):
        ws, first = fresh_round(i)
        # The kill point: after the k-th transaction is sent, plus a jitter of up to 40 ms, so kills land
        # before the first send, between journalling and sending, and between sending and the receipt.
        k, jitter = rng.randrange(0, 20), rng.uniform(0.0, 0.04)
        with contextlib.ExitStack() as mining:
            miner = mining.enter_context(Miner(anvil)) if mode == "mempool" else None
            pid = zygote.run(ws.root, {**ws.env, "HOME": str(ws.root / "home")}, "apply", "local", "--auto-approve")
            deadline = time.monotonic() + 120  # generous: a loaded two-core machine was seen needing > 60 s
            while sent() - nonces_before < k and _running(pid):
                if time.monotonic() >= deadline:
                    os.kill(pid, signal.SIGKILL)  # never leave it sending into the next round's chain
                    pytest.fail(f"round {i}: the apply made no progress")
                time.sleep(0.002)
            time.sleep(jitter)
            if miner is not None:
                miner.pause(1.5)
            os.kill(pid, signal.SIGKILL)
            zygote.wait(pid)
            done = sent() - nonces_before
            pending = int(str(anvil.rpc("txpool_status")["pending"]), 16)  # type: ignore[index]
            stats["killed with 0 sent" if done == 0 else "killed after all sent" if done == 20 else
                  "killed mid-apply"] += 1
            stats["killed with txs in the mempool"] += pending > 0
            r = ws.run("apply", "local", "--auto-approve")
        assert r.exit_code == 0, f"round {i}: {r.output}"
        stats["settled in resume"] += "Settling" in r.output
        stats["re-sent identical bytes"] += r.output.count("re-sent ")
        stats["abandoned"] += r.output.count("abandoned ")
        assert "Re-plan after apply: no changes" in r.output or "No changes" in r.output, f"round {i}: {r.output}"
        txs = _txs_since(anvil, first)
        calls = Counter((str(t["to"]).lower(), str(t["input"]).lower()) for t in txs)
        nonces = Counter((str(t["from"]).lower(), int(str(t["nonce"]), 16)) for t in txs)
        assert all(n == 1 for n in nonces.values())
        assert {c: n for c, n in calls.items() if n != 1} == {}, f"round {i}: a call was sent twice"
        assert sorted(calls) == sorted(intended) and len(txs) == 20, f"round {i}: {len(txs)} transactions"
        stats["converged"] += 1
    print(f"\nkill -9 rounds ({mode}): {rounds}, " + ", ".join(f"{k}: {v}" for k, v in sorted(stats.items())))
    assert stats["converged"] == rounds
    # The kills really land inside the apply. A wave's transactions go out in one batch (issue 15), so the
    # signers' sent count moves in 4 jumps, not 20 steps, and a kill after the k-th send lands at one of those
    # boundaries: mid-apply in about a third of the rounds rather than half.
    assert stats["killed mid-apply"] >= rounds // 5
    if mode == "mempool":
        assert stats["killed with txs in the mempool"] >= 1
