"""Alert rules from one environment's desired state: the thresholds its files already declare (oracle
`fresh_signal_within`, `indexer_lag.max_blocks`, backup `max_age`, breakers declared closed, drift) plus the
`alerts:` settings, over the series `drift --prometheus` writes (plan.metrics, plan.metrics_health).

Severities follow the runbooks: TempoVault's critical list (API unhealthy, oracle not updated for 5+ minutes,
indexer not progressing, circuit breaker triggered, database failures) and warning list (oracle stale, API > 2 s,
indexer lag, disk > 80 %, memory > 85 %); Teye's RPCDown (critical), HighErrorRate and SlowRPCResponse (warning).
tempoctl's own signals (drift, a failing or stopped check, backups and restore drills) are warnings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tempoctl.desired.alerting import ALERT_NAMES, Alerts
from tempoctl.desired.models import DesiredState, RiskControllerContract

# The Teye policy's own `for:` (prometheus/alerts.yml), unless `alerts.for.rules` names the alert.
_TEYE_FOR = {"HighErrorRate": 120.0, "SlowRPCResponse": 180.0}


@dataclass(frozen=True)
class Rule:
    """One alerting rule: `expr` is PromQL over tempoctl's series, `for_` seconds, `severity` the runbook's."""

    alert: str
    expr: str
    for_: float
    severity: str
    summary: str
    description: str


def q(value: str) -> str:
    """A PromQL string literal (label values come from YAML keys and folder names)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def duration(seconds: float) -> str:
    """A Prometheus duration: the largest whole unit (`30d`, `26h`, `5m`, `90s`), or milliseconds."""
    if float(seconds).is_integer():
        n = int(seconds)
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if n and n % size == 0:
                return f"{n // size}{unit}"
        return f"{n}s"
    return f"{max(1, round(seconds * 1000))}ms"


def _sel(metric: str, env: str, **labels: str) -> str:
    parts = [f"environment={q(env)}"] + [f"{k}={q(v)}" for k, v in labels.items()]
    return f"{metric}{{{','.join(parts)}}}"


def _any_of(exprs: list[str]) -> str:
    return " or ".join(f"({e})" for e in exprs) if len(exprs) > 1 else exprs[0]


class _Builder:
    def __init__(self, state: DesiredState) -> None:
        self.state, self.env = state, state.environment
        self.cfg = state.alerts or Alerts()
        self.rules: list[Rule] = []

    def for_(self, alert: str, severity: str) -> float:
        f = self.cfg.for_
        if alert in f.rules:
            return f.rules[alert]
        if alert in _TEYE_FOR:
            return _TEYE_FOR[alert]
        return f.critical if severity == "critical" else f.warning

    def add(self, alert: str, severity: str, expr: str, summary: str, description: str) -> None:
        assert alert in ALERT_NAMES, alert
        self.rules.append(Rule(alert, expr, self.for_(alert, severity), severity, summary, description))

    def build(self) -> list[Rule]:
        self.tempoctl()
        self.oracle()
        self.breakers()
        self.hosts()
        self.backups()
        self.rpc()
        self.node()
        return self.rules

    def tempoctl(self) -> None:
        e = self.env
        self.add("DesiredStateDrift", "warning", f"{_sel('tempoctl_drift_items', e)} > 0",
                 "{{ $value }} {{ $labels.kind }} drift item(s) in {{ $labels.environment }}",
                 "Live state differs from the state files. Run `tempoctl drift {{ $labels.environment }}` for "
                 "the items and `tempoctl plan` for what apply would change.")
        self.add("DriftCheckFailed", "warning", f"{_sel('tempoctl_drift_check_success', e)} == 0",
                 "The drift check of {{ $labels.environment }} fails",
                 "`tempoctl drift --prometheus` could not read live state; its log says why.")
        stale = 3 * self.cfg.check_interval
        last = _sel("tempoctl_last_check_timestamp_seconds", e)
        self.add("DriftCheckStale", "warning", f"(time() - {last} > {num(stale)}) or absent({last})",
                 "No drift check of {{ $labels.environment }} for over " + duration(stale),
                 "The scheduled `tempoctl drift --prometheus` has stopped writing (or node_exporter no longer "
                 "reads its file); nothing else here is current.")

    def oracle(self) -> None:
        risk = [c for c in self.state.contracts.values() if isinstance(c, RiskControllerContract)]
        if not any(c.circuit_breakers for c in risk):
            return  # signal ages are read per declared breaker pair
        age = _sel("tempoctl_oracle_signal_age_seconds", self.env)
        self.add("OracleNotUpdated", "critical", f"{age} > {num(self.cfg.oracle_not_updated)}",
                 "No oracle signal for {{ $labels.pair }} for {{ $value | humanizeDuration }}",
                 "The oracle relay has not updated the pair; the risk controller rejects trades on a stale "
                 "signal. Check the tempovault-oracle service and its fee balance.")
        declared = [c.risk_params.oracleStalenessThreshold for c in risk if c.risk_params is not None]
        oracle = self.state.oracle
        stale = oracle.fresh_signal_within if oracle is not None and oracle.fresh_signal_within else None
        stale = stale if stale is not None else (min(declared) if declared else None)
        if stale is not None:
            self.add("OracleStale", "warning", f"{age} > {num(stale)}",
                     "The oracle signal for {{ $labels.pair }} is stale ({{ $value | humanizeDuration }} old)",
                     f"Older than the declared freshness ({duration(stale)}: oracle.fresh_signal_within, or "
                     "the risk controller's oracleStalenessThreshold).")

    def breakers(self) -> None:
        closed = [_sel("tempoctl_breaker_tripped", self.env, contract=cname, breaker=bname) + " == 1"
                  for cname, c in sorted(self.state.contracts.items()) if isinstance(c, RiskControllerContract)
                  for bname, spec in sorted(c.circuit_breakers.items()) if not spec.broken]
        if closed:
            self.add("CircuitBreakerTriggered", "critical", _any_of(closed),
                     "Circuit breaker {{ $labels.breaker }} on {{ $labels.contract }} is tripped",
                     "A breaker the state files declare closed is tripped on chain: trading on the pair stops. "
                     "Find out why before `tempoctl apply` resets it.")

    def hosts(self) -> None:
        e, cfg = self.env, self.cfg
        checks = [(n, h.checks) for n, h in sorted(self.state.hosts.items()) if h.checks is not None]
        if any(c.http for _, c in checks):
            self.add("ApiUnhealthy", "critical", f"{_sel('tempoctl_http_check_up', e)} == 0",
                     "{{ $labels.url }} on {{ $labels.host }} is unhealthy",
                     "The HTTP check does not answer as declared (status or body).")
            self.add("ApiSlowResponse", "warning",
                     f"{_sel('tempoctl_http_check_duration_seconds', e)} > {num(cfg.api_latency)}",
                     "{{ $labels.url }} on {{ $labels.host }} took {{ $value | humanizeDuration }}",
                     f"Slower than {duration(cfg.api_latency)} (alerts.api_latency).")
        lag = [(n, c.indexer_lag) for n, c in checks if c.indexer_lag is not None]
        if not lag:
            return
        self.add("IndexerLagHigh", "warning",
                 _any_of([f"{_sel('tempoctl_indexer_lag_blocks', e, host=n)} > {l.max_blocks}" for n, l in lag]),
                 "The indexer on {{ $labels.host }} is {{ $value }} blocks behind",
                 "More than the declared indexer_lag.max_blocks behind the chain head.")
        window = duration(cfg.indexer_stalled_after)
        self.add("IndexerStalled", "critical",
                 f"changes({_sel('tempoctl_indexer_last_indexed_block', e)}[{window}]) == 0 "
                 f"and {_sel('tempoctl_indexer_lag_blocks', e)} > 0",
                 "The indexer on {{ $labels.host }} stopped progressing",
                 f"Its last indexed block has not moved for {window} while the chain has.")
        self.add("DatabaseConnectionFailure", "critical", f"{_sel('tempoctl_database_up', e)} == 0",
                 "The indexer database of {{ $labels.host }} is unreachable",
                 "The indexer check could not connect to or query its PostgreSQL database.")

    def backups(self) -> None:
        e = self.env
        items = sorted(self.state.backups.items())
        if not items:
            return
        self.add("BackupTooOld", "warning",
                 _any_of([f"{_sel('tempoctl_backup_age_seconds', e, backup=n)} > {num(b.max_age)}"
                          for n, b in items]),
                 "The newest good backup {{ $labels.backup }} is {{ $value | humanizeDuration }} old",
                 "Older than the backup's declared max_age: check its cron/timer job and destination.")
        # Drills are part of a backup's desired state only when it declares `drill:`. A never-drilled backup's
        # last-drill timestamp is written as 0, so `time() - last > drill_every` covers it without absent().
        drilled = [(n, b) for n, b in items if b.drill is not None]
        if not drilled:
            return
        self.add("BackupDrillOverdue", "warning",
                 _any_of([f"time() - {_sel('tempoctl_backup_last_drill_timestamp_seconds', e, backup=n)} > "
                          f"{num(b.drill_every)}" for n, b in drilled]),
                 "No successful restore drill of {{ $labels.backup }} within its drill_every",
                 "Run `tempoctl backup drill {{ $labels.environment }} {{ $labels.backup }}`: a backup never "
                 "restored is not known to restore (the runbook's monthly check).")
        self.add("BackupDrillFailed", "warning", f"{_sel('tempoctl_backup_drill_success', e)} == 0",
                 "The last restore drill of {{ $labels.backup }} failed",
                 "The newest verified backup did not restore or failed its smoke checks.")

    def rpc(self) -> None:
        e, cfg = self.env, self.cfg
        if not self.state.networks:
            return
        self.add("RPCDown", "critical", f"{_sel('tempoctl_rpc_up', e)} == 0",
                 "The RPC of network {{ $labels.network }} is down",
                 "Its health probe failed (Stellar getHealth not healthy, EVM eth_chainId not the declared chain).")
        self.add("HighErrorRate", "warning",
                 f"{_sel('tempoctl_rpc_errors', e)} / {_sel('tempoctl_rpc_requests', e)} > {num(cfg.rpc_error_ratio)}",
                 "{{ $value | humanizePercentage }} of RPC requests to {{ $labels.network }} failed",
                 f"More than {num(cfg.rpc_error_ratio * 100)} % of the last check's requests failed.")
        self.add("SlowRPCResponse", "warning", f"{_sel('tempoctl_rpc_latency_seconds', e)} > {num(cfg.rpc_latency)}",
                 "The RPC of {{ $labels.network }} answered in {{ $value | humanizeDuration }}",
                 f"Slower than {duration(cfg.rpc_latency)} (alerts.rpc_latency).")

    def node(self) -> None:
        cfg = self.cfg
        if cfg.node_job is None:
            return
        job = f"job={q(cfg.node_job)}"
        fs = f'{job},fstype!~"tmpfs|ramfs|squashfs|overlay|nsfs"'
        self.add("DiskUsageHigh", "warning",
                 f"100 * (1 - node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}}) "
                 f"> {num(cfg.disk_percent)}",
                 "{{ $labels.mountpoint }} on {{ $labels.instance }} is {{ $value | printf \"%.0f\" }}% full",
                 f"Above {num(cfg.disk_percent)} % (alerts.disk_percent).")
        self.add("MemoryUsageHigh", "warning",
                 f"100 * (1 - node_memory_MemAvailable_bytes{{{job}}} / node_memory_MemTotal_bytes{{{job}}}) "
                 f"> {num(cfg.memory_percent)}",
                 "Memory on {{ $labels.instance }} is {{ $value | printf \"%.0f\" }}% used",
                 f"Above {num(cfg.memory_percent)} % (alerts.memory_percent).")




def build_rules(state: DesiredState) -> list[Rule]:
    """The rules for `state`, in a stable order (critical and warning mixed, grouped by subject)."""
    return _Builder(state).build()


def rule_names(rules: Iterable[Rule]) -> list[str]:
    return sorted({r.alert for r in rules})


def as_dict(rule: Rule, runbook_url: str | None) -> dict[str, Any]:
    """One rule as Prometheus writes it in a rules file (key order as in its documentation)."""
    annotations = {"summary": rule.summary, "description": rule.description}
    if runbook_url:
        annotations["runbook_url"] = f"{runbook_url}#{rule.alert.lower()}"
    return {"alert": rule.alert, "expr": rule.expr, "for": duration(rule.for_),
            "labels": {"severity": rule.severity, "source": "tempoctl"}, "annotations": annotations}
