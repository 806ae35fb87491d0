"""Fixtures for host tests: the stand-in systemctl's state file per test (the session's sshd is registered in tests/conftest.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.sshd import STAND_IN_BIN, Sshd


@pytest.fixture
def units(sshd: Sshd, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The stand-in systemctl's unit file, empty; PATH puts the stand-in first for local commands too.

    Over ssh the server's SetEnv names the same file, so local and remote commands see the same units.
    A started unit must stay up 0.5 s (TEMPOCTL_SERVICE_SETTLE) before apply counts it as up.
    Every unit still running at the end is stopped (the stand-in really runs their processes).
    """
    state = sshd.systemctl_state
    state.write_text(json.dumps({"units": {}}))
    monkeypatch.setenv("PATH", f"{STAND_IN_BIN}:{os.environ['PATH']}")
    monkeypatch.setenv("TEMPOCTL_TEST_SYSTEMCTL_STATE", str(state))
    monkeypatch.setenv("TEMPOCTL_SSH_CONFIG", str(sshd.client_config))
    monkeypatch.setenv("TEMPOCTL_SERVICE_SETTLE", "0.5")  # units without `settle:` are watched 0.5 s, not 3 s
    yield state
    data = json.loads(state.read_text() or "{}")
    for unit in data.get("units", {}).values():
        pid = unit.get("pid") or 0
        if pid:
            try:
                os.killpg(pid, 15)
            except OSError:
                pass

