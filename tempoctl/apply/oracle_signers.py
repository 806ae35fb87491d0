"""Who signed the oracle signals that landed on chain: the proof the rotation's wait asks for.

ORACLE must be the *signer* of `updateOracleSignal`; anyone may relay the transaction (reference §4.6). So an
advancing `oracleLastTimestamp` only says that *some* ORACLE holder signs — during a rotation both the old and
the new key hold the role, and a second relay still running with the old key advances it just as well. Before
the old key is revoked we therefore recover the signer of every new signal: the `OracleSignalUpdated` logs of
the pair give the transactions, their calldata gives the signal and its signature (decoded with eth_abi), and
eth_account recovers the EIP-712 signer over the domain the contract verifies (`TempoVaultRiskController` /
`1` / chain id / the RiskController) and the `OracleUpdate` struct.

A signal relayed through another contract (a multicall, a forwarder) has no `updateOracleSignal` calldata in
its transaction; its signer stays unknown (None) rather than guessed, and it does not count as the new key.
eth_account is imported only when a signature is recovered (apply code paths only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tempoctl.errors import TempoctlError
from tempoctl.observed.evm.abi import checksum, decode_return, keccak, parse_signature
from tempoctl.observed.evm.reverts import hex_bytes

if TYPE_CHECKING:
    from tempoctl.observed.evm.client import EvmClient

_SIGNAL = "(int16,uint256,uint256,uint256,uint256,uint256)"
_FIELDS = ("referenceTick", "pegDeviation", "orderbookDepthBid", "orderbookDepthAsk", "timestamp", "nonce")
SIGNAL_UPDATED = keccak(f"OracleSignalUpdated(bytes32,{_SIGNAL},uint256)".encode())
UPDATE_SIGNAL = parse_signature(f"updateOracleSignal(bytes32,{_SIGNAL},bytes)")


@dataclass(frozen=True)
class LandedSignal:
    """One accepted oracle signal: the breaker (pair) it is for, its transaction and block, and its signer
    (checksummed), or None when the transaction does not carry the signature directly."""

    breaker: str
    tx_hash: str
    block: int
    signer: str | None


def signals_landed(
    client: EvmClient, checks: Sequence[dict[str, Any]], from_block: int, to_block: int, chain_id: int
) -> list[LandedSignal]:
    """The signals accepted for the checked pairs in blocks ``[from_block, to_block]``, with their signers.

    Args:
        client: the network's client (logs and transactions are read in one round trip each).
        checks: the wait step's checks: ``contract`` (RiskController), ``pair`` (0x bytes32), ``breaker``.
        from_block: first block to look at (the one after the wait's baseline).
        to_block: last block to look at.
        chain_id: the chain id of the EIP-712 domain.

    Returns:
        One `LandedSignal` per `OracleSignalUpdated` log, in chain order.
    """
    by_key = {(checksum(c["contract"]), str(c["pair"]).lower()): c for c in checks}
    addresses = sorted({a for a, _ in by_key})
    pairs = sorted({p for _, p in by_key})
    logs = client.get_logs(addresses, [SIGNAL_UPDATED, pairs], from_block, to_block)
    hashes = list(dict.fromkeys(str(log.get("transactionHash")) for log in logs))
    txs = {h: r.get("result") for h, r in zip(hashes, client.batch([("eth_getTransactionByHash", [h])
                                                                    for h in hashes]))}
    out = []
    for log in logs:
        topics = [str(t).lower() for t in log.get("topics", [])]
        check = by_key.get((checksum(str(log.get("address"))), topics[1] if len(topics) > 1 else ""))
        if check is None:
            continue
        h = str(log.get("transactionHash"))
        tx = txs.get(h)
        signer = _signer(tx, check, hex_bytes(log.get("data")), chain_id) if isinstance(tx, dict) else None
        out.append(LandedSignal(check["breaker"], h, int(str(log.get("blockNumber")), 16), signer))
    return out


def _signer(tx: dict[str, Any], check: dict[str, Any], log_data: bytes, chain_id: int) -> str | None:
    """The EIP-712 signer of the signal a log reports, from its transaction's calldata; None when the
    transaction is not a direct `updateOracleSignal` call on this contract carrying that very signal."""
    try:
        data = hex_bytes(tx.get("input"))
        if str(tx.get("to") or "").lower() != str(check["contract"]).lower() or data[:4] != UPDATE_SIGNAL.selector:
            return None
        pair, signal, signature = decode_return(UPDATE_SIGNAL.inputs, data[4:])
        logged_signal, _ = decode_return((_SIGNAL, "uint256"), log_data)
        if "0x" + bytes(pair).hex() != str(check["pair"]).lower() or tuple(signal) != tuple(logged_signal):
            return None
        return recover_signer(check["contract"], chain_id, bytes(pair), tuple(signal), bytes(signature))
    except (TempoctlError, ValueError, TypeError):
        return None  # malformed calldata or signature: unknown, never counted as the new key


def recover_signer(risk: str, chain_id: int, pair: bytes, signal: tuple[Any, ...], signature: bytes) -> str:
    """The address whose key made `signature` over the `OracleUpdate` typed data RiskController verifies."""
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    typed = {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                             {"name": "chainId", "type": "uint256"},
                             {"name": "verifyingContract", "type": "address"}],
            "OracleUpdate": [{"name": "pairId", "type": "bytes32"}, {"name": "referenceTick", "type": "int16"},
                             *({"name": f, "type": "uint256"} for f in _FIELDS[1:])],
        },
        "primaryType": "OracleUpdate",
        "domain": {"name": "TempoVaultRiskController", "version": "1", "chainId": chain_id,
                   "verifyingContract": checksum(risk)},
        "message": {"pairId": pair, **dict(zip(_FIELDS, signal, strict=True))},
    }
    return checksum(Account.recover_message(encode_typed_data(full_message=typed), signature=signature))
