"""`python -m bench.apply_grants --smoke`: the apply benchmark at size 10, end to end (anvil mining a block a
second behind the latency proxy, tempoctl apply vs a `cast send` loop), writing its JSON and table. Not a
timed test: counts, the exactly-once check the benchmark makes itself, and the shape of the output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_apply_benchmark_smoke_size_writes_its_results(tmp_path: Path) -> None:
    out = tmp_path / "results"
    r = subprocess.run([sys.executable, "-m", "bench.apply_grants", "--smoke", "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    data = json.loads((out / "apply_grants.json").read_text())
    assert data["config"]["sizes"] == [10] and data["config"]["block_gas_limit"] > 0
    [row] = data["rows"]
    t, cast = row["tempoctl"], row["cast_loop"]
    assert row["size"] == 10 and t["wall_s"] > 0 and t["blocks"] >= 1
    # Batched: the requests do not grow with the grants (plan, rebuild, pre-send batch, one send per block,
    # receipt polls, re-plan); the runbook pays several requests per grant, one block each.
    by_method = t["samples"][0]["by_method"]
    assert by_method["eth_sendRawTransaction"] == 10 and t["requests"] < 40
    assert cast["requests"] >= 3 * 10 and cast["blocks"] == 10
    assert cast["how"].startswith("extrapolated") and "3-grant" in cast["how"]
    table = (out / "apply_grants.md").read_text()
    assert "| grants | tempoctl wall | requests | blocks |" in table and " cores, " in table
