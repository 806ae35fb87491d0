"""Turn EVM revert data into a sentence an operator can act on.

web3.py does not decode custom errors (facts §1.3), and a bare ``0xe2517d3f…`` is useless in a plan or an apply
failure. We keep a table of the errors the TempoVault stack can raise (OpenZeppelin v5 plus every TempoVault
error of the interface reference), computed from signatures at import so a typo cannot hide behind a wrong
hard-coded selector; callers add errors from their own ABIs through `extra_errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from eth_abi.abi import decode as _abi_decode
from eth_abi.exceptions import DecodingError

from tempoctl.errors import TempoctlError
from tempoctl.observed.evm.abi import FunctionSig, SignatureError, _split_top, checksum, parse_signature

KNOWN_ERROR_SIGNATURES: tuple[str, ...] = (
    # Solidity built-ins
    "Error(string)",
    "Panic(uint256)",
    # OpenZeppelin v5 access control, ownership, pausing (facts §1.3)
    "AccessControlUnauthorizedAccount(address,bytes32)",
    "AccessControlBadConfirmation()",
    "AccessControlEnforcedDefaultAdminRules()",
    "AccessControlInvalidDefaultAdmin(address)",
    "AccessControlEnforcedDefaultAdminDelay(uint48)",
    "EnforcedPause()",
    "ExpectedPause()",
    "OwnableUnauthorizedAccount(address)",
    "OwnableInvalidOwner(address)",
    # OpenZeppelin v5 others an operator meets on setters and upgrades
    "ReentrancyGuardReentrantCall()",
    "SafeERC20FailedOperation(address)",
    "InvalidInitialization()",
    "NotInitializing()",
    "ERC1967InvalidImplementation(address)",
    "UUPSUnauthorizedCallContext()",
    "ERC20InsufficientBalance(address,uint256,uint256)",
    "ERC20InsufficientAllowance(address,uint256,uint256)",
    # TempoVault GovernanceRoles (interface §3.4)
    "Unauthorized(address,bytes32)",
    # TempoVault RiskController (interface §4.8)
    "ProtocolPaused()",
    "PairCircuitBroken(bytes32)",
    "ExposureLimitExceeded(uint256,uint256)",
    "TickDeviationExceeded(int24,int24)",
    "ImbalanceThresholdBreached(uint256,uint16)",
    "OrderSizeExceeded(uint256,uint256)",
    "InsufficientReserve(uint256,uint256)",
    "StaleOracleData(uint256,uint256)",
    "InvalidParams()",
    "OracleNonceReplay(bytes32,uint256,uint256)",
    "OracleTimestampNotMonotonic(bytes32,uint256,uint256)",
    "OracleSignatureInvalid(address,address)",
    "SpreadSanityExceeded(int24,int24)",
    "DepthBelowThreshold(uint256,uint256)",
    # TempoVault TreasuryVault (interface §5.4, §20)
    "TokenNotApproved(address)",
    "StrategyNotApproved(address)",
    "InsufficientBalance(uint256,uint256)",
    "DeploymentNotActive(uint256)",
    "ZeroAmount()",
    "NotVaultOwner()",
    "BalanceConsistencyViolation(address,uint256,uint256)",
    "FeeTreasuryNotSet()",
    # TempoVault DexStrategy / DexStrategyCompact (interface §6, §7, §20)
    "Unauthorized()",
    "StrategyNotActive(bytes32)",
    "TooManyOrders(bytes32,uint16)",
    "OrderSizeBelowMinimum(uint256,uint256)",
    "EmergencyUnwindFailed(uint256)",
    "PairNotLinkedToDeployment(bytes32)",
    "PairAlreadyHasActiveDeployment(bytes32)",
    "AmountExceedsUint128(uint256)",
    "TickOutOfBounds(int16)",
    "TickNotMultipleOfSpacing(int16)",
    "InvalidFlipTick(int16,int16,bool)",
)

PANIC_CODES: dict[int, str] = {
    0x00: "generic compiler panic",
    0x01: "assert failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "corrupt storage byte array",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory (allocation too large)",
    0x51: "call to an uninitialised function pointer",
}


def _table(signatures: Iterable[str]) -> dict[bytes, FunctionSig]:
    out: dict[bytes, FunctionSig] = {}
    for text in signatures:
        sig = parse_signature(text)
        out.setdefault(sig.selector, sig)
    return out


KNOWN_ERRORS: dict[bytes, FunctionSig] = _table(KNOWN_ERROR_SIGNATURES)


@lru_cache(maxsize=64)
def _extra_table(signatures: tuple[str, ...]) -> dict[bytes, FunctionSig]:
    return _table(signatures)


def _norm_role_key(key: str) -> str:
    h = key.lower().removeprefix("0x")
    return "0x" + h.rjust(64, "0")


def _render(abi_type: str, value: Any, roles: Mapping[str, str]) -> str:
    if abi_type == "address":
        return checksum(str(value))
    if abi_type == "bytes32" and isinstance(value, bytes):
        key = "0x" + value.hex()
        return roles.get(key, key)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if abi_type == "string":
        return '"' + str(value).replace('"', '\\"') + '"'
    if abi_type == "bool":
        return "true" if value else "false"
    if abi_type.endswith("]") and isinstance(value, (list, tuple)):
        inner = abi_type[: abi_type.rindex("[")]
        return "[" + ", ".join(_render(inner, v, roles) for v in value) + "]"
    if abi_type.startswith("(") and isinstance(value, tuple):
        members = _split_top(abi_type[1:-1])
        return "(" + ", ".join(_render(t, v, roles) for t, v in zip(members, value, strict=True)) + ")"
    return str(value)


def decode_revert(
    data: bytes,
    *,
    role_names: Mapping[str, str] | None = None,
    extra_errors: Iterable[str] = (),
) -> str:
    """Describe revert data in words.

    Args:
        data: the raw revert data (selector + ABI-encoded arguments), as `CallResult.data` or `Revert.data`.
        role_names: hex role id (``0x…``, 32 bytes) → role name, so bytes32 arguments that are role ids print
            as ``RISK_OFFICER`` rather than 66 hex characters.
        extra_errors: more error signatures (``"NotOwner(address)"``) from the target contract's ABI; they
            take precedence over the built-in table when selectors collide.

    Returns:
        ``AccessControlUnauthorizedAccount(0x7099…79C8, RISK_OFFICER)``, ``Error("not allowed")``,
        ``Panic(0x11: arithmetic overflow or underflow)``, ``unknown error 0x12345678 (64 bytes of data)`` or
        ``reverted without a reason``. Never raises for any input.
    """
    raw = bytes(data or b"")
    if not raw:
        return "reverted without a reason"
    if len(raw) < 4:
        return f"reverted with {len(raw)} byte(s) of malformed data 0x{raw.hex()}"
    roles = {_norm_role_key(k): v for k, v in (role_names or {}).items()}
    selector, body = raw[:4], raw[4:]
    sig: FunctionSig | None = None
    extras = tuple(extra_errors)
    if extras:
        try:
            sig = _extra_table(extras).get(selector)
        except SignatureError:
            sig = None  # a bad extra signature must not hide the real error
    sig = sig or KNOWN_ERRORS.get(selector)
    if sig is None:
        return f"unknown error 0x{selector.hex()} ({len(body)} bytes of data)"
    try:
        values = _abi_decode(list(sig.inputs), body)
    except (DecodingError, ValueError, OverflowError):  # selector matched but the arguments do not fit
        return f"{sig.name}(<{len(body)} bytes that do not decode as ({','.join(sig.inputs)})>)"
    if sig.canonical == "Panic(uint256)":
        code = int(values[0])
        return f"Panic(0x{code:02x}: {PANIC_CODES.get(code, 'unknown panic code')})"
    args = ", ".join(_render(t, v, roles) for t, v in zip(sig.inputs, values, strict=True))
    return f"{sig.name}({args})"


class Revert(TempoctlError):
    """Execution reverted (eth_call / eth_estimateGas); `data` holds the raw revert data.

    The summary decodes the data with the built-in table; callers that know role names or the target ABI
    re-decode `data` with `decode_revert` for a better message.
    """

    def __init__(self, data: bytes, message: str = "") -> None:
        super().__init__(f"Execution reverted: {decode_revert(data)}.", detail=f"Revert data: 0x{data.hex()}")
        self.data, self.node_message = data, message


def hex_bytes(value: object) -> bytes:
    """Bytes of a ``0x…`` hex string as JSON-RPC returns it; ``b""`` for anything that is not hex."""
    if isinstance(value, str):
        h = value[2:] if value.startswith(("0x", "0X")) else value
        try:
            return bytes.fromhex(h if len(h) % 2 == 0 else "0" + h)
        except ValueError:
            return b""
    return b""


def revert_data(error: Mapping[str, Any]) -> bytes | None:
    """Revert data of a JSON-RPC error object if it is an execution revert, else None.

    geth and anvil answer code 3 with ``data: "0x…"``; other nodes put ``execution reverted`` in the message
    and the data as a string or nested ``{"data": "0x…"}``. A revert without data gives ``b""``.
    """
    msg = str(error.get("message", "")).lower()
    data = error.get("data")
    if isinstance(data, Mapping):
        data = data.get("data", data.get("result"))
    if error.get("code") == 3 or "revert" in msg:
        return hex_bytes(data)
    return None
