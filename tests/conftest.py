"""Shared fixtures: one real anvil per test session, TempoVault deployed once, a snapshot reverted after
each test; a temp working directory per test so nothing touches the repository or $HOME."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.support.anvil import DEV_KEYS, Anvil, anvil_available, start_anvil
from tests.support.postgres import postgres  # noqa: F401 - one PostgreSQL server per session, for every folder
from tests.support.sshd import sshd  # noqa: F401 - one sshd per session, for every folder


@pytest.fixture(scope="session")
def anvil() -> Iterator[Anvil]:
    if not anvil_available():
        pytest.fail("anvil is not installed: run `make test` (it installs tests/evm/node_modules)")
    with start_anvil(42431) as node:
        yield node


@pytest.fixture(scope="session")
def deployment(anvil: Anvil):  # type: ignore[no-untyped-def]
    from tests.support.contracts import deploy_tempovault

    return deploy_tempovault(anvil.url, chain_id=42431)


@pytest.fixture
def chain(anvil: Anvil, deployment):  # type: ignore[no-untyped-def]
    """The deployed chain, reverted to the fresh deployment after the test."""
    snap = anvil.snapshot()
    yield deployment
    anvil.revert(snap)
    # evm_revert also rewinds anvil's clock to the snapshot: realign it with the wall clock, or every later
    # block lags by the time earlier tests took (a relay signing with the local clock is then "in the future").
    anvil.rpc("evm_setTime", [int(time.time())])


@dataclass
class Workspace:
    root: Path
    env: dict[str, str]

    def run(self, *args: str) -> Result:
        from tempoctl.cli import main

        old = Path.cwd()
        os.chdir(self.root)
        try:
            return CliRunner().invoke(main, list(args), env=self.env, catch_exceptions=False)
        finally:
            os.chdir(old)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    env = {"LOCAL_ADMIN_KEY": DEV_KEYS[0], "LOCAL_RISK_OFFICER_KEY": DEV_KEYS[1], "LOCAL_EMERGENCY_KEY": DEV_KEYS[2],
           "TEMPOCTL_CRASH_DIR": str(tmp_path / "crash")}
    return Workspace(tmp_path, env)


@pytest.fixture(autouse=True)
def _fresh_hidden_values() -> Iterator[None]:
    """Values expanded from ${VAR} are hidden from rendered output per process (tempoctl.safetext); a test
    must not inherit those of the tests before it."""
    from tempoctl.safetext import reset_hidden

    reset_hidden()
    yield
    reset_hidden()
