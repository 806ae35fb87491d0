"""`python -m bench.fork`: what `plan --fork` costs over a plain `plan`, at 10, 100 and 1,000 steps.

Runs alone (not part of `python -m bench`). One anvil with the fixture TempoVault; per size N a generated
environment (bench/generate.py) whose N items are declared but not live, so the plan has about N steps: N/2
role grants by the admin and N/2 breaker trips by the risk officer, which wait for the plan's RISK_OFFICER grant
(a plain plan marks them `skipped`; the fork runs them). Each size is planned as a real `tempoctl plan` process
with and without `--fork`, `--repeat` times; the figures are medians: wall time of each, their difference (the
fork's cost: starting anvil forked at the pinned block, running every step in order, re-planning on the fork),
that cost per step, and the fork's own timing from the plan (`fork.seconds`). The forked node is local, so these
are the costs with a near-zero-latency RPC; against a remote RPC the fork's reads of remote state add to them.
Written to bench/results/fork.{json,md}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.generate import write_env
from bench.measure import timed
from bench.report import describe_machine
from tests.support.anvil import ANVIL_BIN, DEV_KEYS, start_anvil
from tests.support.contracts import deploy_tempovault

ROOT = Path(__file__).resolve().parents[1]


def _tempoctl() -> list[str]:
    script = Path(sys.executable).with_name("tempoctl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tempoctl"]


def _plan(env_name: str, env: dict[str, str], cwd: Path, fork: bool) -> tuple[float, dict[str, Any]]:
    argv = [*_tempoctl(), "plan", env_name, "--format", "json", *(["--fork"] if fork else [])]
    old = Path.cwd()
    os.chdir(cwd)
    try:
        wall, _, code, out, err, _ = timed(argv, env)
    finally:
        os.chdir(old)
    if code != 0:
        raise SystemExit(f"bench.fork: `{' '.join(argv[-4:])}` exited {code}: {err[-600:]}")
    return wall, json.loads(out)


def _case(size: int, env: dict[str, str], root: Path, repeat: int) -> dict[str, Any]:
    plain, forked, inner = [], [], []
    doc: dict[str, Any] = {}
    for _ in range(repeat):
        wall, _ = _plan(f"bench-{size}", env, root, fork=False)
        plain.append(wall)
        wall, doc = _plan(f"bench-{size}", env, root, fork=True)
        forked.append(wall)
        inner.append(float(doc["fork"]["seconds"]))
    evm = [s for c in doc["changes"] for s in c["steps"] if s["kind"] == "evm_transaction"]
    skipped_alone = sum(1 for s in evm if (s.get("simulation") or {}).get("status") == "skipped")
    statuses: dict[str, int] = {}
    for s in evm:
        statuses[s["fork"]["status"]] = statuses.get(s["fork"]["status"], 0) + 1
    p, f = statistics.median(plain), statistics.median(forked)
    return {
        "size": size, "steps": len(evm), "fork_statuses": statuses, "skipped_without_fork": skipped_alone,
        "after_changes": len(doc["fork"]["after"]["changes"]), "runs": repeat,
        "plan_s": round(p, 3), "plan_fork_s": round(f, 3), "fork_cost_s": round(f - p, 3),
        "fork_cost_per_step_ms": round((f - p) * 1000 / max(1, len(evm)), 2),
        "fork_inner_s": round(statistics.median(inner), 3),
        "samples": {"plan_s": [round(x, 3) for x in plain], "plan_fork_s": [round(x, 3) for x in forked]},
    }


def markdown(data: dict[str, Any]) -> str:
    m = data["machine"]
    lines = [
        "# `plan --fork` cost", "",
        (f"Measured {data['date']} on {m['cpu']} ({m['cores']} cores, {m['ram_gb']} GB), Python {m['python']}, "
        f"{m['tools'].get('anvil', '?')}; load average at start {m['load_average_at_start']}. "
        f"Medians of {data['repeat']} run(s) of a real `tempoctl plan` process each. The RPC is a local anvil "
        "(no added latency): a fork of a remote RPC also pays for reading remote state on first touch."), "",
        ("| steps | plan | plan --fork | fork cost | per step | fork run (in plan) | fork results | skipped without --fork "
        "| left after |"),
        "|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in data["rows"]:
        lines.append(f"| {r['steps']} | {r['plan_s']:.2f} s | {r['plan_fork_s']:.2f} s | {r['fork_cost_s']:.2f} s | "
                     f"{r['fork_cost_per_step_ms']:.1f} ms | {r['fork_inner_s']:.2f} s | "
                     + ", ".join(f"{v} {k}" for k, v in sorted(r["fork_statuses"].items()))
                     + f" | {r['skipped_without_fork']} | {r['after_changes']} |")
    lines += ["", "Run `python -m bench.fork` to reproduce (`--sizes`, `--repeat`, `--out`).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.fork", description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,1000", help="comma-separated item counts (default 10,100,1000)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with start_anvil(42431) as node, tempfile.TemporaryDirectory(prefix="tempoctl-bench-fork-") as tmp:
        d = deploy_tempovault(node.url, chain_id=42431)
        root = Path(tmp)
        for n in sizes:
            write_env(root / "state", d, n)
        env = {**os.environ, "BENCH_RPC": node.url, "BENCH_ADMIN_KEY": DEV_KEYS[0],
               "BENCH_RISK_OFFICER_KEY": DEV_KEYS[1], "HOME": tmp}
        rows = []
        for n in sizes:
            rows.append(_case(n, env, root, args.repeat))
            print(f"{rows[-1]['steps']} steps: plan {rows[-1]['plan_s']:.2f} s, plan --fork "
                  f"{rows[-1]['plan_fork_s']:.2f} s ({rows[-1]['fork_cost_per_step_ms']:.1f} ms/step)", flush=True)
    data = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "repeat": args.repeat,
            "machine": describe_machine({"anvil": str(ANVIL_BIN)}), "rows": rows}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fork.json").write_text(json.dumps(data, indent=2) + "\n")
    (args.out / "fork.md").write_text(markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
