"""Benchmark results as JSON, a Markdown table, a PNG chart, and the README section between its markers."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import struct
import subprocess
from pathlib import Path
from typing import Any

from bench.measure import Row

METHODS = {
    "anvil": {
        "plan": "`tempoctl plan`",
        "plan --no-batch": "`tempoctl plan --no-batch`",
        "cast loop": "one `cast call` per item",
    },
    "soroban": {
        "plan": "`tempoctl plan`",
        "plan --no-batch": "`tempoctl plan --no-batch`",
        "invoke loop": "`stellar contract invoke` per item (stand-in: its 2 requests)",
    },
}
CHAIN_NAMES = {"anvil": "anvil", "soroban": "Soroban", "—": "—"}
RUNBOOK = {"anvil": "cast loop", "soroban": "invoke loop"}
LEGEND = {"plan": "tempoctl plan", "plan --no-batch": "tempoctl plan --no-batch", "cast loop": "cast call loop",
          "invoke loop": "stellar contract invoke loop (stand-in)"}
RUNBOOK_NAME = {"anvil": "the cast loop", "soroban": "the `stellar contract invoke` loop (stand-in)"}
TITLES = {
    "anvil": ("TempoVault on anvil", ("half the items are role memberships, half tripped circuit breakers; "
              "the runbook checks each with one `cast call`.")),
    "soroban": ("Teye vision_records on the Soroban RPC emulator (tests/soroban)",
                ("half the items are whitelist members, half admin tiers of one vision_records contract per size; "
                "tempoctl reads them with `getLedgerEntries` (200 keys per request; one key per request with "
                "`--no-batch`).")),
}
SOROBAN_RUNBOOK_NOTE = (
    "The runbook checks each item with `stellar contract invoke --id C… --source-account … -- is_whitelisted "
    "--user G…` (or `-- get_admin_tier --admin G…`). For a read-only call the CLI reads the contract instance "
    "(one `getLedgerEntries`, to find the wasm hash of the spec it has cached) and sends one "
    "`simulateTransaction`, printing the result without sending a transaction (stellar-cli "
    "`commands/contract/invoke.rs`). The `stellar` CLI is not installable here (it is on neither npm nor PyPI), "
    "so the row is its stand-in, `bench/soroban_runbook.py`: those two requests per item, one item after "
    "another, through the unmodified stellar-sdk in one process; wall and CPU time are the loop's own "
    "(interpreter and stellar-sdk start-up are not charged). The real CLI also starts a process per call, so "
    "this row is a lower bound on the runbook's cost.")
PLAN_10K_S = {"anvil": 3.0, "soroban": 6.0}  # issue 15: 10,000 items planned
README_BEGIN, README_END = "<!-- bench:begin -->", "<!-- bench:end -->"


def describe_machine(tools: dict[str, str]) -> dict[str, Any]:
    cpu = "unknown"
    ram_gb = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    versions = {}
    for name, path in tools.items():
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
            versions[name] = out.strip().splitlines()[0] if out.strip() else "?"
        except OSError:
            versions[name] = "?"
    return {
        "cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(ram_gb, 1), "python": platform.python_version(),
        "os": platform.platform(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "tools": versions,
    }


def _row(rows: list[Row], method: str, size: int, chain: str = "anvil") -> Row | None:
    return next((r for r in rows if r.method == method and r.size == size and r.chain == chain), None)


def _chains(rows: list[Row]) -> list[str]:
    return [c for c in METHODS if any(r.chain == c for r in rows)]


def targets(rows: list[Row], startup: dict[str, dict[str, list[float]]], latency_ms: float) -> list[dict[str, Any]]:
    """DESIGN §10 / issue 6 targets per chain, each with the measured figure and whether it holds."""
    out: list[dict[str, Any]] = []

    def check(chain: str, name: str, value: float | None, limit: float, *, below: bool = True, unit: str = "") -> None:
        if value is None:
            return
        ok = value <= limit if below else value >= limit
        out.append({"target": name, "chain": chain, "value": round(value, 3), "unit": unit, "ok": ok})

    for chain in _chains(rows):
        p1, p5 = _row(rows, "plan", 1000, chain), _row(rows, "plan", 5000, chain)
        u1, c1 = _row(rows, "plan --no-batch", 1000, chain), _row(rows, RUNBOOK[chain], 1000, chain)
        check(chain, "1,000 items: plan wall time ≤ 1.5 s", p1.wall_s if p1 else None, 1.5, unit="s")
        check(chain, "1,000 items: ≤ 12 round trips", p1.round_trips if p1 else None, 12)
        check(chain, "5,000 items: plan wall time ≤ 4 s", p5.wall_s if p5 else None, 4.0, unit="s")
        # On a shared machine the wall time includes waiting for a CPU; CPU time plus the injected latency is
        # what the same run costs on an idle machine (a lower bound: it leaves out the RPC's own work).
        lat = latency_ms / 1000
        check(chain, "1,000 items, idle-machine estimate (CPU + latency × round trips) ≤ 1.5 s",
              p1.cpu_s + lat * p1.round_trips if p1 else None, 1.5, unit="s")
        check(chain, "5,000 items, idle-machine estimate (CPU + latency × round trips) ≤ 4 s",
              p5.cpu_s + lat * p5.round_trips if p5 else None, 4.0, unit="s")
        check(chain, "5,000 items: peak RSS < 300 MB", p5.peak_rss_mb if p5 else None, 300, unit="MB")
        p10 = _row(rows, "plan", 10000, chain)
        limit10 = PLAN_10K_S[chain]
        check(chain, f"10,000 items: plan wall time ≤ {limit10:g} s", p10.wall_s if p10 else None, limit10, unit="s")
        check(chain, f"10,000 items, idle-machine estimate (CPU + latency × round trips) ≤ {limit10:g} s",
              p10.cpu_s + latency_ms / 1000 * p10.round_trips if p10 else None, limit10, unit="s")
        check(chain, "10,000 items: peak RSS < 400 MB", p10.peak_rss_mb if p10 else None, 400, unit="MB")
        check(chain, f"1,000 items: ≥ 50× faster than {RUNBOOK_NAME[chain]}",
              c1.wall_s / p1.wall_s if (p1 and c1) else None, 50, below=False, unit="×")
        check(chain, "1,000 items: ≥ 5× faster than unbatched", u1.wall_s / p1.wall_s if (p1 and u1) else None, 5,
              below=False, unit="×")
    if startup.get("--help"):
        check("—", "`tempoctl --help` < 0.3 s", _median(startup["--help"]["wall_s"]), 0.3, unit="s")
    for key in sorted((k for k in startup if k.startswith("validate ")), key=_validate_key):
        chain, n = _validate_key(key)
        check(chain, f"`tempoctl validate` ({n:,} items) < 0.3 s", _median(startup[key]["wall_s"]), 0.3, unit="s")
        check(chain, f"`tempoctl validate` ({n:,} items), CPU time < 0.3 s", _median(startup[key]["cpu_s"]), 0.3,
              unit="s")
        if n == 5000:  # issue 15: cold (a new process, no parse cache)
            check(chain, "`tempoctl validate` (5,000 items, cold) ≤ 0.6 s", _median(startup[key]["wall_s"]), 0.6,
                  unit="s")
    return out


def _validate_key(key: str) -> tuple[str, int]:
    """`validate <n>` (anvil's environments) or `validate <chain> <n>` → (chain, n)."""
    parts = key.split()
    return (parts[1], int(parts[2])) if len(parts) == 3 else ("anvil", int(parts[1]))


def _median(xs: list[float]) -> float:
    import statistics

    return statistics.median(xs)


def markdown(data: dict[str, Any], chart: str | None) -> str:
    m, cfg = data["machine"], data["config"]
    rows = [Row(**r) for r in data["rows"]]
    lines = [
        (f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}, {m['os']}; "
        f"{', '.join(f'{k} {v}' for k, v in m['tools'].items())}. Load average at start: "
        f"{', '.join(str(x) for x in m['load_average_at_start'])}, at end: "
        f"{', '.join(str(x) for x in m.get('load_average_at_end', []))}. Run at {data['created_at']}."),
        "",
        (f"Every request crosses `tests/support/rpc_proxy.py` adding {cfg['latency_ms']:g} ms; figures are the "
        f"median of {cfg['reps']} runs; round trips are HTTP requests counted by the proxy; peak RSS is the "
        "largest resident set of one process (taken by `bench/rss.py`); CPU time is user + system time of the process(es), "
        "which, unlike wall time, load from other work on the machine does not inflate. Each environment is converged "
        "(the plan is empty)."),
        "",
    ]
    for chain in _chains(rows):
        lines += _chain_table(data, rows, chain)
    startup = data["startup"]
    if startup:
        lines.append("| command (no chain reads) | wall time | CPU time |")
        lines.append("|---|---:|---:|")
        for k, v in startup.items():
            if k.startswith("validate "):
                chain, n = _validate_key(k)
                what = f"`tempoctl validate` ({n:,} items, {CHAIN_NAMES[chain]})"
            else:
                what = f"`tempoctl {k}`"
            lines.append(f"| {what} | {_median(v['wall_s']):.2f} s | {_median(v['cpu_s']):.2f} s |")
        lines.append("")
    lines += ["| target | chain | measured | met |", "|---|---|---:|:---:|"]
    for t in data["targets"]:
        lines.append(f"| {t['target']} | {CHAIN_NAMES.get(t.get('chain', 'anvil'), '?')} | {t['value']:,}{(' ' + t['unit']) if t['unit'] else ''} | "
                     f"{'yes' if t['ok'] else '**no**'} |")
    if chart:
        lines += ["", f"![benchmark chart]({chart})", "",
                  (f"Table, JSON and chart come from this one run; the chart carries the digest of the figures it "
                  f"draws (`{data.get('chart_data_sha256', chart_digest(data))}`), checked against `results.json` "
                  "by `tests/test_bench_results.py`.")]
    return "\n".join(lines) + "\n"


def _chain_table(data: dict[str, Any], rows: list[Row], chain: str) -> list[str]:
    title, what = TITLES[chain]
    lines = [f"**{title}**: {what}", "",
             "| items | method | wall time | CPU time | round trips | peak RSS | vs `plan` |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    notes: list[str] = []
    for n in sorted({r.size for r in rows if r.chain == chain}):
        base = _row(rows, "plan", n, chain)
        for method, label in METHODS[chain].items():
            r = _row(rows, method, n, chain)
            if r is None:
                continue
            mark = ""
            if r.how != "measured":
                if r.how not in notes:
                    notes.append(r.how)
                mark = " " + "*" * (notes.index(r.how) + 1)
            ratio = f"{r.wall_s / base.wall_s:,.1f}×" if base and r is not base else "1×"
            lines.append(f"| {n:,} | {label}{mark} | {r.wall_s:,.2f} s | {r.cpu_s:,.2f} s | {r.round_trips:,} | "
                         f"{r.peak_rss_mb:,.0f} MB | {ratio} |")
    lines.append("")
    for i, note in enumerate(notes):
        lines.append(f"{'*' * (i + 1)} {note}")
    checks = [c for c in data.get("model_check") or [] if c.get("chain", "anvil") == chain]
    if checks:
        ratios = ", ".join(f"{c['model_s'] / c['measured_s']:.2f} at {c['size']:,} items" for c in checks)
        lines.append(f"Check of the unbatched model where both were run: model ÷ measured = {ratios}.")
    if chain == "soroban":
        lines.append(SOROBAN_RUNBOOK_NOTE)
    if notes or checks or chain == "soroban":
        lines.append("")
    return lines


CHART_KEY = "tempoctl-bench-data"  # the PNG text chunk holding the digest of the figures drawn


def chart_data(data: dict[str, Any]) -> list[list[Any]]:
    """Exactly the figures the chart draws, from `results.json`'s rows: (chain, method, size, wall s, round
    trips, extrapolated) — the table's rows, so a chart from another run cannot pass for this one's."""
    return sorted([r["chain"], r["method"], r["size"], round(r["wall_s"], 6), r["round_trips"],
                   r["how"] != "measured"] for r in data["rows"])


def chart_digest(data: dict[str, Any]) -> str:
    text = json.dumps({"created_at": data["created_at"], "rows": chart_data(data)}, sort_keys=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def png_text(path: Path) -> dict[str, str]:
    """The tEXt chunks of a PNG file (where matplotlib writes `savefig(metadata=…)`), without an image library."""
    blob = path.read_bytes()
    if blob[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    out: dict[str, str] = {}
    at = 8
    while at + 8 <= len(blob):
        length, kind = struct.unpack(">I4s", blob[at:at + 8])
        body = blob[at + 8:at + 8 + length]
        if kind == b"tEXt" and b"\0" in body:
            key, value = body.split(b"\0", 1)
            out[key.decode("latin-1")] = value.decode("latin-1")
        if kind == b"IEND":
            break
        at += 12 + length
    return out


def write_chart(data: dict[str, Any], path: Path) -> bool:
    """A PNG with one row of two panels (wall time, round trips; log scale) per chain; False when matplotlib
    is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = [Row(**r) for r in data["rows"]]
    chains = _chains(rows)
    fig, axes = plt.subplots(len(chains), 2, figsize=(11, 4.2 * len(chains)), squeeze=False)
    colours = ["#2b7bba", "#f0a202", "#c0392b"]
    for line, chain in zip(axes, chains):
        sizes = sorted({r.size for r in rows if r.chain == chain})
        methods = METHODS[chain]
        width = 0.8 / len(methods)
        for ax, attr, title in ((line[0], "wall_s", "wall time (s)"), (line[1], "round_trips", "RPC round trips")):
            for i, method in enumerate(methods):
                xs, ys, hatches = [], [], []
                for j, n in enumerate(sizes):
                    r = _row(rows, method, n, chain)
                    if r is not None:
                        xs.append(j + (i - (len(methods) - 1) / 2) * width)
                        ys.append(max(getattr(r, attr), 1e-3))
                        hatches.append("//" if r.how != "measured" else "")
                bars = ax.bar(xs, ys, width, label=LEGEND[method], color=colours[i % len(colours)])
                for bar, hatch in zip(bars, hatches):
                    bar.set_hatch(hatch)
            ax.set_yscale("log")
            ax.set_xticks(range(len(sizes)), [f"{n:,}" for n in sizes])
            ax.set_xlabel("managed items")
            ax.set_title(f"{TITLES[chain][0].split(' (')[0]}: {title}", fontsize=9)
            ax.grid(axis="y", alpha=0.3)
        line[0].legend(fontsize=8)
    fig.suptitle(f"tempoctl plan vs unbatched vs the runbook loop, {data['config']['latency_ms']:g} ms per round trip "
                 "(hatched: extrapolated)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata={CHART_KEY: chart_digest(data)})
    plt.close(fig)
    return True


def write_all(data: dict[str, Any], out: Path, readme: Path | None) -> None:
    """results.json, chart.png and results.md (and the README's section) from the same `data`, together: the
    chart carries the digest of its figures (`chart_digest`), which results.json records too. Without
    matplotlib an old chart is removed rather than left to disagree with the new table."""
    out.mkdir(parents=True, exist_ok=True)
    data["chart_data_sha256"] = chart_digest(data)
    (out / "results.json").write_text(json.dumps(data, indent=2) + "\n")
    has_chart = write_chart(data, out / "chart.png")
    if not has_chart:
        (out / "chart.png").unlink(missing_ok=True)
    (out / "results.md").write_text(markdown(data, "chart.png" if has_chart else None))
    if readme is not None:
        rel = os.path.relpath(out / "chart.png", readme.parent) if has_chart else None
        section = f"{README_BEGIN}\n{markdown(data, rel)}{README_END}"
        text = readme.read_text()
        pattern = re.compile(re.escape(README_BEGIN) + ".*?" + re.escape(README_END), re.DOTALL)
        readme.write_text(pattern.sub(lambda _: section, text) if pattern.search(text) else text + "\n" + section + "\n")
