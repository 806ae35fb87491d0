"""`python -m bench.hostile_yaml`: how fast and how small `tempoctl validate` refuses hostile YAML (DESIGN §8,
§10), next to a 10,000-item environment it must still accept.

Each case runs `tempoctl validate` in a fresh process through bench/rss.py (wall time, CPU time, peak RSS of
the command alone), `--reps` times; the median goes to bench/results/hostile_yaml.{md,json}. Not a timed test:
tests/test_hostile_yaml.py checks the refusal itself under a 100 MB address-space limit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.test_hostile_yaml import alias_bomb

ROOT = Path(__file__).resolve().parents[1]
RSS = ROOT / "bench" / "rss.py"


def _cases(tmp: Path) -> dict[str, tuple[Path, dict[str, str]]]:
    from bench.generate import write_env
    from tests.support.anvil import DEV_ADDRESSES as A
    from tests.support.contracts import TempoVaultDeployment

    out: dict[str, tuple[Path, dict[str, str]]] = {}
    for depth in (5, 6):
        folder = tmp / f"bomb-{depth}"
        folder.mkdir()
        (folder / "environment.yaml").write_text(alias_bomb(depth))
        size = (folder / "environment.yaml").stat().st_size
        out[f"alias bomb, depth {depth} ({size} bytes, {9 ** (depth + 1):,} leaves)"] = (folder, {})
    deep = tmp / "deep"
    deep.mkdir()
    (deep / "environment.yaml").write_text("environment: deep\nx: " + "[" * 100_000 + "]" * 100_000 + "\n")
    out["nesting 100,000 levels deep (200 KB)"] = (deep, {})
    wide = tmp / "wide"
    wide.mkdir()
    keys, size, parts = 0, 0, ["environment: wide\nx:\n"]
    while size < 4 * 1024 * 1024 - 64:
        parts.append(f"  k{keys}: {keys}\n")
        size += len(parts[-1])
        keys += 1
    (wide / "environment.yaml").write_text("".join(parts))
    out[f"{keys:,} keys in 4 MiB (the size bound; refused at 200,000 values)"] = (wide, {})
    d = TempoVaultDeployment("http://127.0.0.1:1", 31337, A[0], A[7], A[8], A[9], A[6], A[5], 0)  # type: ignore[arg-type]
    env = write_env(tmp / "state", d, 10_000)
    size = sum(p.stat().st_size for p in env.folder.glob("*.yaml"))
    out[f"10,000-item environment ({size / 1e6:.1f} MB, accepted)"] = (env.folder, {"BENCH_RPC": "http://127.0.0.1:1"})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.hostile_yaml", description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    a = ap.parse_args(argv)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for label, (folder, env) in _cases(tmp).items():
            runs = []
            for i in range(a.reps):
                stats = tmp / f"stats-{i}.json"
                r = subprocess.run([sys.executable, str(RSS), str(stats), sys.executable, "-m", "tempoctl",
                                    "validate", str(folder)], cwd=tmp, capture_output=True, text=True,
                                   env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env}, check=False)
                runs.append({**json.loads(stats.read_text()), "exit": r.returncode,
                             "first_line": (r.stderr or r.stdout).splitlines()[0][:160]})
            rows.append({"case": label, "exit": runs[0]["exit"], "first_line": runs[0]["first_line"],
                         **{k: statistics.median(float(str(x[k])) for x in runs)
                            for k in ("wall_s", "cpu_s", "peak_rss_mb")}})
    a.out.mkdir(parents=True, exist_ok=True)
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    (a.out / "hostile_yaml.json").write_text(json.dumps({"run_at": when, "reps": a.reps, "rows": rows}, indent=2))
    lines = [f"`tempoctl validate` on hostile YAML (median of {a.reps} runs, {when}; bench/hostile_yaml.py)", "",
             "| case | exit | wall time | CPU time | peak RSS | first line of output |", "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['exit']} | {float(str(r['wall_s'])):.2f} s | {float(str(r['cpu_s'])):.2f} s"
                     f" | {float(str(r['peak_rss_mb'])):.0f} MB | `{str(r['first_line']).replace('|', '/')}` |")
    (a.out / "hostile_yaml.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
