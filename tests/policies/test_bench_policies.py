"""bench/policies.py still runs: one small size, one repetition, into a temp folder (not the committed results)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.policies import main


def test_bench_policies_smoke(tmp_path: Path) -> None:
    assert main(["--sizes", "10", "--reps", "1", "--out", str(tmp_path)]) == 0
    [row] = json.loads((tmp_path / "policies.json").read_text())
    assert row["changes"] == 10 and row["findings"] == 1  # 10 revocations in production: one deny
    assert "| 10 |" in (tmp_path / "policies.md").read_text()
