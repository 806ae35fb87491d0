"""`tempoctl alerts ENV`: the generated rules pass `promtool check rules`, and `promtool test rules` drives every
generated rule through a healthy and a failing series with the thresholds and `for:` durations of the state
files (a rule whose threshold, matcher or duration strayed from the YAML fails its case)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tempoctl.alerts import build_rules, render_rules, rule_names
from tempoctl.desired import load_environment
from tempoctl.desired.models import Backup
from tests.conftest import Workspace

PROMTOOL = shutil.which("promtool")

RISK = "0x1111111111111111111111111111111111111111"
GOV = "0x2222222222222222222222222222222222222222"
ORACLE = "0x3333333333333333333333333333333333333333"
# Restore drills are declared per backup (`drill:`) where the model has the field.
DRILL = ", drill: {}" if "drill" in Backup.model_fields else ""
TOKENS = '["0x20C0000000000000000000000000000000000000", "0x20c0000000000000000000000000000000000001"]'

STATE = f"""
environment: mon
networks:
  tempo: {{type: evm, chain_id: 42431, rpc_url: "http://127.0.0.1:1/"}}
  stellar: {{type: stellar, passphrase: "Test SDF Network ; September 2015", rpc_url: "http://127.0.0.1:2/"}}
contracts:
  governance: {{network: tempo, address: "{GOV}", profile: access-control}}
  risk:
    network: tempo
    address: "{RISK}"
    profile: tempovault/risk-controller
    circuit_breakers:
      pathUSD-AlphaUSD: {{tokens: {TOKENS}, broken: false}}
      legacy: {{id: "0x0000000000000000000000000000000000000000000000000000000000000001", broken: true}}
oracle: {{contract: governance, address: "{ORACLE}", fresh_signal_within: 2m}}
hosts:
  vault-1:
    connection: local
    checks:
      indexer_lag: {{database: tempovault, network: tempo, max_blocks: 100}}
      http: [{{url: "http://127.0.0.1:3000/ready"}}]
backups:
  db: {{host: vault-1, kind: postgres, database: tempovault, schedule: "0 2 * * *", destination: /backup,
        filename: "db_{{date:%Y%m%d}}.sql.gz", retention_days: 30, max_age: 26h{DRILL}}}
  files: {{host: vault-1, kind: files, paths: [dist/], schedule: "0 3 * * *", destination: /backup,
           filename: "f_{{date:%Y%m%d}}.tgz", retention_days: 30, max_age: 2h{DRILL}}}
alerts:
  for: {{critical: 1m, warning: 2m, rules: {{SlowRPCResponse: 3m}}}}
  check_interval: 5m
  indexer_stalled_after: 10m
  api_latency: 2s
  rpc_error_ratio: 0.1
  node_job: node
  runbook_url: https://runbooks.example/tempovault
"""


def _env(root: Path, text: str = STATE) -> Any:
    folder = root / "state" / "mon"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "environment.yaml").write_text(text)
    return load_environment(str(folder))


def _s(metric: str, **labels: str) -> str:
    return metric + "{" + ",".join(f'{k}="{v}"' for k, v in {"environment": "mon", **labels}.items()) + "}"


# alert -> (input series, labels of the firing alert, minute from which it must fire, minute it must not yet)
# Series go bad at minute 3 (values: 3 healthy samples, then bad ones; one sample per minute).
Labels = dict[str, str]
CASES: dict[str, tuple[list[tuple[str, str]], Labels | list[Labels], int, int]] = {
    "DesiredStateDrift": ([(_s("tempoctl_drift_items", kind="changed"), "0 0 0 2x20")],
                          {"kind": "changed"}, 6, 4),
    "DriftCheckFailed": ([(_s("tempoctl_drift_check_success"), "1 1 1 0x20")], {}, 6, 4),
    # The last check ran at t=0 and never again: stale after 3 × 5m, firing 2m later.
    "DriftCheckStale": ([(_s("tempoctl_last_check_timestamp_seconds"), "0x30")], {}, 18, 16),
    "OracleNotUpdated": ([(_s("tempoctl_oracle_signal_age_seconds", pair="pathUSD-AlphaUSD"), "10 10 10 301x20")],
                         {"pair": "pathUSD-AlphaUSD"}, 5, 3),
    "OracleStale": ([(_s("tempoctl_oracle_signal_age_seconds", pair="p"), "10 10 10 121x20")], {"pair": "p"}, 6, 4),
    "CircuitBreakerTriggered": ([(_s("tempoctl_breaker_tripped", contract="risk", breaker="pathUSD-AlphaUSD"),
                                  "0 0 0 1x20"),
                                 (_s("tempoctl_breaker_tripped", contract="risk", breaker="legacy"), "1x30")],
                                {"contract": "risk", "breaker": "pathUSD-AlphaUSD"}, 5, 3),
    "ApiUnhealthy": ([(_s("tempoctl_http_check_up", host="vault-1", url="http://127.0.0.1:3000/ready"),
                       "1 1 1 0x20")], {"host": "vault-1", "url": "http://127.0.0.1:3000/ready"}, 5, 3),
    "ApiSlowResponse": ([(_s("tempoctl_http_check_duration_seconds", host="vault-1", url="u"), "0.1 0.1 2 2.5x20")],
                        {"host": "vault-1", "url": "u"}, 6, 4),
    "IndexerLagHigh": ([(_s("tempoctl_indexer_lag_blocks", host="vault-1"), "100 100 100 101x20")],
                       {"host": "vault-1"}, 6, 4),
    # The indexer moves until minute 5 then stops while lagging: stalled once 10m pass without a change.
    "IndexerStalled": ([(_s("tempoctl_indexer_last_indexed_block", host="vault-1"), "1+1x5 6x30"),
                        (_s("tempoctl_indexer_lag_blocks", host="vault-1"), "1x40")],
                       {"host": "vault-1"}, 17, 14),
    "DatabaseConnectionFailure": ([(_s("tempoctl_database_up", host="vault-1"), "1 1 1 0x20")],
                                  {"host": "vault-1"}, 5, 3),
    "BackupTooOld": ([(_s("tempoctl_backup_age_seconds", backup="files"), "3600 3600 3600 7201x20"),
                      (_s("tempoctl_backup_age_seconds", backup="db"), "7201x30")],  # under db's 26h
                     {"backup": "files"}, 6, 4),
    # db's last drill is 30 days and 60 s before minute 3 (its default drill_every is 30d); files drilled at 0.
    "BackupDrillOverdue": ([(_s("tempoctl_backup_last_drill_timestamp_seconds", backup="db"), "0 0 0 -2591880x20"),
                            (_s("tempoctl_backup_last_drill_timestamp_seconds", backup="files"), "0x30")],
                           {"backup": "db"}, 6, 4),
    "BackupDrillFailed": ([(_s("tempoctl_backup_drill_success", backup="db"), "1 1 1 0x20")], {"backup": "db"}, 6, 4),
    "RPCDown": ([(_s("tempoctl_rpc_up", network="stellar", kind="stellar"), "1 1 1 0x20")],
                {"network": "stellar", "kind": "stellar"}, 5, 3),
    "HighErrorRate": ([(_s("tempoctl_rpc_errors", network="tempo"), "0 0 1 3x20"),
                       (_s("tempoctl_rpc_requests", network="tempo"), "20x30")], {"network": "tempo"}, 6, 4),
    "SlowRPCResponse": ([(_s("tempoctl_rpc_latency_seconds", network="tempo"), "0.2 0.2 0.2 2.5x20")],
                        {"network": "tempo"}, 7, 5),
    "DiskUsageHigh": ([('node_filesystem_avail_bytes{job="node",instance="h:9100",mountpoint="/",fstype="ext4"}',
                        "50 50 50 19x20"),
                       ('node_filesystem_size_bytes{job="node",instance="h:9100",mountpoint="/",fstype="ext4"}',
                        "100x30"),
                       ('node_filesystem_avail_bytes{job="node",instance="h:9100",mountpoint="/run",fstype="tmpfs"}',
                        "1x30"),
                       ('node_filesystem_size_bytes{job="node",instance="h:9100",mountpoint="/run",fstype="tmpfs"}',
                        "100x30")],
                      {"job": "node", "instance": "h:9100", "mountpoint": "/", "fstype": "ext4"}, 6, 4),
    "MemoryUsageHigh": ([('node_memory_MemAvailable_bytes{job="node",instance="h:9100"}', "50 50 50 14x20"),
                         ('node_memory_MemTotal_bytes{job="node",instance="h:9100"}', "100x30")],
                        {"job": "node", "instance": "h:9100"}, 6, 4),
}


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    if PROMTOOL is None:
        pytest.fail("promtool is not installed: run tests/support/system-packages.sh (Debian `prometheus`)")
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def _unit_tests(rules_file: str, severities: dict[str, str]) -> dict[str, Any]:
    tests = []
    for alert, (series, labels, fires_at, quiet_at) in CASES.items():
        wants = []
        for one in labels if isinstance(labels, list) else [labels]:
            want = {"severity": severities[alert], "source": "tempoctl", **one}
            if not alert.startswith(("Disk", "Memory")):  # node_exporter's series carry no environment
                want["environment"] = "mon"
            wants.append({"exp_labels": want})
        tests.append({"interval": "1m", "input_series": [{"series": s, "values": v} for s, v in series],
                      "alert_rule_test": [{"eval_time": f"{quiet_at}m", "alertname": alert, "exp_alerts": []},
                                          {"eval_time": f"{fires_at}m", "alertname": alert,
                                           "exp_alerts": wants}]})
    return {"rule_files": [rules_file], "evaluation_interval": "1m", "tests": tests}


def _without_annotations(text: str) -> str:
    """The rules with annotations dropped: promtool compares annotations only when a case lists them; these
    cases check expr, for and labels (the annotations are checked once, below)."""
    from ruamel.yaml import YAML

    doc = YAML(typ="safe", pure=True).load(text)
    for group in doc["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    return json.dumps(doc)


def test_every_generated_rule_passes_promtool_check_and_its_unit_test(tmp_path: Path) -> None:
    env = _env(tmp_path)
    text = render_rules(env)
    (tmp_path / "rules.yml").write_text(text)
    r = _promtool("check", "rules", "rules.yml", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    rules = build_rules(env.state)
    assert set(rule_names(rules)) == set(CASES), "every generated rule has a promtool case, and only those"
    severities = {r.alert: r.severity for r in rules}
    assert {a for a, s in severities.items() if s == "critical"} == {
        "ApiUnhealthy", "OracleNotUpdated", "IndexerStalled", "CircuitBreakerTriggered", "DatabaseConnectionFailure",
        "RPCDown"}  # the runbooks' critical list; everything else warns
    (tmp_path / "bare.yml").write_text(_without_annotations(text))
    (tmp_path / "tests.yml").write_text(json.dumps(_unit_tests("bare.yml", severities)))
    r = _promtool("test", "rules", "tests.yml", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


def test_annotations_render_with_runbook_links(tmp_path: Path) -> None:
    env = _env(tmp_path)
    (tmp_path / "rules.yml").write_text(render_rules(env))
    series = [{"series": _s("tempoctl_breaker_tripped", contract="risk", breaker="pathUSD-AlphaUSD"),
               "values": "1x10"}]
    rule = next(r for r in build_rules(env.state) if r.alert == "CircuitBreakerTriggered")
    case = {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": series,
        "alert_rule_test": [{"eval_time": "3m", "alertname": "CircuitBreakerTriggered", "exp_alerts": [{
            "exp_labels": {"severity": "critical", "source": "tempoctl", "environment": "mon", "contract": "risk",
                           "breaker": "pathUSD-AlphaUSD"},
            "exp_annotations": {
                "summary": "Circuit breaker pathUSD-AlphaUSD on risk is tripped",
                "description": rule.description,
                "runbook_url": "https://runbooks.example/tempovault#circuitbreakertriggered"}}]}]}]}
    (tmp_path / "t.yml").write_text(json.dumps(case))
    r = _promtool("test", "rules", "t.yml", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


def test_rules_follow_the_state_files(tmp_path: Path) -> None:
    """Only what the environment declares gets a rule, and the declared thresholds are the ones used."""
    bare = _env(tmp_path / "a", "environment: mon\n")
    assert rule_names(build_rules(bare.state)) == ["DesiredStateDrift", "DriftCheckFailed", "DriftCheckStale"]
    env = _env(tmp_path / "b", STATE.replace("max_blocks: 100", "max_blocks: 250").replace("fresh_signal_within: 2m",
                                                                                       "fresh_signal_within: 90s"))
    by = {r.alert: r for r in build_rules(env.state)}
    assert by["IndexerLagHigh"].expr == 'tempoctl_indexer_lag_blocks{environment="mon",host="vault-1"} > 250'
    assert by["OracleStale"].expr.endswith("> 90") and by["OracleNotUpdated"].expr.endswith("> 300")
    assert "legacy" not in by["CircuitBreakerTriggered"].expr  # declared broken: tripped is its desired state
    assert by["SlowRPCResponse"].for_ == 180 and by["RPCDown"].for_ == 60 and by["HighErrorRate"].for_ == 120


def test_alerts_command_writes_the_file_and_refuses_bad_settings(tmp_path: Path, workspace: Workspace) -> None:
    _env(workspace.root)
    r = workspace.run("alerts", "mon", "--out", "out/mon.rules.yml")
    assert r.exit_code == 0, r.output
    assert "19 rules for mon (6 critical, 13 warning)" in r.output
    written = (workspace.root / "out" / "mon.rules.yml").read_text()
    assert written == workspace.run("alerts", "mon").output
    (workspace.root / "state" / "mon" / "environment.yaml").write_text(
        STATE.replace("rules: {SlowRPCResponse: 3m}", "rules: {SlowRPC: 3m}"))
    r = workspace.run("alerts", "mon")
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert "environment.yaml:" in r.output and "unknown alert name(s) SlowRPC" in r.output
