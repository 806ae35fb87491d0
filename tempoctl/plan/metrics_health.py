"""The health series of `drift --prometheus` next to the drift counts (`plan.metrics`): breakers, host checks
and RPC health, each from the observed values and drift items of the same check, so a metric never disagrees
with the report. Only names, states, counts and durations: no observed value, URL query or credential.

- `tempoctl_breaker_tripped{environment,contract,breaker}`: 1 when a declared circuit breaker is tripped live.
- `tempoctl_contract_paused{environment,contract}`: 1 when a risk controller's global pause is on.
- `tempoctl_http_check_up{environment,host,url}`: 1 when the host's HTTP check answered as declared (no drift
  item for it); `url` is scheme://host[:port]/path only (no user, query or fragment, which can hold tokens).
- `tempoctl_http_check_duration_seconds{environment,host,url}`: curl's total time of that check.
- `tempoctl_indexer_lag_blocks{environment,host}`, `tempoctl_indexer_last_indexed_block{environment,host}`:
  chain head minus the indexer's last block, and that block (for "stopped progressing").
- `tempoctl_database_up{environment,host}`: 0 when the indexer check could not connect to or query its
  database, 1 when it read the progress row; absent when the check did not get that far.
- `tempoctl_rpc_up{environment,network,kind}`: the network's health probe (`rpchealth`).
- `tempoctl_rpc_latency_seconds{environment,network}`: the probe's round trip, when it got an answer.
- `tempoctl_rpc_requests{environment,network}`, `tempoctl_rpc_errors{environment,network}`: HTTP requests of
  this check to the network's RPC and how many failed (per check, not counters: the file is rewritten each run).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from tempoctl.core.addrs import Attribute

Series = tuple[str, dict[str, str], float]

HELP = {
    "tempoctl_breaker_tripped": "1 when a declared circuit breaker is tripped on chain.",
    "tempoctl_contract_paused": "1 when a risk controller's global pause is on.",
    "tempoctl_http_check_up": "1 when a host's HTTP check answered as declared.",
    "tempoctl_http_check_duration_seconds": "Total time of a host's HTTP check, in seconds.",
    "tempoctl_indexer_lag_blocks": "Chain head minus the indexer's last indexed block.",
    "tempoctl_indexer_last_indexed_block": "The indexer's last indexed block.",
    "tempoctl_database_up": "1 when the indexer check read its database, 0 when it could not.",
    "tempoctl_rpc_up": "1 when the network's RPC answered its health probe as expected.",
    "tempoctl_rpc_latency_seconds": "Round trip of the network's RPC health probe, in seconds.",
    "tempoctl_rpc_requests": "HTTP requests the last check made to the network's RPC.",
    "tempoctl_rpc_errors": "HTTP requests of the last check to the network's RPC that failed.",
}

_DB_DOWN = "database unreadable"  # observed.checks: connecting or querying failed (other errors: not that far)
_DB_READ = "indexer_state has no row"  # connected and queried: the database is up, the indexer is not


def public_url(url: str) -> str:
    """scheme://host[:port]/path of `url`: what an alert may show (a query or user part can carry a token)."""
    try:
        p = urlsplit(url)
        port = f":{p.port}" if p.port else ""
        return f"{p.scheme}://{p.hostname or ''}{port}{p.path}"
    except ValueError:
        return "<unparseable URL>"


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v)


def contract_series(values: Mapping[str, Any]) -> Iterable[Series]:
    """Breakers and pauses read by the risk-controller profile."""
    for address in sorted(values):
        value = values[address]
        a = Attribute.parse(address)
        if a is None or not isinstance(value, bool):
            continue
        if a.attribute == "circuit_breaker" and a.key is not None:
            yield ("tempoctl_breaker_tripped", {"contract": a.name, "breaker": a.key}, float(value))
        elif a.attribute == "paused" and a.key is None:
            yield ("tempoctl_contract_paused", {"contract": a.name}, float(value))


def check_series(values: Mapping[str, Any], drifting: set[str]) -> Iterable[Series]:
    """Host checks (`observed.checks`): indexer lag and database reachability, HTTP up and duration."""
    for address in sorted(values):
        a = Attribute.parse(address)
        value = values[address]
        if a is None or a.attribute != "check" or a.key is None or not isinstance(value, Mapping):
            continue
        host = {"host": a.name}
        if a.key == "indexer_lag":
            error = str(value.get("error") or "")
            if error.startswith(_DB_DOWN):
                yield ("tempoctl_database_up", host, 0.0)
            elif not error or error.startswith(_DB_READ):
                yield ("tempoctl_database_up", host, 1.0)
            lag, last = _number(value.get("lag")), _number(value.get("last_indexed_block"))
            if lag is not None and last is not None:
                yield ("tempoctl_indexer_lag_blocks", host, lag)
                yield ("tempoctl_indexer_last_indexed_block", host, last)
        elif isinstance(value.get("url"), str):
            labels = {**host, "url": public_url(value["url"])}
            yield ("tempoctl_http_check_up", labels, 0.0 if address in drifting else 1.0)
            seconds = _number(value.get("seconds"))
            if seconds is not None and "error" not in value:
                yield ("tempoctl_http_check_duration_seconds", labels, seconds)


def rpc_series(health: Iterable[Any]) -> Iterable[Series]:
    """`rpchealth.RpcHealth` results as series."""
    for h in health:
        net = {"network": h.network}
        yield ("tempoctl_rpc_up", {**net, "kind": h.kind}, 1.0 if h.up else 0.0)
        if h.latency is not None:
            yield ("tempoctl_rpc_latency_seconds", net, float(h.latency))
        yield ("tempoctl_rpc_requests", net, float(h.requests))
        yield ("tempoctl_rpc_errors", net, float(h.errors))
