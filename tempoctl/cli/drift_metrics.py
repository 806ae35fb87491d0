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

    def begin(self) -> None:
        """Start one environment's check: the RPC request counts from here on are its own."""
        if self.path is not None:
            from tempoctl.observed import rpchealth

            rpchealth.reset()

    @staticmethod
    def _rpc(env: Any) -> list[Any]:
        from tempoctl.observed.rpchealth import network_health

        return network_health(dict(env.state.networks))

    def ok(self, env: Any, plan: dict[str, Any], obs: Any) -> None:
        if self.path is None:
            return
        from tempoctl.plan.metrics import DriftCheck

        self.checks.append(DriftCheck(env.name, time.time(), plan, obs.observed.values, obs.observed.facts,
                                      tuple(env.state.backups), self._rpc(env)))

    def failed(self, spec: str, env: Any = None) -> None:
        """A check that failed; with the loaded `env`, its networks are still probed (a down RPC is a likely
        reason, and RPCDown must fire exactly then)."""
        if self.path is None:
            return
        from tempoctl.plan.metrics import DriftCheck

        name = env.name if env is not None else Path(spec).name
        self.checks.append(DriftCheck(name, time.time(), rpc=self._rpc(env) if env is not None else ()))

    def write(self) -> None:
        if self.path is None:
            return
        from tempoctl.plan.metrics import render_metrics

        # 0644: the collector usually runs as another user; the file holds no secret (see plan.metrics).
        write_atomic(self.path, render_metrics(self.checks), mode=0o644)
