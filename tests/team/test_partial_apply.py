"""An apply that stops part way exits 3, and the next apply resumes from the journal (DESIGN §6, §7).

The nastiest stop: the node accepted (and mined) a transaction, but the answer never came back (TCP reset
after the upstream did the work, on every retry). The journal holds the intent; the next apply must find
that transaction by hash and record it as mined instead of sending the change again."""

from __future__ import annotations

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
    assert len(reached) == 1  # the node has it; tempoctl never heard back

    del workspace.env["TEMPOCTL_LOCAL_RPC"]
    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert "Settling 1 transaction(s)" in r.output and "mined in block" in r.output and "re-sent" not in r.output
    assert "Re-plan after apply: no changes" in r.output
    txs = _txs_since(anvil, first)
    calls = Counter((str(t["to"]).lower(), str(t["input"]).lower()) for t in txs)
    assert len(txs) == 14 and set(calls.values()) == {1}
    with open_backend("sqlite:///.tempoctl/local.db", workspace.root) as backend:
        outcomes = [a["outcome"] for a in backend.applies("local")]
        assert backend.unsettled("local") == []
    assert outcomes == ["ok", "partial"]  # newest first
