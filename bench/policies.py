"""`python -m bench.policies`: what evaluating the shipped policies (policies/*.rego, regorus via opa-eval)
adds to a plan, by plan size. The plans are an oracle rotation from the planner table cases, widened to N
role revocations (the worst case for the revocation rule, which lists every one); each size is judged
`--reps` times in this process and the median goes to bench/results/policies.{md,json}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(sizes: list[int], reps: int) -> list[dict[str, float | int]]:
    from tests.policies.support import PRODUCTION, evm_plan, judge

    with tempfile.TemporaryDirectory() as tmp:
        env, plan = evm_plan(Path(tmp), "oracle/rotation_fund_grant_revoke", PRODUCTION)
    revoke = plan["changes"][2]
    rows: list[dict[str, float | int]] = []
    for n in sizes:
        changes = [dict(revoke, address=f"governance.role.STRATEGIST[0x{i:040x}]") for i in range(n)]
        doc = dict(plan, changes=changes)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            findings = judge(env, doc)
            times.append(time.perf_counter() - t0)
        rows.append({"changes": n, "seconds": round(statistics.median(times), 4), "findings": len(findings),
                     "input_bytes": len(json.dumps(doc))})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = ap.parse_args(argv)
    rows = measure([int(s) for s in args.sizes.split(",")], args.reps)
    files = len(list((ROOT / "policies").glob("*.rego")))
    lines = [f"# Policy evaluation cost ({files} shipped policies, regorus via opa-eval)", "",
             (f"Measured {dt.date.today().isoformat()}, median of {args.reps}; each policy file is evaluated for "
             "`deny` and `warn` separately, so the plan document is handed to the engine twice per file."), "",
             "| changes in the plan | input JSON | seconds | findings |", "|--:|--:|--:|--:|"]
    lines += [f"| {r['changes']:,} | {int(r['input_bytes']) // 1024:,} KiB | {r['seconds']:.3f} | {r['findings']} |"
              for r in rows]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "policies.md").write_text("\n".join(lines) + "\n")
    (args.out / "policies.json").write_text(json.dumps(rows, indent=2) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
