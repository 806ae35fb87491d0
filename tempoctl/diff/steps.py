"""Build the steps a change is applied with: EVM transactions with decoded args and raw calldata."""

from __future__ import annotations

from typing import Any

from tempoctl.core.steps import EvmTx, SorobanTx
from tempoctl.plan.model import Step


def plain(value: Any) -> Any:
    """ABI values as JSON: bytes as 0x-hex, tuples as lists."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def evm_step(network: str, chain_id: int, to: str, function: str, args: tuple[Any, ...], signer: str | None,
             display: str, *, via: str | None = None, sender: str | None = None,
             record: dict[str, str] | None = None) -> Step:
    """An `evm_transaction` step: `function` is the canonical signature (`grantRole(bytes32,address)`).
    `record` ({scope, key, op: remember | forget}) is what the managed-key record learns once it succeeds."""
    from tempoctl.observed.evm.abi import parse_signature

    data = parse_signature(function).encode_call(*args)
    tx = EvmTx(network=network, chain_id=chain_id, to=to, function=function, args=plain(args),
               data="0x" + data.hex(), sender=sender, via="safe" if via == "safe" else None, record=record)
    return Step(kind=EvmTx.KIND, display=display, signer=signer, fields=tx.to_fields())


def soroban_step(network: str, passphrase: str, contract: str, function: str, args: list[dict[str, Any]],
                 signer: str | None, source: str | None, *, record: dict[str, str] | None = None,
                 extend_to: int | None = None) -> Step:
    """A `soroban_invocation` step (or `soroban_extend_ttl` when `extend_to` is given): plain JSON args,
    the source account that signs, and what to add to the managed-key record once it succeeds."""
    from tempoctl.observed.stellar.args import display

    tx = SorobanTx(network=network, passphrase=passphrase, contract=contract, function=function, args=args,
                   source=source, record=record, extend_to=extend_to)
    if extend_to is not None:
        return Step(kind="soroban_extend_ttl", display=f"ExtendFootprintTTL(instance, extend_to={extend_to:,})",
                    signer=signer, fields=tx.to_fields())
    return Step(kind="soroban_invocation", display=display(function, args), signer=signer, fields=tx.to_fields())
