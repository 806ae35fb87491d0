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
from tempoctl.errors import ApplyError, PartialApplyError, TempoctlError

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
    for e in sorted(unknown, key=lambda e: (str(e.get("sender")), int(e.get("nonce") or 0))):
        if _resend(ctx, client, e):
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


def _resend(ctx: SettleContext, client: Any, e: dict[str, Any]) -> bool:
    """Re-broadcast the identical signed bytes of a never-broadcast transaction whose nonce is still free;
    otherwise record it abandoned. True when it was re-sent."""
    from tempoctl.observed.evm.client import EthCall
    from tempoctl.observed.evm.reverts import decode_revert

    sender, nonce, raw = str(e.get("sender")), int(e.get("nonce") or 0), e.get("raw_tx")
    nxt = client.nonce(sender, "pending")
    reason = ""
    if not raw:
        reason = "never broadcast, and the journal holds no signed bytes to re-send"
    elif nxt > nonce:
        reason = f"never broadcast; nonce {nonce} of {sender} was since used by another transaction"
    elif nxt < nonce:
        reason = f"never broadcast; nonce {nonce} of {sender} cannot be used before nonce {nxt}"
    elif e.get("to") and e.get("data"):
        [res] = client.call_many([EthCall(to=str(e["to"]), data=bytes.fromhex(str(e["data"])[2:]), sender=sender)],
                                 "latest")
        if not res.ok:
            reason = f"never broadcast, and it would now revert: {decode_revert(bytes(res.data))}"
    if not reason:
        try:
            client.send_raw(bytes.fromhex(str(raw).removeprefix("0x")))
        except TempoctlError as exc:
            reason = f"never broadcast; re-sending the same signed bytes was refused: {exc.summary}"
    if reason:
        ctx.journal.record("abandoned", address=e.get("address"), tx_hash=e["tx_hash"], nonce=nonce, sender=sender,
                           network=e.get("network"), reason=reason, of_apply=e.get("apply_id"))
        ctx.echo(f"  abandoned {e.get('address')}: {e['tx_hash']} ({reason}); re-planning decides what remains")
        return False
    ctx.journal.record("resent", address=e.get("address"), tx_hash=e["tx_hash"], nonce=nonce, sender=sender,
                       network=e.get("network"), of_apply=e.get("apply_id"))
    ctx.echo(f"  re-sent {e.get('address')}: the same signed transaction {e['tx_hash']} (nonce {nonce})")
    return True


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
