"""Drift results as Prometheus metrics in the node_exporter textfile-collector format (`drift --prometheus`).

Rendered from the same plan dict as the drift report plus the observed values the check read, so a metric can
never disagree with the report. Only names, kinds, counts, ages and timestamps are written: no observed value
itself, so nothing secret can reach a metric.

Series (all gauges; `environment` is on every series so one file can hold several environments):

- `tempoctl_drift_items{environment,kind}`: items that differ from the YAML, by kind (`changed`, `missing`,
  `unexpected` always present, 0 when none, so an alert on `> 0` never sees a vanished series; other kinds such
  as `unlisted_member` when present).
- `tempoctl_last_check_timestamp_seconds{environment}`: when this check ran (Unix time).
- `tempoctl_drift_check_success{environment}`: 1 when live state was read, 0 when the check failed (then no
  `drift_items` series for that environment: an unknown count is not 0).
- `tempoctl_backup_age_seconds{environment,backup}`: age of the newest good backup, from the observed value at
  `<backup>.freshness` (or the fact `backup_freshness[<backup>]`): a mapping with `age_seconds`, or with a
  timestamp under `newest_at`, `last_success`, `completed_at` or `timestamp` (Unix seconds or ISO 8601);
  the backups source (`tempoctl.observed.backups`) writes `age_seconds`, None when no verified backup exists.
- `tempoctl_oracle_signal_age_seconds{environment,pair}`: age of the newest oracle signal per pair, from the
  observed values `oracle.signal[<pair>]` (or the fact `oracle_signals[<pair>]`), same shape; `block_timestamp`
  next to a `timestamp` is used as "now" so the age is in chain time, as the contract measures staleness.
  The risk-controller profile records `oracleLastTimestamp` of each declared breaker's pair there.
- `tempoctl_backup_last_drill_timestamp_seconds{environment,backup}`: Unix time of the last *passed* restore
  drill of a backup that declares `drill:` (observed value `<backup>.drill`, `last_success_at`); 0 when it
  never passed one, so `time() - x > drill_every` fires for a backup never drilled.
- `tempoctl_backup_drill_success{environment,backup}`: 1 when the backup's last drill passed, 0 when it failed;
  absent until its first drill. Neither drill series is written when the drill record was unreadable.
Series whose source values are absent are skipped. Breakers, host checks and RPC health: `plan.metrics_health`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tempoctl.core.addrs import Attribute, attribute
from tempoctl.plan.drift import drift_items
from tempoctl.plan.metrics_health import HELP as HEALTH_HELP
from tempoctl.plan.metrics_health import check_series, contract_series, rpc_series

STANDARD_KINDS = ("changed", "missing", "unexpected")
_TIMESTAMP_KEYS = ("newest_at", "last_success", "completed_at", "timestamp")

_HELP = {
    "tempoctl_drift_items": "Items whose live state differs from the desired state, by kind.",
    "tempoctl_last_check_timestamp_seconds": "Unix time of the last drift check of the environment.",
    "tempoctl_drift_check_success": "1 when the last drift check read live state, 0 when it failed.",
    "tempoctl_backup_age_seconds": "Age of the newest good backup, in seconds.",
    "tempoctl_oracle_signal_age_seconds": "Age of the newest oracle signal of a pair, in seconds.",
    "tempoctl_backup_last_drill_timestamp_seconds": "Unix time of the last passed restore drill (0: never).",
    "tempoctl_backup_drill_success": "1 when the last restore drill of the backup passed, 0 when it failed.",
    **HEALTH_HELP,
}


@dataclass
class DriftCheck:
    """The outcome of one environment's drift check, as the metrics need it.

    `plan` is the plan document (None when the check failed), `values`/`facts` what was observed.
    """

    environment: str
    checked_at: float
    plan: dict[str, Any] | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    facts: Mapping[str, Any] = field(default_factory=dict)
    backups: Iterable[str] = ()
    rpc: Iterable[Any] = ()
    """`observed.rpchealth.RpcHealth` per declared network (also for a failed check: a down RPC is why)."""

    @property
    def ok(self) -> bool:
        return self.plan is not None


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(v: float) -> str:
    return repr(float(v)) if not float(v).is_integer() else str(int(v))


def _epoch(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            pass
        try:
            parsed = dt.datetime.fromisoformat(v)  # 3.11 reads a trailing Z
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.timestamp()
    return None


def age_seconds(evidence: Any, now: float) -> float | None:
    """Age from an observed freshness value: `age_seconds`, or `now` minus a timestamp (None if neither)."""
    if not isinstance(evidence, Mapping):
        return None
    if "age_seconds" in evidence and _epoch(evidence["age_seconds"]) is not None:
        return max(0.0, float(_epoch(evidence["age_seconds"]) or 0.0))
    for key in _TIMESTAMP_KEYS:
        ts = _epoch(evidence.get(key))
        if ts is not None:
            ref = _epoch(evidence.get("block_timestamp"))
            return max(0.0, (ref if ref is not None else now) - ts)
    return None


def _backup_ages(check: DriftCheck) -> list[tuple[str, float]]:
    facts = check.facts.get("backup_freshness") or {}
    out = []
    for name in sorted(set(check.backups) | set(facts if isinstance(facts, Mapping) else ())):
        evidence = check.values.get(attribute(name, "freshness"), facts.get(name) if isinstance(facts, Mapping) else None)
        age = age_seconds(evidence, check.checked_at)
        if age is not None:
            out.append((name, age))
    return out


def _signal_ages(check: DriftCheck) -> list[tuple[str, float]]:
    found: dict[str, Any] = {}
    facts = check.facts.get("oracle_signals")
    if isinstance(facts, Mapping):
        found.update({str(k): v for k, v in facts.items()})
    for address, value in check.values.items():
        a = Attribute.parse(address)
        if a is not None and (a.name, a.attribute) == ("oracle", "signal") and a.key:
            found[a.key] = value
    out = []
    for pair in sorted(found):
        age = age_seconds(found[pair], check.checked_at)
        if age is not None:
            out.append((pair, age))
    return out


def _drills(check: DriftCheck) -> list[tuple[str, float, float | None]]:
    """(backup, last passed drill as Unix time or 0, last drill's success 1/0 or None) per drilled backup."""
    out = []
    for address in sorted(check.values):
        a = Attribute.parse(address)
        value = check.values[address]
        if a is None or a.attribute != "drill" or a.key is not None or not isinstance(value, Mapping) \
                or value.get("error"):
            continue
        last = _epoch(value.get("last_success_at")) or 0.0
        outcome = value.get("last_outcome")
        out.append((a.name, last, None if outcome is None else float(outcome == "passed")))
    return out


def render_metrics(checks: Iterable[DriftCheck]) -> str:
    """The textfile-collector document for `checks` (one family block per metric, HELP and TYPE first)."""
    series: dict[str, list[tuple[dict[str, str], float]]] = {name: [] for name in _HELP}
    for c in checks:
        env = {"environment": c.environment}
        series["tempoctl_last_check_timestamp_seconds"].append((env, c.checked_at))
        series["tempoctl_drift_check_success"].append((env, 1 if c.ok else 0))
        if c.plan is not None:
            counts = dict.fromkeys(STANDARD_KINDS, 0)
            for item in drift_items(c.plan):
                counts[str(item["kind"])] = counts.get(str(item["kind"]), 0) + 1
            for kind in sorted(counts):
                series["tempoctl_drift_items"].append(({**env, "kind": kind}, counts[kind]))
        for backup, age in _backup_ages(c):
            series["tempoctl_backup_age_seconds"].append(({**env, "backup": backup}, age))
        for backup, last, success in _drills(c):
            series["tempoctl_backup_last_drill_timestamp_seconds"].append(({**env, "backup": backup}, last))
            if success is not None:
                series["tempoctl_backup_drill_success"].append(({**env, "backup": backup}, success))
        for pair, age in _signal_ages(c):
            series["tempoctl_oracle_signal_age_seconds"].append(({**env, "pair": pair}, age))
        drifting = {str(i["address"]) for i in drift_items(c.plan)} if c.plan is not None else set()
        health = [*contract_series(c.values), *check_series(c.values, drifting)] if c.plan is not None else []
        for name, labels, value in [*health, *rpc_series(c.rpc)]:
            series[name].append(({**env, **labels}, value))
    lines: list[str] = []
    for name, rows in series.items():
        if not rows:
            continue
        lines += [f"# HELP {name} {_HELP[name]}", f"# TYPE {name} gauge"]
        for labels, value in rows:
            rendered = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            lines.append(f"{name}{{{rendered}}} {_number(value)}")
    return "\n".join(lines) + "\n"
