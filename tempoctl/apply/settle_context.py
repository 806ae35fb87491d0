"""What a settler of interrupted applies is given (`SettleContext`) and how it reaches a journalled network.

Shared by `apply/resume.py`, which runs the settlers, and the settlers it loads per kind of step
(`apply/stellar_settle.py`): kept apart so a settler never imports the module that imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tempoctl.apply.journal import Journal
from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.models import EvmNetwork, StellarNetwork
from tempoctl.errors import ApplyError


@dataclass
class SettleContext:
    env: DesiredEnvironment
    journal: Journal
    clients: dict[str, Any]
    echo: Callable[[str], None]
    receipt_timeout: float


def network_client(ctx: SettleContext, network: str, kind: type[EvmNetwork | StellarNetwork]) -> Any:
    """The client of a journalled network, its chain ID or passphrase checked before anything is settled."""
    net = ctx.env.state.networks.get(network)
    if not isinstance(net, kind):
        raise ApplyError(f"the journal holds unfinished transactions on network {network}, which "
                         f"{ctx.env.name} no longer declares as {'an EVM' if kind is EvmNetwork else 'a Stellar'} network",
                         hint="Restore the network in the state files so they can be settled, then apply again.")
    client = ctx.clients.get(network)
    if isinstance(net, EvmNetwork):
        from tempoctl.observed.evm.client import EvmClient

        client = ctx.clients[network] = client or EvmClient(net.rpc_url)
        client.check_chain(net.chain_id, ctx.env.where("networks", network, "chain_id"))
    else:
        from tempoctl.observed.stellar.client import StellarClient

        client = ctx.clients[network] = client or StellarClient(net.rpc_url)
        client.check_network(net.passphrase, ctx.env.where("networks", network, "passphrase"))
    return client
