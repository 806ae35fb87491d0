"""`python -m bench` (or `make bench`): tempoctl plan vs plan --no-batch vs the runbook's cast loop.

One run: start anvil, deploy the fixture TempoVault, make every size's items live, put the latency proxy in
front, then measure each method at each size. Slow methods beyond --full-max items are extrapolated, and
every extrapolated figure says how (see `--help`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.generate import BenchEnv, put_live, write_env
from bench.measure import ProcessFailed, Row, Run, cast_loop, command_run, median_row, timed
from bench.report import describe_machine, targets, write_all
from tests.support.anvil import EVM_TOOLS, start_anvil
from tests.support.contracts import deploy_tempovault
from tests.support.rpc_proxy import RpcProxy

ROOT = Path(__file__).resolve().parents[1]
# The native binary the npm package @foundry-rs/cast ships (the `.bin/cast` node wrapper around it would add
# ~130 ms of node start-up per call, which would flatter tempoctl).
CAST = EVM_TOOLS / "node_modules" / "@foundry-rs" / "cast-linux-amd64" / "bin" / "cast"
ANVIL = EVM_TOOLS / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10,100,1000,5000", help="managed items per environment (comma-separated)")
    ap.add_argument("--reps", type=int, default=5, help="runs per figure; the median is reported")
    ap.add_argument("--latency-ms", type=float, default=50, help="added by the proxy to every round trip")
    ap.add_argument("--full-max", type=int, default=100,
                    help="largest size at which the unbatched plan and the cast loop run in full; above it the "
                         "unbatched plan runs at 0 ms and adds latency × its counted round trips, and the cast "
                         "loop runs a sample of --cast-sample items and scales per item")
    ap.add_argument("--cast-sample", type=int, default=50)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    ap.add_argument("--update-readme", action="store_true", help="rewrite the README's benchmark section")
    return ap.parse_args(argv)


def _tempoctl() -> list[str]:
    script = Path(sys.executable).with_name("tempoctl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tempoctl"]


def _empty_plan(code: int, out: str) -> bool:
    return code == 0 and "No changes" in out


def _sample(items: list, k: int) -> list:  # type: ignore[type-arg]
    step = max(1, len(items) // k)
    return items[::step][:k]


def main(argv: list[str] | None = None) -> int:
    a = _args(argv)
    sizes = [int(s) for s in a.sizes.split(",")]
    tempoctl = _tempoctl()
    cast = str(CAST if CAST.exists() else shutil.which("cast") or "cast")
    machine = describe_machine({"anvil": str(ANVIL), "cast": cast})
    rows: list[Row] = []
    startup: dict[str, dict[str, list[float]]] = {}
    model_check: list[dict[str, float]] = []

    def say(msg: str) -> None:
        print(f"[bench {dt.datetime.now():%H:%M:%S}] {msg}", flush=True)

    with tempfile.TemporaryDirectory(prefix="tempoctl-bench-") as tmp, \
            start_anvil(42431, extra=["--gas-limit", "300000000"]) as node:
        say(f"anvil at {node.url}; deploying TempoVault and making {sum(sizes):,} items live")
        d = deploy_tempovault(node.url, chain_id=42431)
        put_live(d, sizes)
        envs: dict[int, BenchEnv] = {n: write_env(Path(tmp) / "state", d, n) for n in sizes}
        with RpcProxy(node.url, latency_ms=a.latency_ms) as proxy:
            env = dict(os.environ, BENCH_RPC=proxy.url, TEMPOCTL_CRASH_DIR=str(Path(tmp) / "crash"))
            startup["--help"] = _startup([*tempoctl, "--help"], env, a.reps)
            for n in sizes:
                startup[f"validate {n}"] = _startup([*tempoctl, "validate", str(envs[n].folder)], env, a.reps)
            for n in sizes:
                folder = str(envs[n].folder)
                plan = [*tempoctl, "plan", folder, "--detailed-exitcode"]
                say(f"{n:,} items: tempoctl plan × {a.reps}")
                rows.append(median_row("plan", n, [command_run(proxy, plan, env, _empty_plan) for _ in range(a.reps)]))
                rows.append(_unbatched(a, proxy, [*plan, "--no-batch"], env, n, model_check, say))
                rows.append(_cast(a, proxy, cast, envs[n], say))
    machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    data = {
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "config": {"sizes": sizes, "reps": a.reps, "latency_ms": a.latency_ms, "full_max": a.full_max,
                   "cast_sample": a.cast_sample, "cast": cast},
        "rows": [r.to_dict() for r in rows],
        "startup": startup,
        "model_check": model_check,
        "targets": targets(rows, startup, a.latency_ms),
    }
    write_all(data, a.out, ROOT / "README.md" if a.update_readme else None)
    say(f"wrote {a.out}/results.md, results.json" + (", chart.png" if (a.out / "chart.png").exists() else ""))
    print((a.out / "results.md").read_text())
    return 0


def _startup(argv: list[str], env: dict[str, str], reps: int) -> dict[str, list[float]]:
    """Wall and CPU times of a command that reads no chain (`--help`, `validate`)."""
    out: dict[str, list[float]] = {"wall_s": [], "cpu_s": []}
    for _ in range(reps):
        wall, _, code, _, err, cpu = timed(argv, env)
        if code != 0:
            raise ProcessFailed(f"{' '.join(argv[1:3])} exited {code}: {err[-600:]}")
        out["wall_s"].append(wall)
        out["cpu_s"].append(cpu)
    return out


def _unbatched(a: argparse.Namespace, proxy: RpcProxy, argv: list[str], env: dict[str, str], n: int,
               model_check: list[dict[str, float]], say: Callable[[str], None]) -> Row:
    """Measured in full up to --full-max; beyond, run with no added latency and add latency × round trips
    (every unbatched request waits for the one before, so the latency adds up exactly)."""
    lat = a.latency_ms / 1000
    if n > a.full_max:
        say(f"{n:,} items: plan --no-batch × {a.reps} at 0 ms (+ latency × round trips)")
    proxy.latency_ms = 0
    try:
        zero = [command_run(proxy, argv, env, _empty_plan) for _ in range(a.reps if n > a.full_max else 1)]
    finally:
        proxy.latency_ms = a.latency_ms
    t0 = statistics.median(r.wall_s for r in zero)
    if n > a.full_max:
        runs = [Run(r.wall_s + r.round_trips * lat, r.round_trips, r.peak_rss_mb, r.cpu_s) for r in zero]
        return median_row("plan --no-batch", n, runs, how=(
            f"extrapolated: run at 0 ms added latency, plus {a.latency_ms:g} ms × its counted round trips "
            "(requests are sequential, so this is what the proxy would add)"))
    say(f"{n:,} items: plan --no-batch × {a.reps}")
    row = median_row("plan --no-batch", n, [command_run(proxy, argv, env, _empty_plan) for _ in range(a.reps)])
    model_check.append({"size": n, "measured_s": row.wall_s, "model_s": t0 + zero[0].round_trips * lat})
    return row


def _cast(a: argparse.Namespace, proxy: RpcProxy, cast: str, e: BenchEnv, say: Callable[[str], None]) -> Row:
    n = len(e.items)
    if n <= a.full_max:
        say(f"{n:,} items: cast loop × {a.reps}")
        return median_row("cast loop", n, [cast_loop(proxy, cast, e.items) for _ in range(a.reps)])
    sample = _sample(e.items, a.cast_sample)
    k = len(sample)
    say(f"{n:,} items: cast loop over a {k}-item sample × {a.reps}")
    runs = [cast_loop(proxy, cast, sample) for _ in range(a.reps)]
    scaled = [Run(r.wall_s * n / k, round(r.round_trips * n / k), r.peak_rss_mb, r.cpu_s * n / k) for r in runs]
    return median_row("cast loop", n, scaled, how=(
        f"extrapolated: {a.reps} runs over an evenly spread {k}-item sample (half roles, half breakers), "
        f"scaled per item to the full size (each `cast call` is independent of the others)"))


if __name__ == "__main__":
    sys.exit(main())
