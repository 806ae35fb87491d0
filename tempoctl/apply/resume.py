"""Settle what an interrupted apply left behind, before a new apply plans (DESIGN §7 Journal, §11).

Every transaction is journalled as `intent` (signer address, nonce, tx hash, and the signed raw bytes,
which hold no key) before it is broadcast, and gets a `receipt` once mined. An `intent` without a receipt
means an earlier apply died (kill -9, lost connection, receipt timeout) somewhere around sending it:

- the node knows the hash (mempool or mined): wait for its receipt and record it;
- the node does not know it and the signer's next nonce is still that nonce: it was never broadcast (or
  was dropped). Re-send *the identical signed bytes*, so the only possible re-send is the same transaction
  with the same nonce and hash, which a chain includes at most once; unless it would now revert, then it
  is abandoned and re-planning decides;
- the nonce has since been used by another transaction (or there is a gap before it): it can never be
  mined; record it `abandoned`.

Only then does apply re-plan from live state, so it does what remains and nothing twice. Settling is
per kind of step (`SETTLERS`), so other executors can add theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tempoctl.apply.journal import Journal
from tempoctl.apply.settle_context import SettleContext, network_client
from tempoctl.backend import Backend
from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.models import EvmNetwork, StellarNetwork
from tempoctl.errors import ApplyError, PartialApplyError

Settler = Callable[[SettleContext, str, list[dict[str, Any]]], None]


def settle(env: DesiredEnvironment, backend: Backend, journal: Journal, *, clients: dict[str, Any] | None = None,
           echo: Callable[[str], None] = print, receipt_timeout: float = 120.0) -> dict[str, Any]:
    """Settle every unfinished journal entry of `env`; return the clients opened (to reuse for planning).

    Raises:
        PartialApplyError: some transactions are still in flight after `receipt_timeout`; nothing new may be
            planned until they are final (exit 3, run apply again later).
    """
    ctx = SettleContext(env, journal, dict(clients or {}), echo, receipt_timeout)
    entries = backend.unsettled(env.name)
    if not entries:
        return ctx.clients
    echo(f"Settling {len(entries)} transaction(s) left unfinished by an earlier apply (journal):")
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in entries:
        groups.setdefault((_kind(env, e), str(e.get("network") or "")), []).append(e)
    for (kind, group), items in groups.items():
        settler = SETTLERS.get(kind)
        if settler is None:
            raise ApplyError(f"the journal holds unfinished {kind} steps this version cannot settle",
                             detail="\n".join(f"  - {e.get('address')} ({e.get('tx_hash')})" for e in items))
        settler(ctx, group, items)
    return ctx.clients


def _kind(env: DesiredEnvironment, entry: dict[str, Any]) -> str:
    """Which settler an entry needs: its recorded step kind, else its network's type."""

    if entry.get("kind") in SETTLERS:
        return str(entry["kind"])
    net = env.state.networks.get(str(entry.get("network") or ""))
    if isinstance(net, StellarNetwork):
        return "soroban_invocation"
    return str(entry.get("kind") or "evm_transaction")


def settle_evm(ctx: SettleContext, network: str, entries: list[dict[str, Any]]) -> None:
    """Settle one network's unfinished EVM transactions (see the module docstring)."""
    from tempoctl.observed.evm.client import ReceiptTimeout

    client = network_client(ctx, network, EvmNetwork)
    known = client.batch([("eth_getTransactionByHash", [e["tx_hash"]]) for e in entries])
    waiting: dict[str, dict[str, Any]] = {}
    unknown: list[dict[str, Any]] = []
    for e, reply in zip(entries, known):
        if isinstance(reply.get("result"), dict):
            waiting[e["tx_hash"]] = e
        else:
            unknown.append(e)
    for e in _resend_all(ctx, client, sorted(unknown, key=lambda e: (str(e.get("sender")), int(e.get("nonce") or 0)))):
        waiting[e["tx_hash"]] = e
    if not waiting:
        return
    try:
        receipts = client.wait_receipts(list(waiting), timeout=ctx.receipt_timeout, progress=ctx.echo)
    except ReceiptTimeout as exc:
        for h, r in exc.found.items():
            _record_receipt(ctx, waiting[h], r)
        raise PartialApplyError(
            f"{len(exc.missing)} transaction(s) of an earlier apply are still pending on {network}",
            detail="\n".join(f"  - {waiting[h].get('address')}: {h}" for h in exc.missing),
            hint="Nothing new was sent. Run apply again once they are mined; they are never re-sent under "
                 "another nonce.") from None
    for h, r in receipts.items():
        _record_receipt(ctx, waiting[h], r)


def _resend_all(ctx: SettleContext, client: Any, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Re-broadcast the identical signed bytes of never-broadcast transactions whose nonces are still free, in
    nonce order per sender; record the others abandoned. Returns the entries re-sent.

    The signers' pending nonces and the simulations are read in one batch each, and the re-sends go in two
    batches: first the lowest nonce of each sender, then the rest of the senders whose first was accepted, so
    a refusal (say, fees risen since signing) never leaves that sender's later transactions queued behind a
    nonce gap. A wave of 1,000 interrupted between journalling and sending costs 4 requests, not 3,000."""
    from tempoctl.observed.evm.client import EthCall, RpcResponseError
    from tempoctl.observed.evm.reverts import decode_revert

    if not entries:
        return []
    senders = list(dict.fromkeys(str(e.get("sender")) for e in entries))
    nxt: dict[str, int] = {}
    for sender, reply in zip(senders, client.batch([("eth_getTransactionCount", [a, "pending"]) for a in senders]),
                             strict=True):
        if "error" in reply or not isinstance(reply.get("result"), str):
            nxt[sender] = client.nonce(sender, "pending")  # raises the node's error with its words
        else:
            nxt[sender] = int(reply["result"], 16)
    sims = [e for e in entries if e.get("to") and e.get("data") and e.get("raw_tx")]
    calls = [EthCall(to=str(e["to"]), data=bytes.fromhex(str(e["data"])[2:]), sender=str(e.get("sender"))) for e in sims]
    verdict = {id(e): r for e, r in zip(sims, client.call_many(calls, "latest") if calls else [], strict=True)}
    events: list[tuple[str, dict[str, Any]]] = []
    lines: list[str] = []

    def abandon(e: dict[str, Any], reason: str) -> None:
        events.append(("abandoned", {"address": e.get("address"), "tx_hash": e["tx_hash"], "nonce": e.get("nonce"),
                                     "sender": e.get("sender"), "network": e.get("network"), "reason": reason,
                                     "of_apply": e.get("apply_id")}))
        lines.append(f"  abandoned {e.get('address')}: {e['tx_hash']} ({reason}); re-planning decides what remains")

    candidates: list[dict[str, Any]] = []
    for e in entries:
        sender, nonce = str(e.get("sender")), int(e.get("nonce") or 0)
        res = verdict.get(id(e))
        if not e.get("raw_tx"):
            abandon(e, "never broadcast, and the journal holds no signed bytes to re-send")
        elif nxt[sender] > nonce:
            abandon(e, f"never broadcast; nonce {nonce} of {sender} was since used by another transaction")
        elif nxt[sender] < nonce:
            abandon(e, f"never broadcast; nonce {nonce} of {sender} cannot be used before nonce {nxt[sender]}")
        elif res is not None and not res.ok:
            abandon(e, f"never broadcast, and it would now revert: {decode_revert(bytes(res.data))}")
        else:
            candidates.append(e)
            nxt[sender] = nonce + 1
    first = {str(e.get("sender")): e for e in reversed(candidates)}  # the lowest nonce of each sender
    rounds = [list(first.values()), [e for e in candidates if first[str(e.get("sender"))] is not e]]
    refused: set[str] = set()
    resent: list[dict[str, Any]] = []
    for batch in rounds:
        batch = [e for e in batch if str(e.get("sender")) not in refused]
        results = client.send_raw_many([bytes.fromhex(str(e["raw_tx"]).removeprefix("0x")) for e in batch]) if batch else []
        for e, out in zip(batch, results, strict=True):
            if isinstance(out, RpcResponseError):
                refused.add(str(e.get("sender")))
                abandon(e, f"never broadcast; re-sending the same signed bytes was refused: {out.summary}")
                continue
            resent.append(e)
            events.append(("resent", {"address": e.get("address"), "tx_hash": e["tx_hash"], "nonce": e.get("nonce"),
                                      "sender": e.get("sender"), "network": e.get("network"),
                                      "of_apply": e.get("apply_id")}))
            lines.append(f"  re-sent {e.get('address')}: the same signed transaction {e['tx_hash']} "
                         f"(nonce {e.get('nonce')})")
    done = {str(ev[1]["tx_hash"]) for ev in events}
    for e in candidates:  # later nonces of a sender whose lowest was refused: never sent, and never can be
        if str(e.get("sender")) in refused and e["tx_hash"] not in done:
            abandon(e, f"never broadcast; an earlier nonce of {e.get('sender')} could not be re-sent")
    ctx.journal.record_many(events)
    for line in lines:
        ctx.echo(line)
    return resent


def _record_receipt(ctx: SettleContext, e: dict[str, Any], receipt: dict[str, Any]) -> None:
    status = int(str(receipt.get("status", "0x0")), 16)
    ctx.journal.record("receipt", address=e.get("address"), tx_hash=e["tx_hash"], status=status,
                       block=int(str(receipt.get("blockNumber", "0x0")), 16), nonce=e.get("nonce"),
                       sender=e.get("sender"), network=e.get("network"), of_apply=e.get("apply_id"),
                       gas_used=int(str(receipt.get("gasUsed", "0x0")), 16))
    verdict = "mined" if status == 1 else "FAILED on chain"
    ctx.echo(f"  settled {e.get('address')}: {e['tx_hash']} {verdict} in block "
             f"{int(str(receipt.get('blockNumber', '0x0')), 16)}")


def settle_stellar(ctx: SettleContext, network: str, entries: list[dict[str, Any]]) -> None:
    from tempoctl.apply.stellar_settle import settle_stellar as settle

    settle(ctx, network, entries)


SETTLERS: dict[str, Settler] = {"evm_transaction": settle_evm, "soroban_invocation": settle_stellar,
                                "soroban_extend_ttl": settle_stellar}
