"""Simulate each Soroban step as its source account at plan time (`simulateTransaction`), so a plan shows
`Unauthorized (Error(Contract, #3))` before anything is sent, and carries the assembled unsigned XDR.

Steps from one source get consecutive sequence numbers in plan order, so the XDRs of a plan could be
signed and submitted as they are. A step that only makes sense after an earlier one (the `accept_admin`
after its `propose_admin`) is marked skipped and simulated again just before sending.
"""

from __future__ import annotations

from typing import Any

from tempoctl.core.steps import SOROBAN_TX_KINDS, SorobanTx
from tempoctl.plan.model import Change, Simulation, Step

SOROBAN_KINDS = SOROBAN_TX_KINDS


def simulate_soroban(changes: list[Change], clients: dict[str, Any]) -> None:
    from tempoctl.observed.stellar.tx import TxBuilder

    todo: dict[str, list[tuple[int, Change, Step, SorobanTx]]] = {}
    for c in changes:
        for i, s in enumerate(c.steps):
            if s.kind not in SOROBAN_KINDS:
                continue
            tx = SorobanTx.of(s)
            if not tx.source:
                s.simulation = Simulation(status="error", error="no declared Stellar signer can send this step; "
                                                                "declare one or set `signer:` on the contract")
                continue
            todo.setdefault(tx.network, []).append((i, c, s, tx))
    for net, items in todo.items():
        tb = TxBuilder(clients[net], items[0][3].passphrase)
        raws = tb.simulate_many([tx for *_, tx in items])
        for (i, c, s, tx), raw in zip(items, raws):
            source = tx.source
            if raw.ok:
                sim = tb.assemble(tx, raw)  # in plan order: consecutive sequence numbers per source
                tb.consume(str(source))
                s.simulation = Simulation(status="ok", fee=sim.fee, sender=source)
                s.fields["xdr"] = sim.envelope.to_xdr()  # not approved, never read by apply (plan/compare.py)
            elif i > 0 or c.depends_on:
                s.simulation = Simulation(status="skipped", sender=source, error=raw.error,
                                          note="runs after an earlier step of this plan; simulated again before sending")
            else:
                s.simulation = Simulation(status="revert", sender=source, error=raw.error)
