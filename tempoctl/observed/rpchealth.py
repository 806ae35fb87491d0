"""RPC health of each declared network, for `drift --prometheus` (the Teye runbook's RPCDown, HighErrorRate and
SlowRPCResponse): how many HTTP requests the check's own reads made to each RPC and how many failed (counted by
the EVM and Stellar clients as they post), plus one health probe per network after the check.

The probe is the runbook's own health check: Stellar `getHealth` must answer `"status": "healthy"` (stellar-rpc
`cmd/stellar-rpc/internal/methods/get_health.go` answers `{status: "healthy", latestLedger, oldestLedger,
ledgerRetentionWindow, …}`, or a JSON-RPC InternalError when its data stores are not initialised or the last
ledger closed longer ago than its max healthy ledger latency); EVM `eth_chainId` must answer the declared
chain (a node of another chain is not this network's RPC). Counts are kept by URL in memory only; nothing here
ever writes the URL (it can carry an API key), results are reported by network name.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

_LOCK = threading.Lock()
_COUNTS: dict[str, list[int]] = {}  # url -> [requests, errors]
PROBE_TIMEOUT = 10.0
_MAX_ANSWER = 65536


def record(url: str, ok: bool) -> None:
    """Count one HTTP request to `url` (called by the RPC clients for every post, retries included)."""
    with _LOCK:
        counts = _COUNTS.setdefault(url, [0, 0])
        counts[0] += 1
        counts[1] += 0 if ok else 1


def reset() -> None:
    """Forget the counts (at the start of each environment's check, so its numbers are its own)."""
    with _LOCK:
        _COUNTS.clear()


def counts(url: str) -> tuple[int, int]:
    """(requests, errors) made to `url` since the last `reset`."""
    with _LOCK:
        requests, errors = _COUNTS.get(url, [0, 0])
    return requests, errors


@dataclass(frozen=True)
class RpcHealth:
    """One network's health: `up` from the probe, `latency` its round trip (None when it got no answer),
    `requests`/`errors` the HTTP requests of the check (probe included) and how many failed."""

    network: str
    kind: str
    up: bool
    latency: float | None
    requests: int
    errors: int


def _post(url: str, method: str, timeout: float) -> tuple[Any, float | None]:
    """(result or None, seconds until an answer or None) of one JSON-RPC call; never raises."""
    import requests

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    start = time.monotonic()
    try:
        resp = requests.post(url, data=body, timeout=timeout, stream=True,
                             headers={"Content-Type": "application/json", "User-Agent": "tempoctl"})
        elapsed = time.monotonic() - start
        with resp:  # a hostile endpoint may answer without end: read at most 64 KiB
            status, content = resp.status_code, resp.raw.read(_MAX_ANSWER, decode_content=True)
    except Exception:  # noqa: BLE001 - requests, urllib3 (read timeouts mid-body) and decoding errors alike: no answer
        record(url, False)
        return None, None
    try:
        parsed = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        parsed = None
    result = parsed.get("result") if isinstance(parsed, dict) and status < 400 else None
    record(url, result is not None)
    return result, elapsed


def probe(kind: str, url: str, *, chain_id: int | None = None, timeout: float = PROBE_TIMEOUT) -> tuple[bool, float | None]:
    """(up, latency) of one RPC: `getHealth` healthy for Stellar, `eth_chainId` equal to `chain_id` for EVM."""
    if kind == "stellar":
        result, latency = _post(url, "getHealth", timeout)
        return isinstance(result, dict) and result.get("status") == "healthy", latency
    result, latency = _post(url, "eth_chainId", timeout)
    try:
        same = isinstance(result, str) and int(result, 16) == chain_id
    except ValueError:
        same = False
    return same, latency


def network_health(networks: dict[str, Any], timeout: float = PROBE_TIMEOUT) -> list[RpcHealth]:
    """Probe every network of `networks` (name -> EvmNetwork/StellarNetwork) and add the check's counts."""
    out = []
    for name in sorted(networks):
        net = networks[name]
        up, latency = probe(net.type, net.rpc_url, chain_id=getattr(net, "chain_id", None), timeout=timeout)
        requests, errors = counts(net.rpc_url)
        out.append(RpcHealth(name, net.type, up, latency, requests, errors))
    return out
