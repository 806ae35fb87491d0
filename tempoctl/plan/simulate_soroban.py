"""Simulate each Soroban step as its source account at plan time (`simulateTransaction`), so a plan shows
`Unauthorized (Error(Contract, #3))` before anything is sent, and carries the assembled unsigned XDR.

Steps from one source get consecutive sequence numbers in plan order, so the XDRs of a plan could be
signed and submitted as they are. A step that only makes sense after an earlier one (the `accept_admin`
after its `propose_admin`) is marked skipped and simulated again just before sending.
"""

from __future__ import annotations

from typing import Any

from tempoctl.plan.model import Change, Simulation

SOROBAN_KINDS = ("soroban_invocation", "soroban_extend_ttl")


def simulate_soroban(changes: list[Change], clients: dict[str, Any]) -> None:
    from tempoctl.observed.stellar.tx import TxBuilder

    builders: dict[str, TxBuilder] = {}
    for c in changes:
        for i, s in enumerate(c.steps):
            if s.kind not in SOROBAN_KINDS:
                continue
            source = s.fields.get("source")
            if not source:
                s.simulation = Simulation(status="error", error="no declared Stellar signer can send this step; "
                                                                "declare one or set `signer:` on the contract")
                continue
            net = s.fields["network"]
            tb = builders.setdefault(net, TxBuilder(clients[net], s.fields["passphrase"]))
            sim = tb.simulate(s.fields)
            if sim.ok:
                tb.consume(source)
                s.simulation = Simulation(status="ok", fee=sim.fee, sender=source)
                s.fields["xdr"] = sim.envelope.to_xdr()
            elif i > 0 or c.depends_on:
                s.simulation = Simulation(status="skipped", sender=source, error=sim.error,
                                          note="runs after an earlier step of this plan; simulated again before sending")
            else:
                s.simulation = Simulation(status="revert", sender=source, error=sim.error)
