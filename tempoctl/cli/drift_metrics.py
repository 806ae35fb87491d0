"""`drift --prometheus FILE`: collect each environment's drift check and write the metrics file atomically.

node_exporter's textfile collector reads every `*.prom` file in its directory; a half-written file would be
read as garbage, so the file is replaced in one rename (`tempoctl.atomic`). A failed check still writes the
file, with `tempoctl_drift_check_success 0` for that environment, before the error is reported.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from tempoctl.atomic import write_atomic

PROMETHEUS = click.option(
    "--prometheus", "prometheus", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
    help="Also write Prometheus metrics (textfile-collector format) to FILE, atomically.")


class DriftMetrics:
    """Collects the checks of one `drift` run; `write()` renders them into the file (no-op without a path)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.checks: list[Any] = []

    def ok(self, env: Any, plan: dict[str, Any], obs: Any) -> None:
        if self.path is None:
            return
        from tempoctl.plan.metrics import DriftCheck

        self.checks.append(DriftCheck(env.name, time.time(), plan, obs.observed.values, obs.observed.facts,
                                      tuple(env.state.backups)))

    def failed(self, spec: str) -> None:
        if self.path is None:
            return
        from tempoctl.plan.metrics import DriftCheck

        self.checks.append(DriftCheck(Path(spec).name, time.time()))

    def write(self) -> None:
        if self.path is None:
            return
        from tempoctl.plan.metrics import render_metrics

        # 0644: the collector usually runs as another user; the file holds no secret (see plan.metrics).
        write_atomic(self.path, render_metrics(self.checks), mode=0o644)
