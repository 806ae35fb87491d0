"""The health series of `drift --prometheus` from recorded observations (pure: the values the profiles and the
host checks record): breakers, pause, HTTP checks, indexer lag and its database, with no URL secret in a label."""

from __future__ import annotations

from tempoctl.plan.metrics import DriftCheck, render_metrics
from tests.alerts.support import key, samples

URL = "http://user:pw@127.0.0.1:3000/ready?token=s3cretTok3n#frag"


def _check(values: dict[str, object], drift: list[dict[str, object]] | None = None) -> DriftCheck:
    return DriftCheck("prod", 1.8e9, {"environment": "prod", "changes": [], "drift": drift or []}, values=values)


def test_breakers_pause_and_checks() -> None:
    values = {
        "risk.circuit_breaker[pathUSD-AlphaUSD]": True,
        "risk.circuit_breaker[legacy]": False,
        "risk.paused": False,
        "vault-1.check[indexer_lag]": {"max_blocks": 100, "head": 250, "last_indexed_block": 100, "lag": 150,
                                       "last_indexed_at": None},
        f"vault-1.check[{URL}]": {"url": URL, "status": 503, "seconds": 0.25},
        "vault-2.check[http://127.0.0.1:3000/ready]": {"url": "http://127.0.0.1:3000/ready", "status": 200,
                                                       "seconds": 2.5},
        "vault-2.check[indexer_lag]": {"max_blocks": 100, "head": 9, "error": "database unreadable: connection "
                                                                                "refused"},
        "vault-3.check[indexer_lag]": {"max_blocks": 100, "error": "chain head of tempo unreadable: x"},
        "vault-4.check[indexer_lag]": {"max_blocks": 100, "head": 9,
                                       "error": "indexer_state has no row with id = 1 (…)"},
    }
    drift = [{"address": f"vault-1.check[{URL}]", "kind": "http_check", "expected": "HTTP 200", "actual": "HTTP 503",
              "message": "m"}]
    text = render_metrics([_check(values, drift)])
    assert "s3cretTok3n" not in text and "pw@" not in text and "frag" not in text
    m = samples(text)
    env = {"environment": "prod"}
    assert m[key("tempoctl_breaker_tripped", contract="risk", breaker="pathUSD-AlphaUSD", **env)] == 1
    assert m[key("tempoctl_breaker_tripped", contract="risk", breaker="legacy", **env)] == 0
    assert m[key("tempoctl_contract_paused", contract="risk", **env)] == 0
    assert m[key("tempoctl_indexer_lag_blocks", host="vault-1", **env)] == 150
    assert m[key("tempoctl_indexer_last_indexed_block", host="vault-1", **env)] == 100
    assert m[key("tempoctl_database_up", host="vault-1", **env)] == 1
    assert m[key("tempoctl_database_up", host="vault-2", **env)] == 0
    assert key("tempoctl_database_up", host="vault-3", **env) not in m  # never got to the database
    assert m[key("tempoctl_database_up", host="vault-4", **env)] == 1  # connected; the indexer is the problem
    one = {"host": "vault-1", "url": "http://127.0.0.1:3000/ready", **env}
    assert m[key("tempoctl_http_check_up", **one)] == 0  # its drift item says it failed
    assert m[key("tempoctl_http_check_duration_seconds", **one)] == 0.25
    two = {"host": "vault-2", "url": "http://127.0.0.1:3000/ready", **env}
    assert m[key("tempoctl_http_check_up", **two)] == 1
    assert m[key("tempoctl_http_check_duration_seconds", **two)] == 2.5


def test_a_failed_check_has_no_health_series_from_values() -> None:
    text = render_metrics([DriftCheck("prod", 1.8e9, values={"risk.circuit_breaker[x]": True})])
    assert "tempoctl_breaker_tripped" not in text  # an unknown state is not "closed"
