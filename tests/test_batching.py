"""Reads are batched (DESIGN §10): the round trips of a plan do not grow with the number of managed items."""

from __future__ import annotations

import time
from pathlib import Path

from eth_account import Account

from tempoctl.desired import load_environment
from tempoctl.observed.evm.client import EvmClient
from tempoctl.plan.build import PlanOptions, build_plan
from tests.support.local_state import write_local_state


def _with_members(folder: Path, n: int) -> None:
    members = [Account.from_key((i + 1).to_bytes(32, "big")).address for i in range(1000, 1000 + n)]
    text = (folder / "tempovault.yaml").read_text()
    listed = ", ".join(f'"{m}"' for m in members)
    import re

    text = re.sub(r'STRATEGIST: \["0x[0-9a-fA-F]+"\]', f"STRATEGIST: [{listed}]", text)
    (folder / "tempovault.yaml").write_text(text)


def _round_trips(chain, tmp_path: Path, n: int) -> tuple[int, int, float]:  # type: ignore[no-untyped-def]
    folder = write_local_state(tmp_path / f"s{n}" / "local", chain)
    _with_members(folder, n)
    env = load_environment(folder)
    client = EvmClient(chain.url)
    start = time.perf_counter()
    plan, obs = build_plan(env, PlanOptions(), clients={"anvil": client})
    elapsed = time.perf_counter() - start
    grants = [c for c in plan.changes if ".role.STRATEGIST[" in c.address and c.action.value == "create"]
    assert len(grants) == n
    assert all(c.simulation[0].status == "ok" for c in grants)
    return client.round_trips, obs.round_trips, elapsed


def test_round_trips_do_not_grow_with_items(chain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    small_total, small_reads, _ = _round_trips(chain, tmp_path, 10)
    big_total, big_reads, elapsed = _round_trips(chain, tmp_path, 1000)
    assert big_reads == small_reads
    # Simulation and gas estimates of 1,007 steps need a second chunk of the 1,000-call batch each.
    assert big_total <= small_total + 2
    # chain id + block + the observation rounds + one simulation batch + one gas batch.
    assert big_total <= 12, big_total
    print(f"1,000 members planned: {big_total} round trips ({big_reads} for reads), {elapsed:.2f} s")


def test_unbatched_mode_makes_one_request_per_read(chain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = write_local_state(tmp_path / "local", chain)
    env = load_environment(folder)
    batched = EvmClient(chain.url)
    build_plan(env, PlanOptions(simulate=False), clients={"anvil": batched})
    single = EvmClient(chain.url, batching=False)
    build_plan(env, PlanOptions(simulate=False), clients={"anvil": single})
    assert single.round_trips > 3 * batched.round_trips
