"""The committed benchmark results agree with each other (issue 15): the chart (bench/results/chart.png) was
drawn from the figures of results.json — it carries their digest in a PNG text chunk — and results.md and the
README's benchmark section come from the same run. A chart left over from an earlier run fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.report import CHART_KEY, README_BEGIN, README_END, chart_digest, png_text

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def test_the_chart_draws_the_figures_of_the_table() -> None:
    data = json.loads((RESULTS / "results.json").read_text())
    digest = chart_digest(data)
    assert data["chart_data_sha256"] == digest
    assert png_text(RESULTS / "chart.png").get(CHART_KEY) == digest
    table = (RESULTS / "results.md").read_text()
    assert f"Run at {data['created_at']}." in table and digest in table


def test_the_readme_shows_the_same_run() -> None:
    data = json.loads((RESULTS / "results.json").read_text())
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index(README_BEGIN):readme.index(README_END)]
    assert f"Run at {data['created_at']}." in section
    assert data["chart_data_sha256"] in section
    assert re.search(r"!\[benchmark chart\]\(bench/results/chart\.png\)", section)
    # Every figure of the table is the README's too: the section is the table, with the chart's path.
    table = (RESULTS / "results.md").read_text()
    assert section[len(README_BEGIN):].strip() == table.replace("(chart.png)", "(bench/results/chart.png)").strip()


def test_a_chart_from_another_run_is_told_apart(tmp_path: Path) -> None:
    """The check can fail: one figure changed (or another run's time) gives another digest."""
    data = json.loads((RESULTS / "results.json").read_text())
    other = json.loads(json.dumps(data))
    other["rows"][0]["wall_s"] += 0.01
    assert chart_digest(other) != chart_digest(data)
    other = dict(data, created_at="2000-01-01T00:00:00+00:00")
    assert chart_digest(other) != chart_digest(data)
    not_png = tmp_path / "x.png"
    not_png.write_bytes(b"GIF89a")
    with pytest.raises(ValueError):
        png_text(not_png)
