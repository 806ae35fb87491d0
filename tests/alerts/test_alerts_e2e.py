"""End to end with real parts: `tempoctl drift --prometheus` writes the textfile, a real node_exporter exposes
it, a real Prometheus scrapes it every second and evaluates the rules `tempoctl alerts` generated from the
test's state files (thresholds and `for: 1s` from there). The test breaks things out of band: trips a breaker
with a transaction, lets the oracle's signal age in chain time (anvil's clock), ages the backup, makes the
indexer fall behind and the API answer 503, then points an RPC at a dead port. It reads `/api/v1/alerts` until
each matching alert fires, repairs, and sees it resolve. Each Grafana panel's PromQL must return series."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.backups.support import make_world, pg_backup
from tests.conftest import Workspace
from tests.support import prometheus as prom
from tests.support.anvil import DEV_KEYS, Anvil
from tests.support.contracts import OracleSignal, pair_id, send, sign_oracle_signal, web3_of
from tests.support.local_state import write_local_state
from tests.support.postgres import Postgres

DASHBOARD = Path(__file__).resolve().parents[2] / "monitoring" / "grafana" / "tempoctl.json"
SCHEMA = """CREATE TABLE indexer_state (id INT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  last_indexed_block BIGINT NOT NULL DEFAULT 0, last_indexed_at TIMESTAMP);"""
ALERTS = {"for": {"critical": "1s", "warning": "1s"}, "check_interval": "1h", "indexer_stalled_after": "3s",
          "node_job": "node", "runbook_url": "https://runbooks.example/tempovault"}
PAIR = pair_id("0x20C0000000000000000000000000000000000000", "0x20c0000000000000000000000000000000000001")


class _Api(BaseHTTPRequestHandler):
    healthy = True

    def do_GET(self) -> None:
        status, body = (200, b'{"ready":true}') if type(self).healthy else (503, b'{"ready":false}')
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def api() -> Iterator[tuple[str, type[_Api]]]:
    handler = type("Api", (_Api,), {"healthy": True})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ready", handler
    finally:
        server.shutdown()
        server.server_close()


def _signal(chain, nonce: int) -> None:  # type: ignore[no-untyped-def]
    ts = int(web3_of(chain.url).eth.get_block("latest")["timestamp"])
    signal = OracleSignal(referenceTick=0, pegDeviation=0, orderbookDepthBid=10**12, orderbookDepthAsk=10**12,
                          timestamp=ts, nonce=nonce)
    sig = sign_oracle_signal(chain.risk, chain.chain_id, PAIR, signal, DEV_KEYS[6])
    send(chain.url, chain.risk, "RiskController", "updateOracleSignal", PAIR, tuple(signal), sig, key=DEV_KEYS[9])


def _panel_queries() -> list[tuple[str, str]]:
    doc = json.loads(DASHBOARD.read_text())
    out = []
    for panel in doc["panels"]:
        for target in panel.get("targets", []):
            out.append((panel["title"], target["expr"].replace("$environment", ".+")))
    return out


def test_alerts_fire_and_resolve_on_a_real_prometheus(chain, anvil: Anvil, workspace: Workspace,  # type: ignore[no-untyped-def]
                                                      postgres: Postgres, tmp_path: Path, api) -> None:
    if not prom.available():
        pytest.fail("prometheus / prometheus-node-exporter missing: run tests/support/system-packages.sh")
    api_url, api_handler = api
    # Environment `local`: the TempoVault contracts on anvil, the oracle fresh within 60 s.
    folder = write_local_state(workspace.root / "state" / "local", chain)
    with (folder / "environment.yaml").open("a") as fh:
        fh.write(f"alerts: {json.dumps(ALERTS)}\n")
    tv = folder / "tempovault.yaml"
    tv.write_text(tv.read_text().replace("  top_up_from: admin\n", "  top_up_from: admin\n  fresh_signal_within: 60s\n"))
    # Environment `bk`: a host with an indexer check on PostgreSQL, an HTTP check, and a real pg_dump backup.
    world = make_world(tmp_path, postgres)
    world.env.update(workspace.env)
    db = postgres.create_database()
    postgres.execute(db, SCHEMA)
    head = int(str(anvil.rpc("eth_blockNumber")), 16)
    postgres.execute(db, "INSERT INTO indexer_state VALUES (1, %s, now())", (head + 100_000,))  # ahead: lag 0
    world.extra = {"networks": {"tempo": {"type": "evm", "chain_id": anvil.chain_id, "rpc_url": anvil.url}},
                   "databases": {"test": {"host": postgres.host, "port": postgres.port}}, "alerts": ALERTS}
    world.hosts["db-1"]["checks"] = {"indexer_lag": {"database": postgres.url(db), "network": "tempo",
                                                     "max_blocks": 100}, "http": [{"url": api_url}]}
    world.backups["tempovault-db"] = pg_backup(world, postgres.url(db), max_age="1h")

    assert world.run("apply", "local", "--auto-approve").exit_code == 0
    assert world.run("backup", "run", "bk", "tempovault-db").exit_code == 0
    _signal(chain, 1)
    for env in ("local", "bk"):
        r = world.run("alerts", env, "--out", f"rules/{env}.yml")
        assert r.exit_code == 0, r.output
    textfile = tmp_path / "textfile"
    textfile.mkdir()

    def drift() -> int:
        return world.run("drift", "local", "bk", "--prometheus", str(textfile / "tempoctl.prom")).exit_code

    broken = {"CircuitBreakerTriggered": {"environment": "local", "breaker": "pathUSD-AlphaUSD"},
              "OracleStale": {"environment": "local", "pair": "pathUSD-AlphaUSD"},
              "OracleNotUpdated": {"environment": "local", "pair": "pathUSD-AlphaUSD"},
              "BackupTooOld": {"environment": "bk", "backup": "tempovault-db"},
              "IndexerLagHigh": {"environment": "bk", "host": "db-1"},
              "IndexerStalled": {"environment": "bk", "host": "db-1"},
              "ApiUnhealthy": {"environment": "bk", "host": "db-1"}}
    with prom.node_exporter(textfile) as target, \
            prom.prometheus(tmp_path, target, [tmp_path / "rules" / "local.yml", tmp_path / "rules" / "bk.yml"]) as p:
        assert drift() in (0, 2)
        p.wait("the first scrape", lambda: len(p.query("tempoctl_drift_check_success == 1")) == 2)
        time.sleep(3)  # every `for: 1s` has passed: nothing below may be firing yet
        assert not [a for a in p.alerts() if a["labels"]["alertname"] in broken or
                    a["labels"]["alertname"] == "RPCDown"]

        # Break: all at once, out of band.
        send(chain.url, chain.risk, "RiskController", "triggerCircuitBreaker", PAIR, key=DEV_KEYS[1])
        anvil.rpc("evm_increaseTime", [400])  # the relay sends nothing for 400 s of chain time
        anvil.mine(1)
        [dump] = [f for f in world.dest.iterdir() if f.name.endswith(".sql.gz")]
        old = time.time() - 2 * 3600
        os.utime(dump, (old, old))
        head = int(str(anvil.rpc("eth_blockNumber")), 16)
        postgres.execute(db, "UPDATE indexer_state SET last_indexed_block = %s", (head - 150,))
        api_handler.healthy = False
        assert drift() == 2
        took = p.wait("every broken thing to fire", lambda: all(p.firing(n, **lb) for n, lb in broken.items()))
        print(f"all {len(broken)} alerts firing {took:.1f}s after the drift check")
        [breaker] = p.firing("CircuitBreakerTriggered")
        assert breaker["labels"]["severity"] == "critical" and breaker["labels"]["contract"] == "risk"
        assert breaker["annotations"]["runbook_url"] == "https://runbooks.example/tempovault#circuitbreakertriggered"
        assert p.firing("OracleStale")[0]["labels"]["severity"] == "warning"
        assert not p.firing("CircuitBreakerTriggered", breaker="legacy-pair")  # declared broken: as desired

        for title, expr in _panel_queries():  # the dashboard: every panel's query returns series now
            assert p.query(expr), f"Grafana panel {title!r}: {expr} returned no series"

        # Repair: apply resets the breaker; a new signal; a new backup; the indexer catches up; the API is back.
        assert world.run("apply", "local", "--auto-approve").exit_code == 0
        _signal(chain, 2)
        assert world.run("backup", "run", "bk", "tempovault-db").exit_code == 0
        postgres.execute(db, "UPDATE indexer_state SET last_indexed_block = %s", (head + 100_000,))
        api_handler.healthy = True
        drift()
        took = p.wait("every alert to resolve", lambda: not [a for a in p.alerts()
                                                             if a["labels"]["alertname"] in broken])
        print(f"all resolved {took:.1f}s after the drift check")

        # The RPC of `local` goes away: its check fails, the probe says down.
        world.env["TEMPOCTL_LOCAL_RPC"] = "http://127.0.0.1:9"
        assert drift() == 1
        p.wait("RPCDown", lambda: bool(p.firing("RPCDown", environment="local", network="anvil")))
        assert p.firing("DriftCheckFailed", environment="local")
        assert p.firing("RPCDown")[0]["labels"]["severity"] == "critical"
        del world.env["TEMPOCTL_LOCAL_RPC"]
        drift()
        p.wait("RPCDown to resolve", lambda: not [a for a in p.alerts() if a["labels"]["alertname"] == "RPCDown"])
