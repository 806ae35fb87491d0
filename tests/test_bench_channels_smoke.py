"""The channel benchmark (`python -m bench.channels`) at a tiny size: it runs two real applies on the emulator and
writes its figures. Not a timed test: only the ledger counts' shape is checked (channels spread the changes over
ledgers, one account needs a ledger per change)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_channel_benchmark_runs_small_and_writes_its_figures(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "bench.channels", "--items", "6", "--channels", "3", "--ledger", "0.3",
                        "--single-ledger", "0.1", "--single-items", "3", "--out", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode in (0, 1), r.stdout[-2000:] + r.stderr[-2000:]  # 1: the 200-item target is not met at 6
    data = json.loads((tmp_path / "channels.json").read_text())
    chan, single = data["channels"], data["one_account"]
    assert chan["items"] == 6 and chan["max_tx_in_one_ledger"] >= 2 and chan["ledgers_spanned"] <= 4
    assert single["ledgers_spanned"] >= 6 and single["how"].startswith("measured on 3 items")
    assert "| with channels | 6 | 3 |" in (tmp_path / "channels.md").read_text()
