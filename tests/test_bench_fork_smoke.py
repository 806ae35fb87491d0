"""The `plan --fork` benchmark (`python -m bench.fork`) at a tiny size: real `tempoctl plan` processes with and
without `--fork` on anvil; only the shape of the figures is checked, never a time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_fork_benchmark_runs_small_and_writes_its_figures(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "bench.fork", "--sizes", "4", "--repeat", "1", "--out", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    [row] = json.loads((tmp_path / "fork.json").read_text())["rows"]
    assert row["steps"] == 5 and row["fork_statuses"] == {"ok": 5}
    assert row["skipped_without_fork"] == 2 and row["after_changes"] == 0  # the breakers wait for RISK_OFFICER
    assert row["plan_fork_s"] > 0 and row["fork_inner_s"] > 0
    assert "| 5 |" in (tmp_path / "fork.md").read_text()
