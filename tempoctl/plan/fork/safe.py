"""A Safe's step on the fork, executed through the Safe itself (reference §10, "Safe execution fidelity").

The threshold-1 recipe: set the Safe's threshold to 1 in its storage (slot 4 of Safe 1.3/1.4's `OwnerManager`
layout: singleton, modules, owners, ownerCount, threshold), impersonate its first owner and call
`execTransaction` with that owner's pre-validated signature (r = owner, s = 0, v = 1: "msg.sender is an
owner"). The Safe's own checks, guard and events run, and the call reaches the target with `msg.sender` =
the Safe, as when the owners execute the batch. With safeTxGas = gasPrice = 0 a failing inner call reverts
the Safe transaction (GS013), so the inner call is re-run from the Safe to say why.

An address with no code (a Safe not deployed on this chain yet, or a stand-in) cannot execute anything; the
step is then sent from the address itself, and the result says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tempoctl.core.steps import EvmTx
from tempoctl.observed.evm.abi import SignatureError, decode_return, encode_call
from tempoctl.plan.model import ForkStep

if TYPE_CHECKING:
    from tempoctl.plan.fork.execute import ForkExecutor

THRESHOLD_SLOT = 4
EXEC = "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)"
ZERO = "0x" + "00" * 20


def _owner(ex: ForkExecutor, safe: str) -> str | None:
    """The Safe's first owner, with its threshold set to 1 on the fork; None when `safe` is not a Safe."""
    if safe.lower() in ex.safes:
        return ex.safes[safe.lower()]
    owner: str | None = None
    raw = ex.call(safe, safe, encode_call("getOwners()"))
    try:
        owners = decode_return(["address[]"], raw)[0] if raw else []
    except SignatureError:
        owners = []
    if owners:
        owner = str(owners[0])
        ex.client.request("anvil_setStorageAt", [safe, hex(THRESHOLD_SLOT), "0x" + (1).to_bytes(32, "big").hex()])
    ex.safes[safe.lower()] = owner
    return owner


def pre_validated_signature(owner: str) -> bytes:
    """Safe's "approved by msg.sender" signature: r = the owner's address, s = 0, v = 1."""
    return bytes.fromhex(owner[2:].lower()).rjust(32, b"\0") + bytes(32) + b"\x01"


def run_via_safe(ex: ForkExecutor, tx: EvmTx) -> ForkStep:
    safe, to, data, value = str(tx.sender), tx.to, tx.data or "0x", int(tx.value or 0)
    code = ex.client.get_code(safe, "latest")
    if not code:
        ex.prepare(safe)
        return ex.send(safe, to, data, value,
                       note="sent from the Safe's address: no Safe contract code there on the fork")
    owner = _owner(ex, safe)
    if owner is None:
        ex.prepare(safe)
        return ex.send(safe, to, data, value,
                       note="sent from the Safe's address: its code answers no getOwners()")
    calldata = encode_call(EXEC, [to, value, bytes.fromhex(data[2:]), 0, 0, 0, 0, ZERO, ZERO,
                                  pre_validated_signature(owner)])
    return ex.send(owner, safe, "0x" + calldata.hex(), note=f"through the Safe's execTransaction (owner {owner}, "
                   "threshold set to 1 on the fork)", explain_as=(safe, to, data))
