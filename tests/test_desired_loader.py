"""The example environment loads, merges and normalises; the public API behaves as documented; importing the
desired stage stays light; the committed schemas/ are fresh."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tempoctl.desired import DesiredEnvironment, load_environment, resolve_environment
from tempoctl.desired.models import AccessControlContract, CustomContract
from tempoctl.desired.schema import write_schemas
from tempoctl.errors import ConfigError, ValidationError
from tests.test_desired_support import DATA, EXAMPLE, REPO, make_env


def test_example_environment_loads_with_defaults() -> None:
    env = load_environment(EXAMPLE, environ={}, cwd=REPO)
    assert isinstance(env, DesiredEnvironment)
    assert env.name == "tempo-testnet" and env.root == EXAMPLE
    assert [f.name for f in env.files] == sorted(f.name for f in EXAMPLE.glob("*.yaml"))
    assert env.digest.startswith("sha256:") and len(env.digest) == 71
    s = env.state
    assert s.environment == "tempo-testnet"
    assert s.networks["tempo"].rpc_url == "https://rpc.moderato.tempo.xyz"
    assert s.backend == "sqlite:///.tempoctl/tempo-testnet.db"
    gov = s.contracts["governance"]
    assert isinstance(gov, AccessControlContract)
    assert gov.roles["ADMIN"] == ["0x5b891B43c5a555Cd37FD93892c8990F4b2Eb3E71"]
    breaker = s.contracts["risk"].circuit_breakers["pathUSD-AlphaUSD"]  # type: ignore[union-attr]
    assert breaker.tokens[1] == "0x20C0000000000000000000000000000000000001"  # checksummed
    assert s.backups["tempovault-db"].max_age == 26 * 3600
    assert s.oracle is not None and s.oracle.fresh_signal_within == 120


def test_environment_variables_expand() -> None:
    env = load_environment(EXAMPLE, environ={"TEMPO_RPC_URL": "http://127.0.0.1:8545"}, cwd=REPO)
    assert env.state.networks["tempo"].rpc_url == "http://127.0.0.1:8545"


def test_escape_and_empty_default(tmp_path: Path) -> None:
    # A free-text field: env-file values may not hold "$" at all (every reader must read them the same).
    edits = [("hosts.yaml", "expect_status: 200}", 'expect_status: 200, expect_body: "$${X} ${EMPTY:-d}"}')]
    env = load_environment(make_env(tmp_path, edits), environ={"EMPTY": ""}, cwd=tmp_path)
    checks = env.state.hosts["vault-1"].checks
    assert checks is not None and checks.http[0].expect_body == "${X} d"


def test_lookup_by_name_and_where(tmp_path: Path) -> None:
    env = load_environment("tempo-testnet", environ={}, cwd=REPO)
    assert (
        env.where("contracts", "governance", "roles", "ADMIN", 0)
        == "state/tempo-testnet/tempovault.yaml:10:15"  # line 1 is the editor modeline
    )
    # falls back to the nearest ancestor with a position
    assert env.where("contracts", "governance", "roles", "ORACLE", 0).startswith(
        "state/tempo-testnet/tempovault.yaml:"
    )
    assert env.where("backups", "tempovault-db", "schedule") == "state/tempo-testnet/backups.yaml:7:15"
    assert resolve_environment("tempo-testnet", REPO) == REPO / "state" / "tempo-testnet"
    with pytest.raises(ConfigError):
        resolve_environment("nope", tmp_path)


def test_digest_changes_with_content(tmp_path: Path) -> None:
    a = load_environment(make_env(tmp_path / "a"), environ={}).digest
    b = load_environment(
        make_env(tmp_path / "b", [("hosts.yaml", "max_blocks: 100", "max_blocks: 101")]), environ={}
    ).digest
    assert a != b
    assert a == load_environment(make_env(tmp_path / "c"), environ={}).digest


def test_custom_contract_merges(tmp_path: Path) -> None:
    env_dir = make_env(tmp_path, extra={"custom.yml": (DATA / "custom-contract.yaml").read_text()})
    env = load_environment(env_dir, environ={}, cwd=tmp_path)
    legacy = env.state.contracts["legacy_risk"]
    assert isinstance(legacy, CustomContract)
    assert legacy.settings["breaker_eth_usd"].value is False
    assert env.where("contracts", "legacy_risk", "settings", "oracle", "read") == "env/custom.yml:11:15"


def test_empty_file_is_fine(tmp_path: Path) -> None:
    load_environment(make_env(tmp_path, extra={"empty.yaml": "# nothing yet\n"}), environ={})


def test_error_never_a_traceback_for_binary(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    (env / "bin.yaml").write_bytes(b"hosts:\n  \xff\xfe: 1\n")
    with pytest.raises(ValidationError) as info:
        load_environment(env, environ={}, cwd=tmp_path)
    assert info.value.diagnostics[0].where == "env/bin.yaml:2:3"


def test_import_does_not_pull_web3_or_stellar_sdk() -> None:
    code = (
        "import sys, tempoctl.desired as d\n"
        "d.load_environment(sys.argv[1], environ={})\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('web3', 'eth_account', 'eth_utils', 'eth_abi', 'stellar_sdk'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(EXAMPLE)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_committed_schemas_are_fresh(tmp_path: Path) -> None:
    for path in write_schemas(tmp_path):
        committed = REPO / "schemas" / path.name
        assert committed.read_text() == path.read_text(), (
            f"{committed} is stale: run `python -m tempoctl.desired.schema schemas`"
        )
