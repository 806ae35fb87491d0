"""The benchmark (`make bench`) in its smallest size: it runs end to end on anvil and on the Soroban emulator
behind the latency proxy and writes its tables and JSON. Not a timed test: only counts and the shape of the
output are checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_runs_at_size_10_on_both_chains_and_writes_its_results(tmp_path: Path) -> None:
    out = tmp_path / "results"
    # --full-max 4 takes the extrapolation paths too (unbatched at 0 ms, a 4-item cast sample).
    r = subprocess.run([sys.executable, "-m", "bench", "--sizes", "10", "--reps", "1", "--latency-ms", "5",
                        "--full-max", "4", "--cast-sample", "4", "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    data = json.loads((out / "results.json").read_text())
    rows = {row["method"]: row for row in data["rows"] if row["chain"] == "anvil"}
    assert set(rows) == {"plan", "plan --no-batch", "cast loop"}
    assert all(row["size"] == 10 and row["wall_s"] > 0 and row["peak_rss_mb"] > 0 for row in rows.values())
    # The point of the benchmark: batching keeps round trips flat; the runbook pays one (or more) per item.
    assert rows["plan"]["round_trips"] < 10 < rows["plan --no-batch"]["round_trips"]
    assert rows["cast loop"]["round_trips"] >= 10
    assert rows["cast loop"]["how"].startswith("extrapolated") and rows["plan"]["how"] == "measured"
    assert {"--help", "validate 10"} <= set(data["startup"])
    # Soroban: one getLedgerEntries for all keys when batched, one per key without: the instance, ADM_LIST, the
    # 10 items and the RBAC role (ROLE_ASN) of the admin (no other tier holder's role is read);
    # the runbook's `stellar contract invoke` sends an instance read and a simulation per item.
    soroban = {row["method"]: row for row in data["rows"] if row["chain"] == "soroban"}
    assert set(soroban) == {"plan", "plan --no-batch", "invoke loop"}
    assert all(row["size"] == 10 and row["wall_s"] > 0 and row["peak_rss_mb"] > 0 for row in soroban.values())
    assert soroban["plan --no-batch"]["round_trips"] == soroban["plan"]["round_trips"] + 1 + 10 + 1
    assert soroban["invoke loop"]["round_trips"] == 2 * 10
    table = (out / "results.md").read_text()
    assert "| items | method | wall time |" in table and " cores, " in table
    assert "`tempoctl --help` < 0.3 s" in table
    assert "Soroban RPC emulator" in table and "stand-in" in table
    if (out / "chart.png").exists():  # drawn when matplotlib (the `bench` extra) is installed
        from bench.report import CHART_KEY, chart_digest, png_text

        assert png_text(out / "chart.png")[CHART_KEY] == chart_digest(data) == data["chart_data_sha256"]


def test_hosts_drift_benchmark_runs_at_smoke_size_over_real_ssh(tmp_path: Path) -> None:
    """bench/hosts_drift.py at 1 and 3 hosts: every host read over its own proxy with one login per run, the
    default (parallel) and the sequential reading both measured, the target row and the model written."""
    out = tmp_path / "results"
    r = subprocess.run([sys.executable, "-m", "bench.hosts_drift", "--smoke", "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    data = json.loads((out / "hosts_drift.json").read_text())
    rows = {(row["hosts"], row["parallelism"]): row for row in data["rows"]}
    assert set(rows) == {(1, 10), (1, 1), (3, 10), (3, 1)}
    assert all(row["connections_per_host_per_run"] == 1 and row["wall_s"] > 0 for row in rows.values())
    assert [t["target"] for t in data["targets"]] == ["3 hosts at --parallelism 10 ≤ 2× one host",
                                                      "3 hosts at --parallelism 1 ≤ 2× one host"]
    table = (out / "hosts_drift.md").read_text()
    assert "| 3 | `drift --parallelism 1 (sequential)` |" in table and " cores, " in table
