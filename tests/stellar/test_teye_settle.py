"""Resume after a crash on Stellar: a Soroban transaction journalled as sent, whose receipt the crashed
apply never recorded, is settled from the RPC (its result recorded) before the next apply plans."""

from __future__ import annotations

import sqlite3

from tempoctl.backend import open_backend
from tests.stellar.conftest import Teye


def test_a_sent_soroban_transaction_without_receipt_is_settled_not_resent(teye: Teye) -> None:
    m1 = teye.others[0].public_key
    teye.write(whitelist=[m1])
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    db = teye.ws.root / ".tempoctl" / "teye-local.db"
    with sqlite3.connect(db) as conn:  # as if the apply died between sending and reading the result
        [(tx_hash,)] = conn.execute("SELECT tx_hash FROM journal WHERE event = 'intent' AND address LIKE "
                                    "'%whitelist[%' ORDER BY id LIMIT 1").fetchall()
        conn.execute("DELETE FROM journal WHERE event = 'receipt' AND tx_hash = ?", (tx_hash,))
    res = teye.ws.run("apply", "teye-local", "--auto-approve")
    assert res.exit_code == 0, res.output
    assert "Settling 1 transaction(s)" in res.output and f"{tx_hash} SUCCESS in ledger" in res.output
    assert "No changes" in res.output  # the settled transaction's effect is live: nothing is sent again
    with open_backend("sqlite:///.tempoctl/teye-local.db", teye.ws.root) as backend:
        assert backend.unsettled("teye-local") == []
    assert teye.contract.view("is_whitelisted", m1) is True
