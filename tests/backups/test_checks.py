"""Host checks reported by drift (no apply action): indexer lag read from a real PostgreSQL `indexer_state`
against a real anvil chain head, and HTTP expectations checked with curl against a real HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.backups.support import BackupWorld, make_world
from tests.support.anvil import Anvil
from tests.support.postgres import Postgres

SCHEMA = """CREATE TABLE indexer_state (id INT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  last_indexed_block BIGINT NOT NULL DEFAULT 0, last_indexed_at TIMESTAMP);"""


def _world(tmp_path: Path, postgres: Postgres, anvil: Anvil, database: str, max_blocks: int = 100) -> BackupWorld:
    world = make_world(tmp_path, postgres)
    world.extra["networks"] = {"tempo": {"type": "evm", "chain_id": anvil.chain_id, "rpc_url": anvil.url}}
    world.extra["databases"] = {"test": {"host": postgres.host, "port": postgres.port}}  # credentials go only here
    world.hosts["db-1"]["checks"] = {"indexer_lag": {"database": database, "network": "tempo",
                                                     "max_blocks": max_blocks}}
    return world


def _drift(world: BackupWorld) -> tuple[int, list[dict[str, object]]]:
    res = world.run("drift", "bk", "--format", "json")
    assert res.exit_code in (0, 2), res.output
    return res.exit_code, json.loads(res.output)["drift"]


@pytest.fixture
def indexer_db(postgres: Postgres) -> str:
    db = postgres.create_database()
    postgres.execute(db, SCHEMA)
    return db


def _head(anvil: Anvil) -> int:
    return int(str(anvil.rpc("eth_blockNumber")), 16)


def test_indexer_lag_over_max_blocks_is_drift(tmp_path: Path, postgres: Postgres, anvil: Anvil,
                                              indexer_db: str) -> None:
    snap = anvil.snapshot()
    try:
        anvil.mine(160)
        head = _head(anvil)
        postgres.execute(indexer_db, "INSERT INTO indexer_state VALUES (1, %s, now())", (head - 100,))
        world = _world(tmp_path, postgres, anvil, postgres.url(indexer_db))  # URL without password
        assert _drift(world) == (0, [])  # exactly max_blocks behind is fine

        postgres.execute(indexer_db, "UPDATE indexer_state SET last_indexed_block = %s", (head - 150,))
        code, items = _drift(world)
        assert code == 2
        [item] = items
        assert item["address"] == "db-1.check[indexer_lag]" and item["kind"] == "indexer_lag"
        assert item["actual"] == f"150 blocks behind (head {head}, indexed {head - 150})"
        assert item["corrected_by_apply"] is False

        plan = world.run("plan", "bk")
        assert plan.exit_code == 0, plan.output
        assert "db-1.check[indexer_lag]" in plan.output and "no apply action" in plan.output
        assert "No changes." in plan.output
    finally:
        anvil.revert(snap)


def test_bare_database_name_reads_libpq_environment(tmp_path: Path, postgres: Postgres, anvil: Anvil,
                                                    indexer_db: str) -> None:
    postgres.execute(indexer_db, "INSERT INTO indexer_state VALUES (1, %s, now())", (_head(anvil) + 5,))
    world = _world(tmp_path, postgres, anvil, indexer_db)  # PGHOST/PGPORT/PGUSER/PGPASSFILE from env
    assert _drift(world) == (0, [])

    del world.env["PGPASSFILE"]
    world.env["PGPASSFILE"] = str(tmp_path / "no-such-passfile")
    code, items = _drift(world)
    assert code == 2 and items[0]["kind"] == "check_failed"
    assert "database unreadable" in str(items[0]["actual"])
    assert postgres.passwords[postgres.superuser] not in json.dumps(items)


def test_missing_progress_row_is_reported(tmp_path: Path, postgres: Postgres, anvil: Anvil, indexer_db: str) -> None:
    world = _world(tmp_path, postgres, anvil, postgres.url(indexer_db))
    code, items = _drift(world)
    assert code == 2
    assert items[0]["actual"] == "indexer_state has no row with id = 1 (the indexer cannot persist progress)"


class _Api(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = {"/ready": (200, b'{"ready":true}'), "/degraded": (200, b'{"ready":false}')}.get(
            self.path, (503, b'{"detail":{"ready":false}}'))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_http_expectations(tmp_path: Path, postgres: Postgres, api: str) -> None:
    world = make_world(tmp_path, postgres)
    world.hosts["db-1"]["checks"] = {"http": [
        {"url": f"{api}/ready", "expect_status": 200, "expect_body": '"ready":true'},
        {"url": f"{api}/down", "expect_status": 200},
        {"url": f"{api}/degraded", "expect_body": '"ready":true'},
        {"url": "http://127.0.0.1:9/nothing-listens", "timeout": "2s"},
    ]}
    code, items = _drift(world)
    assert code == 2
    by_addr = {i["address"]: i for i in items}
    assert f"db-1.check[{api}/ready]" not in by_addr
    assert by_addr[f"db-1.check[{api}/down]"]["actual"] == "HTTP 503"
    assert by_addr[f"db-1.check[{api}/degraded]"]["actual"] == "HTTP 200 without the expected body"
    assert by_addr["db-1.check[http://127.0.0.1:9/nothing-listens]"]["kind"] == "check_failed"
    assert len(items) == 3
