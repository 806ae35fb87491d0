"""Two applies started together on one environment (DESIGN §7, §11): with `--lock-timeout 0` one fails
at once naming the holder; with a timeout the second waits, then finds nothing left to do. Never do their
steps interleave, and every intended call is on chain exactly once. On both backend flavours."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tempoctl.backend import open_backend
from tests.support.anvil import DEV_KEYS, Anvil
from tests.team.apply_zygote import Zygote
from tests.team.test_crash_resume import _state, _txs_since


@pytest.fixture(scope="module")
def zygote() -> Zygote:
    z = Zygote()
    yield z  # type: ignore[misc]
    z.close()


def _workspace(root: Path, chain, backend_spec: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    import os

    folder = root / "state" / "local"
    _state(folder, chain)
    env_file = folder / "environment.yaml"
    env_file.write_text(env_file.read_text().replace("backend: sqlite:///.tempoctl/local.db", f"backend: {backend_spec}"))
    pg = {k: v for k, v in os.environ.items() if k.startswith("PG")}  # set by the backend_spec fixture
    return {"LOCAL_ADMIN_KEY": DEV_KEYS[0], "LOCAL_RISK_OFFICER_KEY": DEV_KEYS[1], "LOCAL_EMERGENCY_KEY": DEV_KEYS[2],
            "HOME": str(root / "home"), "TEMPOCTL_CRASH_DIR": str(root / "crash"), **pg}


@pytest.mark.parametrize("wait", [False, True], ids=["fail-at-once", "lock-timeout"])
def test_two_applies_started_together_never_interleave(anvil: Anvil, chain, backend_spec: str,  # type: ignore[no-untyped-def]
                                                       zygote: Zygote, tmp_path: Path, wait: bool) -> None:
    root = Path.cwd()  # backend_spec chdir'd into tmp_path: the sqlite file lives here
    env = _workspace(root, chain, backend_spec)
    first = int(str(anvil.rpc("eth_blockNumber")), 16) + 1
    extra = ["--lock-timeout", "2m"] if wait else []
    outs = [tmp_path / "a.out", tmp_path / "b.out"]
    pids = [zygote.run(root, env, "apply", "local", "--auto-approve", *extra, out=o) for o in outs]
    codes = [zygote.wait(p) for p in pids]
    texts = [o.read_text() for o in outs]

    with open_backend(backend_spec) as backend:
        audit = backend.applies("local")
        journal = backend.journal_entries("local")
    if wait:
        assert codes == [0, 0], texts
        assert sorted(a["outcome"] for a in audit) == ["nothing to do", "ok"]
    else:
        assert sorted(codes) == [0, 1], texts
        winner, loser = (0, 1) if codes[0] == 0 else (1, 0)
        assert "environment local is locked by another operation" in texts[loser]
        # The loser names the holder: its lock ID, user@host and pid, and how to wait.
        assert f"(pid {pids[winner]})" in texts[loser] and "Operation: apply local" in texts[loser]
        assert "--lock-timeout" in texts[loser]
        assert [a["outcome"] for a in audit] == ["ok"]
    # Journal rows of one apply form one contiguous run: no step of one apply between two of the other.
    runs = [k for k, _ in _groupby(e["apply_id"] for e in journal)]
    assert len(runs) == len(set(runs)) == 1
    txs = _txs_since(anvil, first)
    calls = Counter((str(t["to"]).lower(), str(t["input"]).lower()) for t in txs)
    assert len(txs) == 20 and set(calls.values()) == {1}


def _groupby(items):  # type: ignore[no-untyped-def]
    from itertools import groupby

    return groupby(items)


def test_lock_status_and_release_from_the_cli(chain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from tempoctl.backend.holder import LockHolder
    from tempoctl.cli import main

    monkeypatch.chdir(tmp_path)
    _state(tmp_path / "state" / "local", chain)
    run = CliRunner().invoke
    r = run(main, ["lock", "status", "local"])
    assert r.exit_code == 0 and "local is not locked" in r.output
    stuck = LockHolder("local", "0123456789ab", "ci", "runner-7", 4242, "", "apply local", "2026-11-23T10:00:00Z")
    with open_backend("sqlite:///.tempoctl/local.db") as b:
        b._write_holder(stuck)
    r = run(main, ["lock", "status", "local"])
    assert r.exit_code == 0 and "ci@runner-7 (pid 4242)" in r.output and "0123456789ab" in r.output
    r = run(main, ["apply", "local", "--auto-approve"], env={"LOCAL_ADMIN_KEY": DEV_KEYS[0]})
    assert r.exit_code == 1 and "locked by another operation" in r.stderr
    assert "tempoctl lock release local --id 0123456789ab" in r.stderr
    r = run(main, ["apply", "local", "--auto-approve", "--lock-timeout", "soon"])
    assert r.exit_code == 1 and "not a duration" in r.stderr
    r = run(main, ["lock", "release", "local", "--id", "0123456789ab"], input="no\n")
    assert r.exit_code == 1  # no terminal: confirmation needed
    r = run(main, ["lock", "release", "local", "--id", "ffffffffffff", "--yes"])
    assert r.exit_code == 1 and "not ffffffffffff" in r.stderr
    r = run(main, ["lock", "release", "local", "--id", "0123456789ab", "--yes"])
    assert r.exit_code == 0 and "Released lock 0123456789ab" in r.output
    assert "local is not locked" in run(main, ["lock", "status", "local"]).output


def test_saved_plan_refused_after_an_out_of_band_change_sends_nothing_and_is_audited(  # type: ignore[no-untyped-def]
        anvil: Anvil, chain, backend_spec: str) -> None:
    from click.testing import CliRunner

    from tempoctl.cli import main
    from tests.support.anvil import DEV_ADDRESSES as A
    from tests.support.contracts import grant_role

    root = Path.cwd()
    env = _workspace(root, chain, backend_spec)
    run = CliRunner().invoke
    assert run(main, ["plan", "local", "--out", "plans/local.json"], env=env).exit_code == 0
    grant_role(chain.url, chain.governance, "TREASURY_MANAGER", A[9])  # by hand, from a console
    first = int(str(anvil.rpc("eth_blockNumber")), 16) + 1
    r = run(main, ["apply", "plans/local.json"], env=env)
    assert r.exit_code == 1 and "Saved plan is stale" in r.stderr
    assert "governance.role.TREASURY_MANAGER: was []" in r.stderr and A[9] in r.stderr
    assert _txs_since(anvil, first) == []
    with open_backend(backend_spec) as backend:
        [audit] = backend.applies("local")
        assert backend.lock_status("local") is None  # released after the refusal
    assert audit["outcome"] == "failed" and "stale" in audit["error"] and audit["steps"] == []
