"""An apply that stops part way exits 3, and the next apply resumes from the journal (DESIGN §6, §7).

The nastiest stop: the node accepted (and mined) a transaction, but the answer never came back (TCP reset
after the upstream did the work, on every retry). The journal holds the intent; the next apply must find
that transaction by hash and record it as mined instead of sending the change again."""

from __future__ import annotations

import json
from collections import Counter

from tempoctl.backend import open_backend
from tests.conftest import Workspace
from tests.support.anvil import Anvil
from tests.support.local_state import write_local_state
from tests.support.rpc_proxy import Fault, RpcProxy
from tests.team.test_crash_resume import _txs_since


def test_lost_send_answer_stops_with_exit_3_and_the_next_apply_settles_it(  # type: ignore[no-untyped-def]
        anvil: Anvil, chain, workspace: Workspace) -> None:
    write_local_state(workspace.root / "state" / "local", chain)
    first = int(str(anvil.rpc("eth_blockNumber")), 16) + 1
    lost = Fault("reset", method="eth_sendRawTransaction", after_upstream=True, limit=10)
    with RpcProxy(anvil.url, rules=[lost]) as proxy:
        workspace.env["TEMPOCTL_LOCAL_RPC"] = proxy.url
        r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 3, r.output
    assert "apply stopped" in r.stderr
    reached = _txs_since(anvil, first)
    # The first wave went out as one JSON-RPC batch: the node has all of it; tempoctl never heard back.
    assert len(reached) > 1
    n = len(reached)

    del workspace.env["TEMPOCTL_LOCAL_RPC"]
    # A plan made meanwhile (a PR, the drift job) warns that a send may already be on chain.
    r = workspace.run("plan", "local")
    assert f"stopped with {n} transaction(s) journalled but not settled" in r.output, r.output
    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert f"Settling {n} transaction(s)" in r.output and "mined in block" in r.output and "re-sent" not in r.output
    assert "Re-plan after apply: no changes" in r.output
    txs = _txs_since(anvil, first)
    calls = Counter((str(t["to"]).lower(), str(t["input"]).lower()) for t in txs)
    assert len(txs) == 14 and set(calls.values()) == {1}
    with open_backend("sqlite:///.tempoctl/local.db", workspace.root) as backend:
        outcomes = [a["outcome"] for a in backend.applies("local")]
        assert backend.unsettled("local") == []
    assert outcomes == ["ok", "partial"]  # newest first

    assert "journalled but not settled" not in workspace.run("plan", "local").output

    # The audit trail: the lost sends belong to the partial apply, and were settled by the next one.
    newest, oldest = json.loads(workspace.run("history", "local", "--format", "json").stdout)["applies"]
    assert (oldest["outcome"], newest["outcome"]) == ("partial", "ok")
    lost = [s for s in oldest["steps"] if s.get("settled_by")]
    assert {s["settled_by"] for s in lost} == {newest["apply_id"]} and {s["status"] for s in lost} == {"mined"}
    assert {s["tx_hash"] for s in lost} == {t["hash"] for t in reached} and newest["settled"] == [oldest["apply_id"]]
    assert sum(s["status"] == "mined" for s in newest["steps"]) == 14 - n
    text = workspace.run("history", "local").output
    assert f"settled by apply {newest['apply_id']}" in text and "partial" in text
    assert reached[0]["input"][2:] not in text  # signed bytes and calldata stay in the journal


def test_losing_the_postgresql_backend_mid_apply_stops_cleanly_with_exit_3_and_resumes(  # type: ignore[no-untyped-def]
        anvil: Anvil, chain, postgres, tmp_path, monkeypatch) -> None:
    """The journal is written before every send, so when the backend's connection dies nothing more is sent:
    the apply stops with exit 3 and a clean message, and the next apply settles and finishes."""
    import time
    from pathlib import Path

    from tests.team.apply_zygote import Zygote
    from tests.team.test_concurrent_apply import _workspace

    monkeypatch.chdir(tmp_path)
    for k, v in postgres.env().items():
        monkeypatch.setenv(k, v)
    backend_spec = postgres.url(postgres.create_database())
    root = Path.cwd()
    env = _workspace(root, chain, backend_spec)
    db = backend_spec.rsplit("/", 1)[1]
    first = int(str(anvil.rpc("eth_blockNumber")), 16) + 1
    slow = Fault("delay", method="eth_sendRawTransaction", delay_ms=150)
    zygote = Zygote()
    try:
        with RpcProxy(anvil.url, rules=[slow]) as proxy:
            out = tmp_path / "apply.out"
            pid = zygote.run(root, {**env, "TEMPOCTL_LOCAL_RPC": proxy.url}, "apply", "local", "--auto-approve",
                             out=out)
            deadline = time.monotonic() + 60
            while len(_txs_since(anvil, first)) < 3:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            import psycopg

            with psycopg.connect(backend_spec, autocommit=True) as admin:
                killed = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                       "application_name = 'tempoctl' AND datname = %s", (db,)).fetchall()
            assert killed
            code = zygote.wait(pid)
        text = out.read_text()
    finally:
        zygote.close()
    assert code == 3, text
    assert "Error: apply stopped" in text and "Traceback" not in text and "internal error" not in text
    stopped_at = len(_txs_since(anvil, first))
    assert stopped_at < 20

    from click.testing import CliRunner

    from tempoctl.cli import main

    r = CliRunner().invoke(main, ["apply", "local", "--auto-approve"], env=env)
    assert r.exit_code == 0, r.output
    assert "Re-plan after apply: no changes" in r.output
    txs = _txs_since(anvil, first)
    calls = Counter((str(t["to"]).lower(), str(t["input"]).lower()) for t in txs)
    assert len(txs) == 20 and set(calls.values()) == {1}
