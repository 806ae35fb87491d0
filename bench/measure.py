"""Measuring one way of checking an environment: wall time, RPC round trips (counted by the proxy) and peak
RSS of the processes it ran (`os.wait4` gives each child's own `ru_maxrss`)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.support.rpc_proxy import RpcProxy


@dataclass
class Run:
    wall_s: float
    round_trips: int
    peak_rss_mb: float
    cpu_s: float = 0.0  # user + system time of the process(es): what contention on the machine does not inflate


@dataclass
class Row:
    """The median of several runs of one method at one size, and how it was obtained."""

    method: str
    size: int
    wall_s: float
    round_trips: int
    peak_rss_mb: float
    cpu_s: float
    runs: int
    how: str = "measured"  # or a sentence saying how the figure was extrapolated
    samples: list[dict[str, Any]] = field(default_factory=list)
    chain: str = "anvil"  # which side of the benchmark: "anvil" (TempoVault) or "soroban" (Teye)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ProcessFailed(RuntimeError):
    pass


RSS_LAUNCHER = Path(__file__).with_name("rss.py")


def timed(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float, int, str, str, float]:
    """(wall s, peak RSS MB, return code, stdout, stderr, CPU s) of one command, the figures taken by the
    small launcher bench/rss.py (see there why not from this process)."""
    with tempfile.NamedTemporaryFile(prefix="rss-", suffix=".json", delete=False) as fh:
        report = Path(fh.name)
    try:
        proc = subprocess.run([sys.executable, "-S", str(RSS_LAUNCHER), str(report), *argv], env=env,
                              capture_output=True, check=False)
        figures = json.loads(report.read_text() or "{}")
    finally:
        report.unlink(missing_ok=True)
    if "wall_s" not in figures:
        raise ProcessFailed(f"could not run {argv[0]}: {proc.stderr.decode(errors='replace')[-400:]}")
    return (figures["wall_s"], figures["peak_rss_mb"], proc.returncode, proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace"), figures["cpu_s"])


def median_row(method: str, size: int, runs: list[Run], how: str = "measured", chain: str = "anvil") -> Row:
    return Row(
        method=method, size=size,
        wall_s=statistics.median(r.wall_s for r in runs),
        round_trips=int(statistics.median(r.round_trips for r in runs)),
        peak_rss_mb=statistics.median(r.peak_rss_mb for r in runs),
        cpu_s=statistics.median(r.cpu_s for r in runs),
        runs=len(runs), how=how, samples=[asdict(r) for r in runs], chain=chain,
    )


def command_run(proxy: RpcProxy, argv: Sequence[str], env: dict[str, str], expect: Callable[[int, str], bool]) -> Run:
    """One tempoctl invocation through the proxy."""
    proxy.stats.reset()
    wall, rss, code, out, err, cpu = timed(argv, env)
    if not expect(code, out):
        raise ProcessFailed(f"{' '.join(argv[1:4])}… exited {code}:\n{out[-600:]}\n{err[-800:]}")
    return Run(wall, proxy.stats.round_trips, rss, cpu)


def cast_loop(proxy: RpcProxy, cast: str, items: Sequence[Any]) -> Run:
    """The runbook: one `cast call` per item, one after another, each answer checked to be `true`. The wall
    time is the sum of the calls' own times (the launcher's start-up is not charged to cast)."""
    proxy.stats.reset()
    env = dict(os.environ, FOUNDRY_DISABLE_NIGHTLY_WARNING="1", NO_COLOR="1")
    peak = total = cpu_total = 0.0
    for item in items:
        wall, rss, code, out, err, cpu = timed([cast, "call", "--rpc-url", proxy.url, item.to, item.sig, *item.args], env)
        if code != 0 or out.strip() != "true":
            raise ProcessFailed(f"cast call for {item.address} gave {out.strip()!r} (exit {code}): {err[-400:]}")
        peak, total, cpu_total = max(peak, rss), total + wall, cpu_total + cpu
    return Run(total, proxy.stats.round_trips, peak, cpu_total)
