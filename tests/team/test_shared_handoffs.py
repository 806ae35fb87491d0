"""Hand-offs live in the shared backend: a Safe batch proposed by one operator (or the CI runner that applied
on merge) shows as awaiting multisig execution on every other machine, and is never proposed twice."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.support.anvil import DEV_KEYS, Anvil
from tests.support.contracts import grant_role
from tests.support.postgres import Postgres
from tests.test_safe_batches import SAFE, batches, execute_as_safe, plan_json, safe_state


def _clone(ws: Workspace, root: Path) -> Workspace:
    """Another operator's checkout: the same state files, nothing else (no .tempoctl/, no plans/)."""
    shutil.copytree(ws.root / "state", root / "state")
    return Workspace(root, dict(ws.env))


def test_a_safe_batch_proposed_on_one_machine_awaits_on_another(  # type: ignore[no-untyped-def]
        anvil: Anvil, chain, postgres: Postgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in postgres.env().items():
        monkeypatch.setenv(k, v)
    url = postgres.url(postgres.create_database())
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    # No key for the admin: it is a Safe, its steps are handed off.
    first = Workspace(tmp_path / "laptop", {"LOCAL_RISK_OFFICER_KEY": DEV_KEYS[1], "LOCAL_EMERGENCY_KEY": DEV_KEYS[2]})
    first.root.mkdir()
    grant_role(chain.url, chain.governance, "ADMIN", SAFE)  # the Safe already administers governance
    safe_state(first, chain)
    env_file = first.root / "state" / "local" / "environment.yaml"
    env_file.write_text(env_file.read_text().replace("backend: sqlite:///.tempoctl/local.db", f"backend: {url}"))
    assert url in env_file.read_text()

    r = first.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output
    [batch_file] = batches(first)
    handed = {c["address"] for c in plan_json(first)["changes"] if c.get("pending")}
    assert handed, "the Safe's changes await multisig execution on the machine that proposed them"

    second = _clone(first, tmp_path / "ci-runner")
    assert {c["address"] for c in plan_json(second)["changes"] if c.get("pending")} == handed
    r = second.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert r.output.count("awaiting multisig execution:") == len(handed)
    assert batches(second) == [], "the second machine must not propose the same batch again"
    assert not (second.root / ".tempoctl").exists() or not list((second.root / ".tempoctl").glob("*.db"))

    execute_as_safe(anvil, json.loads(batch_file.read_text()))
    r = second.run("apply", "local", "--auto-approve")  # what waited for the Safe (the breaker) runs now
    assert r.exit_code == 0, r.output
    assert "Re-plan after apply: no changes" in r.output
    assert first.run("plan", "local", "--detailed-exitcode").exit_code == 0
    from tempoctl.backend import open_backend

    with open_backend(url) as backend:
        assert backend.pending_records("local") == {}  # executed hand-offs are forgotten, for everyone
