"""What an EVM wave needs before it is signed, read in one JSON-RPC batch, and how it is spread over blocks.

Before signing, a wave needs for every step a simulation as its signer (a revert refuses the wave, nothing
sent) and a gas estimate, plus the signers' next nonces, the fee fields and the block gas limit. Read one by
one that is 2N + S + 3 round trips (2,000 for 1,000 grants, 100 s behind a 50 ms link); here it is one batch,
split only by the client's `max_batch`.

A wave whose transactions reserve more gas in all than a block holds cannot land in one block whatever we do;
sent all at once, the node would queue the rest, and a receipt wait sized for one block would time out. So
the wave is cut, in order, into shares that each fit the block gas limit read from the node (never assumed),
and the next share is sent only when the previous one is mined.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tempoctl.core.steps import EvmTx
from tempoctl.errors import ApplyError
from tempoctl.plan.model import Change, Step


@dataclass(frozen=True)
class PreSend:
    """The reads a wave is signed from: per step its gas estimate, per new sender its pending nonce, the fee
    fields (eth_account keys) and the block gas limit."""

    gas: list[int]
    nonces: dict[str, int]
    fees: dict[str, int]
    block_gas_limit: int


def read_presend(client: Any, items: Sequence[tuple[Change, Step]], senders: dict[str, str],
                 new_senders: Sequence[str], role_names: dict[str, str]) -> PreSend:
    """Simulate (eth_call) and estimate (eth_estimateGas) every step at the latest block as its signer, read
    the pending nonce of each of `new_senders` and the fee fields and block gas limit, all in one batch.
    `senders` maps signer name → address.

    Raises:
        ApplyError: a step would revert (named with its decoded reason), or its estimate failed.
    """
    from tempoctl.observed.evm.client import FEE_READS
    from tempoctl.observed.evm.reverts import decode_revert, revert_data

    calls: list[tuple[str, list[Any]]] = []
    for _, step in items:
        evm = EvmTx.of(step)
        tx = {"from": senders[step.signer or ""], "to": evm.to, "data": evm.data}
        calls += [("eth_call", [tx, "latest"]), ("eth_estimateGas", [{**tx, "value": "0x0"}, "latest"])]
    calls += [("eth_getTransactionCount", [a, "pending"]) for a in new_senders]
    replies = client.batch([*calls, *FEE_READS])
    n = len(items)
    gas: list[int] = []
    for i, (change, step) in enumerate(items):
        call, estimate = replies[2 * i], replies[2 * i + 1]
        for reply in (call, estimate):
            err = reply.get("error")
            if isinstance(err, dict):
                data = revert_data(err)
                if data is None:
                    raise client._error(str(calls[2 * i][0]), err)
                raise ApplyError(f"{change.address}: {step.display} would revert: "
                                 f"{decode_revert(bytes(data), role_names=role_names)}",
                                 hint="Nothing of this wave was sent. Check the signer's role, then re-plan.")
        gas.append(_hex_int(client, estimate.get("result"), "eth_estimateGas"))
    nonces = {a: _hex_int(client, r.get("result"), "nonce") if "error" not in r else _raise(client, r)
              for a, r in zip(new_senders, replies[2 * n: 2 * n + len(new_senders)], strict=True)}
    fee_replies = replies[2 * n + len(new_senders):]
    return PreSend(gas, nonces, client.fees_from(fee_replies).tx_fields(), client.gas_limit_from(fee_replies[0]))


def pack_blocks(gas: Sequence[int], limit: int) -> list[list[int]]:
    """Indices of `gas` cut, in order, into shares whose sum fits `limit` (a node fills a block by the gas a
    transaction reserves, its signed gas limit, not by what it ends up using). Order is kept so every share
    holds each signer's lower nonces before the next share's.

    Raises:
        ApplyError: one transaction alone reserves more than a block holds (it could never be mined).
    """
    shares: list[list[int]] = []
    room = 0
    for i, g in enumerate(gas):
        if g > limit:
            raise ApplyError(f"a transaction of this wave needs {g:,} gas, more than the block gas limit "
                             f"{limit:,}: it can never be mined", hint="Nothing of this wave was sent.")
        if not shares or g > room:
            shares.append([])
            room = limit
        shares[-1].append(i)
        room -= g
    return shares


def _hex_int(client: Any, value: object, what: str) -> int:
    if isinstance(value, str):
        try:
            return int(value, 16)
        except ValueError:
            pass
    from tempoctl.errors import RpcError

    raise RpcError(f"{client.host} returned a malformed {what} value: {str(value)[:40]!r}.")


def _raise(client: Any, reply: dict[str, Any]) -> int:
    raise client._error("eth_getTransactionCount", reply["error"])
