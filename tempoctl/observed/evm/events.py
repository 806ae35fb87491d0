"""Turn receipt logs into one-line event descriptions for `plan --fork` (``RoleGranted(RISK_OFFICER, 0x…, 0x…)``).

A fork run shows a reviewer what each step emits; raw topics are unreadable, so we keep a table of the events
the TempoVault stack, OpenZeppelin and the Safe emit (signatures from the interface reference §3.3, §4.9, §5.5
and the fixture contracts), keyed by topic0 computed at import so a typo cannot hide behind a wrong hash. A
log matching nothing, or whose topics do not fit the signature, is still listed (``event 0x1234…``): an
unexpected event is exactly what a reviewer should see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as _abi_decode
from eth_abi.exceptions import DecodingError

from tempoctl.observed.evm.abi import _split_top, keccak, parse_signature
from tempoctl.observed.evm.reverts import _norm_role_key, _render, hex_bytes

KNOWN_EVENT_SIGNATURES: tuple[str, ...] = (
    # OpenZeppelin access control, pausing, ERC-20 (fee-token transfers)
    "RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)",
    "RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)",
    "RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole)",
    "Paused(address account)",
    "Unpaused(address account)",
    "Transfer(address indexed from, address indexed to, uint256 value)",
    "Approval(address indexed owner, address indexed spender, uint256 value)",
    # TempoVault RiskController (interface §4.9)
    "GlobalPauseToggled(bool paused, address indexed toggledBy)",
    "CircuitBreakerTriggered(bytes32 indexed pairId, address indexed triggeredBy)",
    "CircuitBreakerReset(bytes32 indexed pairId, address indexed resetBy)",
    "RiskParamsUpdated((uint16,int16,uint16,uint256,uint16,uint32,int16,uint256) params, address indexed updatedBy)",
    "OracleNonceAdvanced(bytes32 indexed pairId, uint256 oldNonce, uint256 newNonce)",
    # TempoVault TreasuryVault (interface §5.5)
    "StrategyApproved(address indexed strategy, bool approved)",
    "TokenApproved(address indexed token, bool approved)",
    # Legacy risk settings (fixture LegacyRisk)
    "OracleAddressUpdated(address indexed previousOracle, address indexed newOracle)",
    "CircuitBreakerSet(bytes32 indexed pairId, bool broken)",
    # Safe 1.4.1 (txHash indexed; 1.3.0 has it unindexed: the decoder tries the data when topics do not fit)
    "ExecutionSuccess(bytes32 indexed txHash, uint256 payment)",
    "ExecutionFailure(bytes32 indexed txHash, uint256 payment)",
    "ChangedThreshold(uint256 threshold)",
)


@dataclass(frozen=True)
class EventSig:
    name: str
    types: tuple[str, ...]
    indexed: tuple[bool, ...]


def _parse_event(text: str) -> tuple[bytes, EventSig]:
    """`Name(type [indexed] [name], …)` → (topic0, signature); `indexed` is kept, which `parse_signature` drops."""
    sig = parse_signature(text)
    params = _split_top(text[text.index("(") + 1: text.rindex(")")])
    flags = tuple(" indexed " in f" {p.strip()} " for p in params) if params != [""] else ()
    return keccak(sig.canonical.encode()), EventSig(sig.name, tuple(sig.inputs), flags)


KNOWN_EVENTS: dict[bytes, EventSig] = dict(_parse_event(t) for t in KNOWN_EVENT_SIGNATURES)


def _decode(sig: EventSig, topics: list[bytes], data: bytes, indexed: tuple[bool, ...],
            roles: Mapping[str, str]) -> str | None:
    if len(topics) != sum(indexed):
        return None
    plain = [t for t, i in zip(sig.types, indexed, strict=True) if not i]
    try:
        values = list(_abi_decode(plain, data)) if plain else []
        topic_values = [_abi_decode([t], word)[0] for t, word, i in
                        zip(sig.types, _align(topics, indexed), indexed, strict=True) if i]
    except (DecodingError, ValueError, OverflowError, TypeError):
        return None
    out = []
    for t, i in zip(sig.types, indexed, strict=True):
        out.append(_render(t, topic_values.pop(0) if i else values.pop(0), roles))
    return f"{sig.name}({', '.join(out)})"


def _align(topics: list[bytes], indexed: tuple[bool, ...]) -> list[bytes]:
    """One 32-byte word per parameter position (indexed ones take the next topic; others a placeholder)."""
    it = iter(topics)
    return [next(it) if i else bytes(32) for i in indexed]


def describe_log(log: Mapping[str, Any], *, role_names: Mapping[str, str] | None = None) -> str:
    """One log of a receipt in words. Never raises for any input (a log is whatever the node answered)."""
    raw_topics = log.get("topics") if isinstance(log.get("topics"), list) else []
    topics = [hex_bytes(t).rjust(32, b"\0")[-32:] for t in raw_topics or []]
    if not topics:
        return "anonymous event"
    roles = {_norm_role_key(k): v for k, v in (role_names or {}).items()}
    sig = KNOWN_EVENTS.get(topics[0])
    if sig is not None:
        data = hex_bytes(log.get("data"))
        for indexed in (sig.indexed, tuple(False for _ in sig.indexed)):  # as declared, then all unindexed
            text = _decode(sig, topics[1:], data, indexed, roles)
            if text is not None:
                return text
        return f"{sig.name}(<topics and data that do not fit ({','.join(sig.types)})>)"
    return f"event 0x{topics[0].hex()[:8]}… ({len(topics) - 1} topic(s), {len(hex_bytes(log.get('data')))} bytes of data)"
