"""`python -m bench.soroban_scan`: what tempoctl's out-of-band scan costs per 1,000 ledgers, with no other
traffic on the network and with 200 foreign transactions in every ledger (tests/soroban/traffic.py: pre-encoded
invocations of another contract by other accounts, returned by `getTransactions` and fee-evented like real ones).

Each run: a fresh emulator and vision_records contract, a first `plan` (it sets the scan cursor), then 1,000
ledgers in which the admin makes `CHANGES` whitelist additions from a console (real signed transactions), then
the measured `plan` (no simulation; `SAMPLES` times over the same ledgers, the median kept): every JSON-RPC
request it makes (counted by the emulator) and the CPU time of the thread running tempoctl (`time.thread_time`;
the emulator answers from its own thread, so its work is not counted). The same ledgers are then paged the way the previous scan did (`getTransactions` from the
cursor, every envelope decoded) for comparison. Figures go to bench/results/soroban_scan.{json,md}.

Runs alone; it does not touch the main benchmark (`python -m bench`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from stellar_sdk import Keypair, SorobanServer, TransactionBuilder, scval, xdr
from stellar_sdk.soroban_rpc import GetTransactionStatus

from tests.soroban import start_emulator
from tests.soroban.traffic import ForeignTraffic
from tests.support.teye_state import environment_yaml, teye_yaml, write_teye_state

PASSPHRASE = "Standalone Network ; February 2017"
LEDGERS = 1_000
CHANGES = 5
SAMPLES = 9  # measured plans per run over the same ledgers
RESULTS = Path(__file__).with_name("results")


def _send(url: str, cid: str, kp: Keypair, fn: str, *args: Any) -> None:
    with SorobanServer(url) as srv:
        tx = (TransactionBuilder(srv.load_account(kp.public_key), PASSPHRASE, base_fee=100).set_timeout(300)
              .append_invoke_contract_function_op(cid, fn, list(args)).build())
        tx = srv.prepare_transaction(tx)
        tx.sign(kp)
        assert srv.poll_transaction(srv.send_transaction(tx).hash).status == GetTransactionStatus.SUCCESS


def _plan(folder: Path) -> Any:
    from tempoctl.desired import load_environment
    from tempoctl.plan.build import PlanOptions, build_plan

    plan, _ = build_plan(load_environment(folder), PlanOptions(simulate=False))
    return plan


def one_run(foreign: int, ledgers: int = LEDGERS, changes: int = CHANGES) -> dict[str, Any]:
    with start_emulator(PASSPHRASE) as emu, tempfile.TemporaryDirectory(prefix="tempoctl-scan-") as tmp:
        root = Path(tmp)
        admin = Keypair.random()
        emu.fund(admin.public_key)
        cid = emu.deploy_vision_records(admin=admin.public_key, instance_ttl=emu.ledger + 2_000_000)
        folder = write_teye_state(root, environment_yaml(emu.url, PASSPHRASE, admin.public_key),
                                  teye_yaml(cid, admin.public_key, whitelist=[], enabled=None))
        old = Path.cwd()
        os.chdir(root)
        try:
            _plan(folder)  # sets the scan cursor
            start = emu.ledger + 1
            emu.foreign = ForeignTraffic(PASSPHRASE, per_ledger=foreign, since=start)  # type: ignore[attr-defined]
            intruders = [Keypair.random().public_key for _ in range(changes)]
            for who in intruders:
                emu.advance(ledgers // changes - 1)
                _send(emu.url, cid, admin, "add_to_whitelist", scval.to_address(admin.public_key),
                      scval.to_address(who))
            emu.advance(start + ledgers - 1 - emu.ledger)
            # The same 1,000 ledgers are scanned `SAMPLES` times (the backend file, which holds the scan
            # cursor, is put back before each), so one figure is a median, not one ~30 ms sample.
            db = root / ".tempoctl" / "teye-local.db"
            saved = db.read_bytes()
            cpus, walls = [], []
            for _ in range(SAMPLES):
                db.write_bytes(saved)
                before = Counter(emu.calls)
                cpu0, wall0 = time.thread_time(), time.perf_counter()
                plan = _plan(folder)
                cpus.append(time.thread_time() - cpu0)
                walls.append(time.perf_counter() - wall0)
                calls = Counter(emu.calls) - before
            cpu, wall = statistics.median(cpus), statistics.median(walls)
            found = {c.address for c in plan.changes}
            assert all(f"vision_records.whitelist[{w}]" in found for w in intruders), found
            paging = _previous_scan(emu.url, start)
        finally:
            os.chdir(old)
            emu.foreign = None  # type: ignore[attr-defined]
        return {"foreign_per_ledger": foreign, "ledgers": ledgers, "out_of_band_changes": changes,
                "plan_requests": sum(calls.values()), "requests_by_method": dict(sorted(calls.items())),
                "plan_cpu_s": round(cpu, 4), "plan_wall_s": round(wall, 4), **paging}


def _previous_scan(url: str, start: int) -> dict[str, Any]:
    """The previous design: page `getTransactions` from the cursor and decode every envelope."""
    requests, decoded = 0, 0
    cpu0 = time.thread_time()
    with SorobanServer(url) as srv:
        cursor = None
        while True:
            res = (srv.get_transactions(start_ledger=start, limit=200) if cursor is None
                   else srv.get_transactions(cursor=cursor, limit=200))
            requests += 1
            for tx in res.transactions or []:
                xdr.TransactionEnvelope.from_xdr(tx.envelope_xdr)
                decoded += 1
            if not res.transactions or len(res.transactions) < 200:
                break
            cursor = res.cursor
    return {"paging_requests": requests, "paging_decoded": decoded, "paging_cpu_s": round(time.thread_time() - cpu0, 4)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.soroban_scan", description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per traffic level; the median is reported")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    rows = []
    for foreign in (0, 200):
        runs = [one_run(foreign) for _ in range(args.repeat)]
        row = dict(runs[0])
        for k in ("plan_cpu_s", "plan_wall_s", "paging_cpu_s"):
            row[k] = round(statistics.median(r[k] for r in runs), 4)
        row["plan_cpu_s_runs"] = [r["plan_cpu_s"] for r in runs]
        row["plan_requests_runs"] = [r["plan_requests"] for r in runs]
        rows.append(row)
        print(json.dumps(row), flush=True)
    quiet, busy = rows
    req_diff = abs(busy["plan_requests"] - quiet["plan_requests"]) / quiet["plan_requests"]
    cpu_diff = abs(busy["plan_cpu_s"] - quiet["plan_cpu_s"]) / quiet["plan_cpu_s"]
    summary = {"requests_difference": round(req_diff, 4), "cpu_difference": round(cpu_diff, 4),
               "target": "< 0.10 for both", "met": req_diff < 0.10 and cpu_diff < 0.10}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soroban_scan.json").write_text(json.dumps({"rows": rows, "summary": summary}, indent=2) + "\n")
    lines = ["# Out-of-band scan cost per 1,000 ledgers (bench/soroban_scan.py)", "",
             (f"{CHANGES} out-of-band whitelist additions by the admin in {LEDGERS:,} ledgers; CPU is the "
              f"tempoctl thread's, median of {args.repeat} runs × {SAMPLES} plans over the same ledgers."), "",
             ("| foreign tx / ledger | plan requests | plan CPU | previous scan: getTransactions pages | "
             "envelopes decoded | CPU |"), "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['foreign_per_ledger']} | {r['plan_requests']} ({', '.join(f'{k} {v}' for k, v in r['requests_by_method'].items())}) "
                     f"| {r['plan_cpu_s']:.3f} s | {r['paging_requests']} | {r['paging_decoded']:,} | {r['paging_cpu_s']:.3f} s |")
    lines += ["", (f"Difference 0 → 200 foreign tx/ledger: requests {req_diff:.1%}, CPU {cpu_diff:.1%} "
                  f"(target < 10 %: {'met' if summary['met'] else 'NOT met'}).")]
    (args.out / "soroban_scan.md").write_text("\n".join(lines) + "\n")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
