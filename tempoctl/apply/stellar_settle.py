"""Settle Soroban transactions an interrupted apply left in the journal (the Stellar side of resume).

For each `intent` without a receipt: `getTransaction` by hash. SUCCESS or FAILED is recorded. NOT_FOUND
with the source account's sequence still just before the journalled one means it never landed: the
identical signed envelope (journalled; it holds no key) is sent again — the same hash, so the network
applies it at most once — unless its time bounds have passed. Any other NOT_FOUND is abandoned, and
re-planning from live state decides what remains.
"""

from __future__ import annotations

import time
from typing import Any

from tempoctl.apply.settle_context import SettleContext, network_client
from tempoctl.desired.models import StellarNetwork
from tempoctl.errors import PartialApplyError, TempoctlError


def _status(client: Any, tx_hash: str) -> tuple[str, Any]:
    rec = client._rpc("getTransaction", client.server.get_transaction, tx_hash)
    return str(getattr(rec.status, "value", rec.status)), rec


def settle_stellar(ctx: SettleContext, network: str, entries: list[dict[str, Any]]) -> None:
    client = network_client(ctx, network, StellarNetwork)
    for e in sorted(entries, key=lambda e: (str(e.get("sender")), int(e.get("nonce") or 0))):
        status, rec = _status(client, e["tx_hash"])
        if status == "NOT_FOUND":
            reason = _resend(client, e)
            if reason:
                ctx.journal.record("abandoned", kind="soroban_invocation", address=e.get("address"),
                                   tx_hash=e["tx_hash"], nonce=e.get("nonce"), sender=e.get("sender"),
                                   network=network, reason=reason, of_apply=e.get("apply_id"))
                ctx.echo(f"  abandoned {e.get('address')}: {e['tx_hash']} ({reason}); re-planning decides what remains")
                continue
            deadline = time.monotonic() + ctx.receipt_timeout
            while status == "NOT_FOUND" and time.monotonic() < deadline:
                time.sleep(0.3)
                status, rec = _status(client, e["tx_hash"])
            if status == "NOT_FOUND":
                raise PartialApplyError(f"a Soroban transaction of an earlier apply is still not final on {network}",
                                        detail=f"  - {e.get('address')}: {e['tx_hash']}",
                                        hint="Nothing new was sent. Run apply again later.")
        ctx.journal.record("receipt", kind="soroban_invocation", address=e.get("address"), tx_hash=e["tx_hash"],
                           status=1 if status == "SUCCESS" else 0, ledger=rec.ledger, nonce=e.get("nonce"),
                           sender=e.get("sender"), network=network, of_apply=e.get("apply_id"))
        ctx.echo(f"  settled {e.get('address')}: {e['tx_hash']} {status} in ledger {rec.ledger}")


def _resend(client: Any, e: dict[str, Any]) -> str:
    """Send the identical envelope again when that is the only thing that can happen; else say why not."""
    from stellar_sdk import TransactionEnvelope

    raw, nonce, sender = e.get("raw_tx"), int(e.get("nonce") or 0), str(e.get("sender"))
    if not raw:
        return "not found, and the journal holds no signed envelope to re-send"
    current = int(client._rpc("loadAccount", client.server.load_account, sender).sequence)
    if current >= nonce:
        return f"not found; sequence {nonce} of {sender} was since used"
    if current < nonce - 1:
        return f"not found; sequence {nonce} of {sender} cannot be used before {current + 1}"
    te = TransactionEnvelope.from_xdr(str(raw), client.server.get_network().passphrase)
    bounds = te.transaction.preconditions.time_bounds if te.transaction.preconditions else None
    if bounds is not None and bounds.max_time and time.time() > bounds.max_time:
        return "not found, and its time bounds have passed (it can never be applied)"
    try:
        res = client._rpc("sendTransaction", client.server.send_transaction, te)
    except TempoctlError as exc:
        return f"re-sending the same envelope failed: {exc.summary}"
    status = str(getattr(res.status, "value", res.status))
    return "" if status in ("PENDING", "DUPLICATE") else f"re-sending the same envelope was refused ({status})"
