"""EVM read side (batched eth_call, logs) and low-level send side. Imports requests/eth_abi, never web3."""

from tempoctl.observed.evm.abi import (
    FunctionSig,
    SignatureError,
    checksum,
    decode_return,
    encode_call,
    keccak,
    parse_signature,
    role_label,
)
from tempoctl.observed.evm.client import (
    BlockRef,
    CallResult,
    EthCall,
    EvmClient,
    FeeFields,
    ReceiptTimeout,
    Revert,
    RpcResponseError,
)
from tempoctl.observed.evm.logs import RoleLogState, fetch_logs, replay_role_events
from tempoctl.observed.evm.reverts import decode_revert

__all__ = [
    "BlockRef",
    "CallResult",
    "EthCall",
    "EvmClient",
    "FeeFields",
    "FunctionSig",
    "ReceiptTimeout",
    "Revert",
    "RoleLogState",
    "RpcResponseError",
    "SignatureError",
    "checksum",
    "decode_return",
    "decode_revert",
    "encode_call",
    "fetch_logs",
    "keccak",
    "parse_signature",
    "replay_role_events",
    "role_label",
]
