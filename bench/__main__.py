"""`python -m bench` (or `make bench`): tempoctl plan vs plan --no-batch vs the runbook's way, on anvil and Soroban.

One run: start anvil, deploy the fixture TempoVault, make every size's items live, put the latency proxy in
front, then measure each method at each size (runbook: one `cast call` per item); then the same on the Soroban
RPC emulator with a vision_records contract per size (runbook: one `stellar contract invoke` per item, played
by bench/soroban_runbook.py). Slow methods beyond --full-max items are extrapolated, and every
extrapolated figure says how (see `--help`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.generate import BenchEnv, put_live, write_env
from bench.measure import ProcessFailed, Row, Run, cast_loop, command_run, median_row, timed
from bench.report import describe_machine, targets, write_all
from tests.soroban import start_emulator
from tests.support.anvil import EVM_TOOLS, start_anvil
from tests.support.contracts import deploy_tempovault
from tests.support.rpc_proxy import RpcProxy

ROOT = Path(__file__).resolve().parents[1]
# The native binary the npm package @foundry-rs/cast ships (the `.bin/cast` node wrapper around it would add
# ~130 ms of node start-up per call, which would flatter tempoctl).
CAST = EVM_TOOLS / "node_modules" / "@foundry-rs" / "cast-linux-amd64" / "bin" / "cast"
CHAINS = ("anvil", "soroban")
ANVIL = EVM_TOOLS / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10,100,1000,5000,10000", help="managed items per environment (comma-separated)")
    ap.add_argument("--chains", default="anvil,soroban",
                    help="which sides to run: anvil (TempoVault, vs a `cast call` loop) and/or soroban (Teye on the "
                         "Soroban RPC emulator, vs a `stellar contract invoke` loop)")
    ap.add_argument("--reps", type=int, default=5, help="runs per figure; the median is reported")
    ap.add_argument("--latency-ms", type=float, default=50, help="added by the proxy to every round trip")
    ap.add_argument("--full-max", type=int, default=100,
                    help="largest size at which the unbatched plan and the runbook loops run in full; above it the "
                         "unbatched plan runs at 0 ms and adds latency × its counted round trips, and the runbook "
                         "loops run a sample of --cast-sample items and scale per item")
    ap.add_argument("--cast-sample", type=int, default=50, help="sample size of the runbook loops (cast and invoke)")
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
    chains = [c.strip() for c in a.chains.split(",") if c.strip()]
    unknown = set(chains) - set(CHAINS)
    if unknown:
        raise SystemExit(f"unknown chain(s) {', '.join(sorted(unknown))}; choose from {', '.join(CHAINS)}")
    tempoctl = _tempoctl()
    cast = str(CAST if CAST.exists() else shutil.which("cast") or "cast")
    machine = describe_machine({"anvil": str(ANVIL), "cast": cast} if "anvil" in chains else {})
    if "soroban" in chains:
        machine["tools"]["stellar-sdk"] = f"stellar-sdk {version('stellar-sdk')} (Soroban RPC emulator: tests/soroban)"
    m = Measurer(a, tempoctl, [], {}, [])
    with tempfile.TemporaryDirectory(prefix="tempoctl-bench-") as tmp:
        if "anvil" in chains:
            _anvil(m, sizes, Path(tmp), cast)
        if "soroban" in chains:
            _soroban(m, sizes, Path(tmp))
    machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    data = {
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "config": {"sizes": sizes, "chains": chains, "reps": a.reps, "latency_ms": a.latency_ms,
                   "full_max": a.full_max, "cast_sample": a.cast_sample, "cast": cast},
        "rows": [r.to_dict() for r in m.rows],
        "startup": m.startup,
        "model_check": m.model_check,
        "targets": targets(m.rows, m.startup, a.latency_ms),
    }
    write_all(data, a.out, ROOT / "README.md" if a.update_readme else None)
    say(f"wrote {a.out}/results.md, results.json" + (", chart.png" if (a.out / "chart.png").exists() else ""))
    print((a.out / "results.md").read_text())
    return 0


def say(msg: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {msg}", flush=True)


@dataclass
class Measurer:
    """What every side of the benchmark shares: the options, the tempoctl command, and where figures go."""

    a: argparse.Namespace
    tempoctl: list[str]
    rows: list[Row]
    startup: dict[str, dict[str, list[float]]]
    model_check: list[dict[str, Any]]

    def plans(self, proxy: RpcProxy, folder: Path, env: dict[str, str], n: int, chain: str) -> None:
        """`tempoctl plan` (median of --reps) and `plan --no-batch` of one converged environment."""
        plan = [*self.tempoctl, "plan", str(folder), "--detailed-exitcode"]
        say(f"{chain}, {n:,} items: tempoctl plan × {self.a.reps}")
        runs = [command_run(proxy, plan, env, _empty_plan) for _ in range(self.a.reps)]
        self.rows.append(median_row("plan", n, runs, chain=chain))
        self.rows.append(self.unbatched(proxy, [*plan, "--no-batch"], env, n, chain))

    def unbatched(self, proxy: RpcProxy, argv: list[str], env: dict[str, str], n: int, chain: str) -> Row:
        """Measured in full up to --full-max; beyond, run with no added latency and add latency × round trips
        (every unbatched request waits for the one before, so the latency adds up exactly)."""
        a = self.a
        lat = a.latency_ms / 1000
        if n > a.full_max:
            say(f"{chain}, {n:,} items: plan --no-batch × {a.reps} at 0 ms (+ latency × round trips)")
        proxy.latency_ms = 0
        try:
            zero = [command_run(proxy, argv, env, _empty_plan) for _ in range(a.reps if n > a.full_max else 1)]
        finally:
            proxy.latency_ms = a.latency_ms
        t0 = statistics.median(r.wall_s for r in zero)
        if n > a.full_max:
            runs = [Run(r.wall_s + r.round_trips * lat, r.round_trips, r.peak_rss_mb, r.cpu_s) for r in zero]
            return median_row("plan --no-batch", n, runs, chain=chain, how=(
                f"extrapolated: run at 0 ms added latency, plus {a.latency_ms:g} ms × its counted round trips "
                "(requests are sequential, so this is what the proxy would add)"))
        say(f"{chain}, {n:,} items: plan --no-batch × {a.reps}")
        row = median_row("plan --no-batch", n, [command_run(proxy, argv, env, _empty_plan) for _ in range(a.reps)],
                         chain=chain)
        self.model_check.append({"chain": chain, "size": n, "measured_s": row.wall_s,
                                 "model_s": t0 + zero[0].round_trips * lat})
        return row

    def runbook(self, method: str, chain: str, items: list[Any], loop: Callable[[list[Any]], Run],
                halves: str, per_call: str) -> Row:
        """The runbook's one-check-per-item loop: in full up to --full-max, beyond over an evenly spread sample
        of --cast-sample items, scaled per item."""
        a, n = self.a, len(items)
        if n <= a.full_max:
            say(f"{chain}, {n:,} items: {method} × {a.reps}")
            return median_row(method, n, [loop(items) for _ in range(a.reps)], chain=chain)
        sample = _sample(items, a.cast_sample)
        k = len(sample)
        say(f"{chain}, {n:,} items: {method} over a {k}-item sample × {a.reps}")
        runs = [loop(sample) for _ in range(a.reps)]
        scaled = [Run(r.wall_s * n / k, round(r.round_trips * n / k), r.peak_rss_mb, r.cpu_s * n / k) for r in runs]
        return median_row(method, n, scaled, chain=chain, how=(
            f"extrapolated: {a.reps} runs over an evenly spread {k}-item sample ({halves}), "
            f"scaled per item to the full size ({per_call})"))


def _anvil(m: Measurer, sizes: list[int], tmp: Path, cast: str) -> None:
    """TempoVault on anvil: role memberships and circuit breakers, vs one `cast call` per item."""
    a = m.a
    with start_anvil(42431, extra=["--gas-limit", "300000000"]) as node:
        say(f"anvil at {node.url}; deploying TempoVault and making {sum(sizes):,} items live")
        d = deploy_tempovault(node.url, chain_id=42431)
        put_live(d, sizes)
        envs: dict[int, BenchEnv] = {n: write_env(tmp / "state", d, n) for n in sizes}
        with RpcProxy(node.url, latency_ms=a.latency_ms) as proxy:
            env = dict(os.environ, BENCH_RPC=proxy.url, TEMPOCTL_CRASH_DIR=str(tmp / "crash"))
            m.startup["--help"] = _startup([*m.tempoctl, "--help"], env, a.reps)
            for n in sizes:
                m.startup[f"validate {n}"] = _startup([*m.tempoctl, "validate", str(envs[n].folder)], env, a.reps)
            for n in sizes:
                m.plans(proxy, envs[n].folder, env, n, "anvil")
                m.rows.append(m.runbook("cast loop", "anvil", envs[n].items,
                                        lambda items: cast_loop(proxy, cast, items),
                                        "half roles, half breakers", "each `cast call` is independent of the others"))


def _soroban(m: Measurer, sizes: list[int], tmp: Path) -> None:
    """Teye vision_records on the Soroban RPC emulator: whitelist members and admin tiers, vs one
    `stellar contract invoke -- is_whitelisted …` per item (bench/soroban_runbook.py sends what it sends)."""
    from bench import soroban

    with start_emulator(soroban.PASSPHRASE) as emu:
        say(f"Soroban emulator at {emu.url}; deploying vision_records and making {sum(sizes):,} items live")
        cids = soroban.put_live(emu, sizes)
        envs = {n: soroban.write_env(tmp / "state", cids[n], n) for n in sizes}
        with RpcProxy(emu.url, latency_ms=m.a.latency_ms) as proxy:
            env = dict(os.environ, BENCH_SOROBAN_RPC=proxy.url, TEMPOCTL_CRASH_DIR=str(tmp / "crash"))
            for n in sizes:
                m.startup[f"validate soroban {n}"] = _startup([*m.tempoctl, "validate", str(envs[n].folder)], env,
                                                              m.a.reps)
            for n in sizes:
                e = envs[n]
                m.plans(proxy, e.folder, env, n, "soroban")
                m.rows.append(m.runbook("invoke loop", "soroban", e.items,
                                        functools.partial(soroban.runbook_loop, proxy, e),
                                        "half whitelist members, half admin tiers",
                                        "each item's check is independent of the others"))


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


if __name__ == "__main__":
    sys.exit(main())
