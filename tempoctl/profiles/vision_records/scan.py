"""Out-of-band changes to keys the contract cannot enumerate (whitelist members, tier holders), found at a cost
that does not grow with the network's traffic.

`getTransactions` is the whole network's history (stellar/stellar-rpc `internal/methods/get_transactions.go`
returns every transaction of every ledger in range, 200 per page at most): paging through it costs requests and
decoding in proportion to everyone's traffic. Instead the scan follows the accounts that can authorise these
changes (the admin, past admins, `S_ADMIN`, `ADM_LIST` members, tier holders and the declared signers) through
an index the RPC already keeps for them: since protocol 23 (CAP-67) every transaction, failed ones included,
emits a `fee` event of the native asset's contract with topics `["fee", <fee source>]`, which stellar-rpc
stores in its event table with the topics indexed (`internal/db/event.go`, `InsertEvents`, stage
BeforeAllTxs). One `getEvents` request (≤ 5 filters × 5 topic patterns, i.e. 25 accounts, over at most 10,000
ledgers: `internal/methods/get_events.go` `LedgerScanLimit`) lists the transactions those accounts paid for
since the cursor; each is fetched with `getTransaction` and decoded only if
its raw envelope contains the contract id's 32 bytes. Requests and CPU follow the authorisers' own activity.

Bounds: at most `MAX_TX_LOOKUPS` transactions per run; beyond that the cursor stops before the first one not
read and the plan says which ledgers remain (the next run continues there). Ledgers older than the RPC's
`oldestLedger` (`getHealth`) cannot be scanned and are named; if `oldestLedger` moves on between `getHealth`
and `getEvents` the scan starts again from the new oldest ledger and names the lost ledgers too.

Blind spot, said in the README: an authoriser that signs a Soroban auth entry (address credentials) for a
transaction another account pays for leaves no fee event of its own; only the keys tempoctl already reads
(declared or recorded) show such a change.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

MAX_TX_LOOKUPS = 200
TOPICS_PER_FILTER = 5  # stellar-rpc getEvents: at most 5 filters, each with at most 5 topic patterns
FILTERS_PER_REQUEST = 5
EVENTS_PAGE = 1000


@dataclass
class Window:
    """What one run covered: `[first, last]` scanned, plus what it could not."""

    first: int
    last: int
    notes: list[str] = field(default_factory=list)
    hashes: list[tuple[int, str]] = field(default_factory=list)  # (ledger, tx hash), ledger order


def _filters(passphrase: str, accounts: list[str]) -> list[list[Any]]:
    from stellar_sdk import Asset, scval
    from stellar_sdk.soroban_rpc import EventFilter, EventFilterType

    sac = Asset.native().contract_id(passphrase)
    fee = scval.to_symbol("fee").to_xdr()
    topics = [[fee, scval.to_address(a).to_xdr()] for a in accounts]
    filters = [EventFilter(type=EventFilterType.CONTRACT, contractIds=[sac],
                           topics=topics[i:i + TOPICS_PER_FILTER])
               for i in range(0, len(topics), TOPICS_PER_FILTER)]
    return [filters[i:i + FILTERS_PER_REQUEST] for i in range(0, len(filters), FILTERS_PER_REQUEST)]


def fee_paid_transactions(client: Any, passphrase: str, accounts: list[str], first: int, last: int,
                          oldest: int) -> Window:
    """(ledger, hash) of every transaction `accounts` paid a fee for in ledgers `first`..`last`."""
    win = Window(first, last)
    seen: set[str] = set()
    for group in _filters(passphrase, accounts):
        cursor: str | None = None
        start = first
        while True:
            try:
                if cursor is None:
                    res = client.server.get_events(start_ledger=start, filters=group, limit=EVENTS_PAGE)
                else:
                    res = client.server.get_events(cursor=cursor, filters=group, limit=EVENTS_PAGE)
            except Exception as exc:
                now = client.oldest_ledger()
                text = str(exc).lower()
                if cursor is None and now > start and ("ledger range" in text or "oldest" in text):
                    # getHealth's oldestLedger moved on between our calls: start at the new oldest ledger
                    win.notes.append(f"the RPC's oldest ledger moved from {oldest} to {now} during the scan; "
                                     f"ledgers {start}–{now - 1} were not scanned")
                    start, win.first = now, max(win.first, now)
                    continue
                raise
            for ev in res.events or []:
                if ev.ledger <= last and ev.transaction_hash not in seen:
                    seen.add(ev.transaction_hash)
                    win.hashes.append((int(ev.ledger), ev.transaction_hash))
            # A request searches at most 10,000 ledgers (stellar-rpc get_events.go LedgerScanLimit); with fewer
            # than `limit` matches its cursor marks the end of the searched window: go on from there.
            reached = (int(res.cursor.split("-")[0]) >> 32) if res.cursor else last
            if reached >= last or not res.cursor or any(e.ledger > last for e in res.events or []):
                break
            cursor = res.cursor
    win.hashes.sort()
    return win


def invocations(envelope_xdr: str, status: Any, cid: str) -> list[tuple[str, str | None]]:
    """(function, second argument as strkey) of every successful InvokeContract of `cid` in one transaction.
    The raw envelope is checked for the contract id's bytes first, so other contracts' transactions are
    never decoded."""
    from stellar_sdk import StrKey, xdr

    from tempoctl.observed.stellar import ledger as L

    if str(getattr(status, "value", status)) != "SUCCESS":
        return []
    try:
        raw = base64.b64decode(envelope_xdr)
    except ValueError:
        return []
    if StrKey.decode_contract(cid) not in raw:
        return []
    try:
        env = xdr.TransactionEnvelope.from_xdr_bytes(raw)
    except Exception:  # noqa: BLE001 - an envelope we cannot parse is not one of ours
        return []
    inner = env.v1.tx if env.v1 else (env.fee_bump.tx.inner_tx.v1.tx if env.fee_bump and env.fee_bump.tx.inner_tx.v1 else None)
    out: list[tuple[str, str | None]] = []
    for op in (inner.operations if inner else []):
        ihf = op.body.invoke_host_function_op
        if ihf is None or ihf.host_function.invoke_contract is None:
            continue
        ica = ihf.host_function.invoke_contract
        if L.native(xdr.SCVal(xdr.SCValType.SCV_ADDRESS, address=ica.contract_address)) != cid:
            continue
        args = list(ica.args)
        target = L.native(args[1]) if len(args) > 1 and args[1].type == xdr.SCValType.SCV_ADDRESS else None
        out.append((ica.function_name.sc_symbol.decode(), target))
    return out
