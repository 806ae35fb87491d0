"""Simulate each EVM step as its real signer at the plan's pinned block, so a plan shows reverts up front.

All steps of a network go in one `eth_call` batch (from = the signer's address; for a Safe, the Safe
itself, which is `msg.sender` when the batch executes). Gas is estimated for the steps that pass. A step
whose change waits on another change of the plan (its signer gets its role earlier in the plan) cannot be
simulated in isolation; it is marked skipped and simulated again just before sending.
"""

from __future__ import annotations

from typing import Any

from tempoctl.core.steps import EvmTx
from tempoctl.plan.model import Change, Simulation, Step


def simulate(changes: list[Change], clients: dict[str, Any], pins: dict[str, int], role_names: dict[str, str],
             *, estimate_gas: bool = True) -> None:
    from tempoctl.observed.evm.client import EthCall
    from tempoctl.observed.evm.reverts import decode_revert

    by_net: dict[str, list[tuple[Change, Step, EvmTx]]] = {}
    for c in changes:
        for s in c.steps:
            if s.kind != EvmTx.KIND:
                continue
            tx = EvmTx.of(s)
            if not tx.sender:
                s.simulation = Simulation(status="error", error="no declared signer can send this step "
                                          "(none holds the role it needs); declare one or set `signer:`")
                continue
            by_net.setdefault(tx.network, []).append((c, s, tx))
    for net, items in by_net.items():
        client = clients[net]
        calls = [EthCall(to=tx.to, data=tx.calldata, sender=tx.sender) for _, _, tx in items]
        results = client.call_many(calls, pins[net])
        gas_due: list[tuple[Step, EvmTx]] = []
        for (c, s, tx), r in zip(items, results):
            if r.ok:
                s.simulation = Simulation(status="ok", sender=tx.sender)
                gas_due.append((s, tx))
            elif c.depends_on:
                s.simulation = Simulation(status="skipped", sender=tx.sender,
                                          note="runs after " + ", ".join(c.depends_on) + "; simulated again before sending",
                                          error=decode_revert(bytes(r.data), role_names=role_names))
            else:
                s.simulation = Simulation(status="revert", sender=tx.sender,
                                          error=decode_revert(bytes(r.data), role_names=role_names))
        if estimate_gas and gas_due:
            replies = client.batch([("eth_estimateGas", [{"from": tx.sender, "to": tx.to, "data": tx.data},
                                                         hex(pins[net])]) for _, tx in gas_due])
            for (s, _), reply in zip(gas_due, replies):
                if s.simulation is not None and isinstance(reply.get("result"), str):
                    s.simulation.gas = int(reply["result"], 16)
