"""Benchmark results as JSON, a Markdown table, a PNG chart, and the README section between its markers."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

from bench.measure import Row

METHODS = {
    "plan": "`tempoctl plan`",
    "plan --no-batch": "`tempoctl plan --no-batch`",
    "cast loop": "one `cast call` per item",
}
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


def _row(rows: list[Row], method: str, size: int) -> Row | None:
    return next((r for r in rows if r.method == method and r.size == size), None)


def targets(rows: list[Row], startup: dict[str, dict[str, list[float]]], latency_ms: float) -> list[dict[str, Any]]:
    """DESIGN §10 / issue 6 targets, each with the measured figure and whether it holds."""
    out: list[dict[str, Any]] = []

    def check(name: str, value: float | None, limit: float, *, below: bool = True, unit: str = "") -> None:
        if value is None:
            return
        ok = value <= limit if below else value >= limit
        out.append({"target": name, "value": round(value, 3), "unit": unit, "ok": ok})

    p1, p5 = _row(rows, "plan", 1000), _row(rows, "plan", 5000)
    u1, c1 = _row(rows, "plan --no-batch", 1000), _row(rows, "cast loop", 1000)
    check("1,000 items: plan wall time ≤ 1.5 s", p1.wall_s if p1 else None, 1.5, unit="s")
    check("1,000 items: ≤ 12 round trips", p1.round_trips if p1 else None, 12)
    check("5,000 items: plan wall time ≤ 4 s", p5.wall_s if p5 else None, 4.0, unit="s")
    # On a shared machine the wall time includes waiting for a CPU; CPU time plus the injected latency is
    # what the same run costs on an idle machine (a lower bound: it leaves out anvil's own work).
    lat = latency_ms / 1000
    check("1,000 items, idle-machine estimate (CPU + latency × round trips) ≤ 1.5 s",
          p1.cpu_s + lat * p1.round_trips if p1 else None, 1.5, unit="s")
    check("5,000 items, idle-machine estimate (CPU + latency × round trips) ≤ 4 s",
          p5.cpu_s + lat * p5.round_trips if p5 else None, 4.0, unit="s")
    check("5,000 items: peak RSS < 300 MB", p5.peak_rss_mb if p5 else None, 300, unit="MB")
    check("1,000 items: ≥ 50× faster than the cast loop", c1.wall_s / p1.wall_s if (p1 and c1) else None, 50,
          below=False, unit="×")
    check("1,000 items: ≥ 5× faster than unbatched", u1.wall_s / p1.wall_s if (p1 and u1) else None, 5,
          below=False, unit="×")
    if startup.get("--help"):
        check("`tempoctl --help` < 0.3 s", _median(startup["--help"]["wall_s"]), 0.3, unit="s")
    for key in sorted((k for k in startup if k.startswith("validate ")), key=lambda k: int(k.split()[1])):
        check(f"`tempoctl validate` ({int(key.split()[1]):,} items) < 0.3 s", _median(startup[key]["wall_s"]), 0.3,
              unit="s")
        check(f"`tempoctl validate` ({int(key.split()[1]):,} items), CPU time < 0.3 s",
              _median(startup[key]["cpu_s"]), 0.3, unit="s")
    return out


def _median(xs: list[float]) -> float:
    import statistics

    return statistics.median(xs)


def markdown(data: dict[str, Any], chart: str | None) -> str:
    m, cfg = data["machine"], data["config"]
    rows = [Row(**{k: v for k, v in r.items()}) for r in data["rows"]]
    sizes = sorted({r.size for r in rows})
    lines = [
        (f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}, {m['os']}; "
        f"{', '.join(f'{k} {v}' for k, v in m['tools'].items())}. Load average at start: "
        f"{', '.join(str(x) for x in m['load_average_at_start'])}, at end: "
        f"{', '.join(str(x) for x in m.get('load_average_at_end', []))}. Run at {data['created_at']}."),
        "",
        (f"Every request crosses `tests/support/rpc_proxy.py` adding {cfg['latency_ms']:g} ms; figures are the "
        f"median of {cfg['reps']} runs; round trips are HTTP requests counted by the proxy; peak RSS is the "
        "largest resident set of one process (taken by `bench/rss.py`); CPU time is user + system time of the process(es), "
        "which, unlike wall time, load from other work on the machine does not inflate. The environment is converged (the plan is empty): "
        "half the items are role memberships, half tripped circuit breakers."),
        "",
        "| items | method | wall time | CPU time | round trips | peak RSS | vs `plan` |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    notes: list[str] = []
    for n in sizes:
        base = _row(rows, "plan", n)
        for method, label in METHODS.items():
            r = _row(rows, method, n)
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
    checks = data.get("model_check") or []
    if checks:
        ratios = ", ".join(f"{c['model_s'] / c['measured_s']:.2f} at {c['size']:,} items" for c in checks)
        lines.append(f"Check of the unbatched model where both were run: model ÷ measured = {ratios}.")
    if notes or checks:
        lines.append("")
    startup = data["startup"]
    if startup:
        lines.append("| command (no chain reads) | wall time | CPU time |")
        lines.append("|---|---:|---:|")
        for k, v in startup.items():
            what = f"`tempoctl validate` ({int(k.split()[1]):,} items)" if k.startswith("validate") else f"`tempoctl {k}`"
            lines.append(f"| {what} | {_median(v['wall_s']):.2f} s | {_median(v['cpu_s']):.2f} s |")
        lines.append("")
    lines += ["| target | measured | met |", "|---|---:|:---:|"]
    for t in data["targets"]:
        lines.append(f"| {t['target']} | {t['value']:,}{(' ' + t['unit']) if t['unit'] else ''} | "
                     f"{'yes' if t['ok'] else '**no**'} |")
    if chart:
        lines += ["", f"![benchmark chart]({chart})"]
    return "\n".join(lines) + "\n"


def write_chart(data: dict[str, Any], path: Path) -> bool:
    """A two-panel PNG (wall time, round trips; log scale); False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = [Row(**r) for r in data["rows"]]
    sizes = sorted({r.size for r in rows})
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.8 / len(METHODS)
    colours = {"plan": "#2b7bba", "plan --no-batch": "#f0a202", "cast loop": "#c0392b"}
    for ax, attr, title in ((axes[0], "wall_s", "wall time (s)"), (axes[1], "round_trips", "RPC round trips")):
        for i, method in enumerate(METHODS):
            xs, ys, hatches = [], [], []
            for j, n in enumerate(sizes):
                r = _row(rows, method, n)
                if r is not None:
                    xs.append(j + (i - (len(METHODS) - 1) / 2) * width)
                    ys.append(max(getattr(r, attr), 1e-3))
                    hatches.append("//" if r.how != "measured" else "")
            bars = ax.bar(xs, ys, width, label=method, color=colours[method])
            for bar, hatch in zip(bars, hatches):
                bar.set_hatch(hatch)
        ax.set_yscale("log")
        ax.set_xticks(range(len(sizes)), [f"{n:,}" for n in sizes])
        ax.set_xlabel("managed items")
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"tempoctl plan vs unbatched vs cast loop, {data['config']['latency_ms']:g} ms per round trip "
                 "(hatched: extrapolated)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_all(data: dict[str, Any], out: Path, readme: Path | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(data, indent=2) + "\n")
    has_chart = write_chart(data, out / "chart.png")
    (out / "results.md").write_text(markdown(data, "chart.png" if has_chart else None))
    if readme is not None:
        rel = os.path.relpath(out / "chart.png", readme.parent) if has_chart else None
        section = f"{README_BEGIN}\n{markdown(data, rel)}{README_END}"
        text = readme.read_text()
        pattern = re.compile(re.escape(README_BEGIN) + ".*?" + re.escape(README_END), re.DOTALL)
        readme.write_text(pattern.sub(lambda _: section, text) if pattern.search(text) else text + "\n" + section + "\n")
