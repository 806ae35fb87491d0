"""The optional `alerts:` block of environment.yaml: what `tempoctl alerts` adds to the thresholds the state
files already declare (oracle `fresh_signal_within`, `indexer_lag.max_blocks`, backup `max_age`, breakers).

Defaults are the runbooks' numbers: TempoVault's API latency 2 s, disk 80 %, memory 85 %, oracle not updated for
5 minutes; Teye's `RPCDown` for 1m, `HighErrorRate` for 2m, `SlowRPCResponse` > 2 s for 3m.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tempoctl.desired.types import Duration

# Every alert `tempoctl alerts` can generate (tempoctl.alerts.rules), so `for.rules` keys are checked here.
ALERT_NAMES = (
    "ApiUnhealthy", "OracleNotUpdated", "IndexerStalled", "CircuitBreakerTriggered", "DatabaseConnectionFailure",
    "RPCDown", "OracleStale", "ApiSlowResponse", "IndexerLagHigh", "DiskUsageHigh", "MemoryUsageHigh",
    "HighErrorRate", "SlowRPCResponse", "DesiredStateDrift", "DriftCheckFailed", "DriftCheckStale",
    "BackupTooOld", "BackupDrillOverdue", "BackupDrillFailed",
)

_LABEL_VALUE = re.compile(r"^[A-Za-z0-9_.:/-]{1,100}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AlertFor(_Model):
    """How long a condition must hold before the alert fires (Prometheus `for:`), by severity, with optional
    overrides per alert name (e.g. `RPCDown: 1m`)."""

    critical: Duration = Field(default=60.0, description="`for:` of critical alerts (default 1m).")
    warning: Duration = Field(default=300.0, description="`for:` of warning alerts (default 5m).")
    rules: dict[str, Duration] = Field(
        default_factory=dict,
        description="`for:` by alert name, overriding the severity's (e.g. RPCDown: 2m). HighErrorRate (2m) and "
                    "SlowRPCResponse (3m) keep the Teye policy's durations unless named here.")

    @field_validator("rules")
    @classmethod
    def _known(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(ALERT_NAMES))
        if unknown:
            raise ValueError(f"unknown alert name(s) {', '.join(unknown)}; known: {', '.join(ALERT_NAMES)}")
        return v


class Alerts(_Model):
    """Settings of the generated Prometheus rules (`tempoctl alerts ENV`). Every field is optional."""

    for_: AlertFor = Field(default_factory=AlertFor, alias="for",
                           description="`for:` durations by severity and by alert name.")
    check_interval: Duration = Field(
        default=300.0, gt=0,
        description="How often `tempoctl drift --prometheus` runs (cron/timer): the drift check counts as "
        "stopped after 3 intervals without a new result, and the indexer as stalled when its block has not "
        "moved for `indexer_stalled_after`.")
    oracle_not_updated: Duration = Field(
        default=300.0, gt=0, description="Critical when no oracle signal for this long (runbook: 5 minutes).")
    indexer_stalled_after: Duration = Field(
        default=600.0, gt=0,
        description="Critical when the indexer's last block has not moved for this long while it lags. The "
                    "block is read when drift runs: keep this at least twice check_interval.")
    api_latency: Duration = Field(default=2.0, gt=0, description="Warning above this HTTP check latency (2s).")
    rpc_latency: Duration = Field(default=2.0, gt=0, description="SlowRPCResponse above this (2s).")
    rpc_error_ratio: float = Field(
        default=0.05, gt=0, le=1,
        description="HighErrorRate when more than this share of a check's RPC requests failed (0.05 = 5 %).")
    disk_percent: float = Field(default=80.0, gt=0, le=100, description="Warning above this disk use (%).")
    memory_percent: float = Field(default=85.0, gt=0, le=100, description="Warning above this memory use (%).")
    node_job: str | None = Field(
        default=None,
        description="Prometheus job of the hosts' node_exporter for the disk and memory rules; unset: no "
                    "disk/memory rules.")
    runbook_url: str | None = Field(
        default=None,
        description="Base URL of the runbooks: each alert gets `runbook_url: <base>#<alertname-lowercase>`.")

    @field_validator("node_job")
    @classmethod
    def _job(cls, v: str | None) -> str | None:
        if v is not None and not _LABEL_VALUE.match(v):
            raise ValueError("expected a job name of letters, digits and _ . : / - (it goes into a PromQL matcher)")
        return v

    @field_validator("runbook_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.match(r"^https?://[^\s@]+$", v) or any(ord(ch) < 32 for ch in v):
            raise ValueError("expected an http(s) URL without credentials or spaces")
        return v
