"""Plan-time check of Stellar channel accounts (`channels:` of a signer): each must exist on the network and
hold enough to pay fees, or apply cannot use it. One `getLedgerEntries` for all channels of a network.

Why a note and not an error: apply leaves an unusable channel out (and falls back to the signer's own
account when none is left), so the plan is still right; the operator learns that it will be slower, or that
a channel needs funding, before anything is sent."""

from __future__ import annotations

from typing import Any

from tempoctl.desired import DesiredEnvironment

# An account must keep 2 base reserves (2 × 0.5 XLM, the network's base_reserve); each Soroban invocation costs
# its resource fee (~0.01–0.1 XLM here). Below this a channel may run dry part-way through a large apply.
LOW_BALANCE_STROOPS = 5 * 10**7


def channel_notes(env: DesiredEnvironment, network: str, client: Any) -> list[str]:
    from tempoctl.observed.stellar.ledger import account_key

    chans = [(name, ch.address) for name, s in env.state.signers.items() if s.network == network
             for ch in getattr(s, "channels", None) or []]
    if not chans:
        return []
    keys = {addr: account_key(addr) for _, addr in chans}
    got, _ = client.entries(list(keys.values()))
    notes = []
    for name, addr in chans:
        e = got.get(keys[addr].to_xdr())
        acct = getattr(e.data, "account", None) if e is not None else None
        if acct is None:
            notes.append(f"channel {addr} of signer {name} does not exist on {network} (not funded): apply will not "
                         "use it until it is created and funded")
            continue
        balance = int(acct.balance.int64)
        if balance < LOW_BALANCE_STROOPS:
            notes.append(f"channel {addr} of signer {name} holds {balance / 10**7:,.2f} XLM on {network}: it may not "
                         "cover the fees of this apply; fund it")
    return notes
