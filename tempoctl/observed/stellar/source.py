"""The Stellar source: one `SorobanServer` per declared Stellar network, its passphrase checked against
`getNetwork` before anything else, one pinned ledger, then the reader of every profile in `STELLAR_PROFILES`.

Tiers and whitelist members are not enumerable on chain (reference §2.6), so readers are given the record
of keys tempoctl has managed in this environment (`ManagedRecord` in `tempoctl.observed.record`, kept in
the backend of DESIGN §7) and read declared ∪ recorded keys."""

from __future__ import annotations

from typing import Any

from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.models import StellarNetwork
from tempoctl.observed.observation import Observation, ReadOptions
from tempoctl.observed.record import record_for
from tempoctl.profiles.base import StellarReadContext


def stellar_networks(env: DesiredEnvironment) -> dict[str, StellarNetwork]:
    from tempoctl.profiles.registry import STELLAR_PROFILES

    used = {c.network for c in env.state.contracts.values() if c.profile in STELLAR_PROFILES}
    return {n: net for n, net in env.state.networks.items() if isinstance(net, StellarNetwork) and n in used}


def connect(env: DesiredEnvironment, clients: dict[str, Any], *, batching: bool = True) -> dict[str, Any]:
    """A client per Stellar network, passphrase checked (refuse on mismatch). A client passed in keeps its
    own batching setting."""
    from tempoctl.observed.stellar.client import StellarClient

    out: dict[str, Any] = {}
    for name, net in stellar_networks(env).items():
        out[name] = clients.get(name) or StellarClient(net.rpc_url, batching=batching)
        out[name].check_network(net.passphrase, env.where("networks", name, "passphrase"))
    return out


class StellarSource:
    name = "stellar"

    def wanted(self, env: DesiredEnvironment) -> bool:
        return bool(stellar_networks(env))

    def read(self, env: DesiredEnvironment, out: Observation, options: ReadOptions) -> None:
        from tempoctl.profiles.registry import STELLAR_PROFILES

        clients = connect(env, out.clients, batching=options.batching)
        out.clients.update(clients)
        record = record_for(env, out)
        out.extra["stellar_record"] = record
        for name, client in clients.items():
            net = env.state.networks[name]
            assert isinstance(net, StellarNetwork)
            start = client.round_trips
            ledger = client.latest_ledger()
            out.pins[name] = {"passphrase": net.passphrase, "ledger": ledger}
            out.observed.stellar_ledgers[name] = ledger
            ctx = StellarReadContext(env, name, net.passphrase, client, ledger, out.observed, record)
            for cname, contract in env.state.contracts.items():
                profile = STELLAR_PROFILES.get(contract.profile)
                if profile is not None and contract.network == name:
                    profile.read(ctx, cname, contract)
            from tempoctl.observed.stellar.channels import channel_notes

            out.observed.notes.extend(channel_notes(env, name, client))
            out.round_trips += client.round_trips - start
