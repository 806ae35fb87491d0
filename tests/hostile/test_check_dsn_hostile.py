"""Issue 12 item 3: a check's database must be a server declared with its host and port; libpq's
credentials (PGPASSWORD in clear text when a listener asks for it) are sent nowhere else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.backups.support import make_world
from tests.hostile.test_checks_hostile import _Listener
from tests.support.anvil import Anvil
from tests.support.postgres import Postgres

PASSWORD = "pgpassword-from-env-0123456789"


@pytest.fixture
def listener() -> _Listener:
    lst = _Listener()
    yield lst  # type: ignore[misc]
    lst.close()


def test_a_dsn_pointed_at_a_listener_gets_no_password(tmp_path: Path, postgres: Postgres, anvil: Anvil,
                                                       listener: _Listener) -> None:
    """The reported attack: the DSN came from the YAML and libpq sent PGPASSWORD to a listener during drift."""
    world = make_world(tmp_path, postgres)
    world.env["PGPASSWORD"] = PASSWORD
    world.extra["networks"] = {"tempo": {"type": "evm", "chain_id": anvil.chain_id, "rpc_url": anvil.url}}
    world.hosts["db-1"]["checks"] = {"indexer_lag": {
        "database": f"postgresql://victim@127.0.0.1:{listener.port}/x?sslmode=disable", "network": "tempo",
        "max_blocks": 1}}
    for cmd in (("validate", "bk"), ("drift", "bk", "--format", "json"), ("plan", "bk")):
        res = world.run(*cmd)
        assert res.exit_code == 1, res.output
        assert f"127.0.0.1:{listener.port} is not declared" in res.output
        assert PASSWORD not in res.output
    assert listener.received == b""


@pytest.mark.parametrize("dsn", ["postgresql://u@127.0.0.1:5432/x?hostaddr=10.0.0.1",
                                 "postgresql://u@127.0.0.1:5432,evil.example:5432/x",
                                 "host=evil.example dbname=x", "postgresql://u@127.0.0.1:5432/x?passfile=/tmp/p"])
def test_dsn_tricks_are_refused(tmp_path: Path, postgres: Postgres, anvil: Anvil, dsn: str) -> None:
    world = make_world(tmp_path, postgres)
    world.extra["networks"] = {"tempo": {"type": "evm", "chain_id": anvil.chain_id, "rpc_url": anvil.url}}
    world.hosts["db-1"]["checks"] = {"indexer_lag": {"database": dsn, "network": "tempo", "max_blocks": 1}}
    res = world.run("validate", "bk")
    assert res.exit_code == 1 and "database" in res.output, res.output


def test_the_check_itself_refuses_an_undeclared_server(tmp_path: Path, postgres: Postgres, anvil: Anvil,
                                                        listener: _Listener, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: even a state that skipped validate never connects to an undeclared server."""
    from tempoctl.desired.models import IndexerLagCheck
    from tempoctl.observed.checks import read_indexer_lag
    from tempoctl.observed.observation import Observation, ObservedValues

    world = make_world(tmp_path, postgres)
    world.extra["networks"] = {"tempo": {"type": "evm", "chain_id": anvil.chain_id, "rpc_url": anvil.url}}
    world.write()
    from tempoctl.desired import load_environment

    monkeypatch.chdir(world.root)
    env = load_environment(world.state_dir)
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    check = IndexerLagCheck.model_construct(database=f"postgresql://v@127.0.0.1:{listener.port}/x",
                                            network="tempo", max_blocks=1)
    out = read_indexer_lag(env, check, Observation(observed=ObservedValues()))
    assert "not connecting" in json.dumps(out)
    assert listener.received == b""
