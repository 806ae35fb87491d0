"""Value types shared by the desired-state models: EVM addresses, Stellar strkeys, bytes32, durations.

Kept free of web3 and stellar-sdk so that `tempoctl validate` stays fast (DESIGN §10); EIP-55 is
`tempoctl.eip55` (shared with the EVM engine), and strkeys are checked with the CRC16 of SEP-23.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from tempoctl.eip55 import to_checksum_address

_HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d)?\s*$")
_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d)")


def normalise_evm_address(value: Any) -> str:
    """Accept all-lower/all-upper hex, or a correct EIP-55 mixed-case address; return the checksummed form."""
    if not isinstance(value, str):
        # ValueError, not TypeError: pydantic turns only ValueError into a validation error.
        raise ValueError(f"expected an EVM address (0x followed by 40 hex digits), got {_kind(value)}")  # noqa: TRY004
    if not _HEX_ADDRESS.match(value):
        raise ValueError("not a valid address (expected 0x followed by 40 hex digits)")
    body = value[2:]
    checksummed = to_checksum_address(value)
    if body != body.lower() and body != body.upper() and value != checksummed:
        raise ValueError(f"not a valid address (checksum mismatch; did you mean {checksummed}?)")
    return checksummed


def normalise_bytes32(value: Any) -> str:
    if not isinstance(value, str) or not _HEX32.match(value):
        raise ValueError("expected a bytes32 value (0x followed by 64 hex digits)")
    return value.lower()


_STRKEY_VERSIONS = {"G": 6 << 3, "C": 2 << 3, "S": 18 << 3, "M": 12 << 3}


def _crc16_xmodem(data: bytes) -> int:
    """CRC-16/XMODEM, the strkey checksum: `binascii.crc_hqx` from 0 is exactly it, in C (a Python loop over
    bits cost 0.1 ms per key, a second of `validate` at 10,000 Stellar items)."""
    return binascii.crc_hqx(data, 0)


def strkey_valid(value: str, kind: str) -> bool:
    """True when `value` is a well-formed strkey of kind G (account), C (contract), S (secret seed) or M
    (muxed account) (SEP-23); a wrong kind is simply False."""
    if len(value) != 56 or not value.startswith(kind) or kind not in _STRKEY_VERSIONS:
        return False
    try:
        raw = base64.b32decode(value)
    except (ValueError, TypeError):
        return False
    if len(raw) != 35 or raw[0] != _STRKEY_VERSIONS[kind]:
        return False
    payload, checksum = raw[:-2], raw[-2:]
    return _crc16_xmodem(payload) == int.from_bytes(checksum, "little")


def _strkey_validator(kind: str, what: str):  # type: ignore[no-untyped-def]
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected a Stellar {what} ({kind}… strkey), got {_kind(value)}")  # noqa: TRY004
        if not strkey_valid(value.strip(), kind):
            raise ValueError(
                f"not a valid Stellar {what} (expected a {kind}… strkey of 56 characters"
                f"{', checksum mismatch' if len(value.strip()) == 56 and value.startswith(kind) else ''})"
            )
        return value.strip()

    return check


def parse_duration(value: Any) -> float:
    """Terraform-style durations: `30s`, `5m`, `26h`, `2d`, `1h30m`, or a bare number of seconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a duration such as 30s, 5m or 26h, got {_kind(value)}")  # noqa: TRY004
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    m = _DURATION.match(value)
    if m:
        n, unit = int(m.group(1)), m.group(2) or "s"
        return n * _UNIT[unit]
    parts = _DURATION_PART.findall(value.replace(" ", ""))
    if parts and "".join(a + b for a, b in parts) == value.replace(" ", ""):
        return sum(int(n) * _UNIT[u] for n, u in parts)
    raise ValueError(f"not a duration: {value!r} (expected e.g. 30s, 5m, 26h, 1h30m)")


_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


# WithJsonSchema: editors see what the YAML holds (strings like "26h"), not the normalised Python type.
EvmAddress = Annotated[
    str,
    BeforeValidator(normalise_evm_address),
    WithJsonSchema({"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$", "description": "EVM address"}),
]
Bytes32 = Annotated[
    str,
    BeforeValidator(normalise_bytes32),
    WithJsonSchema({"type": "string", "pattern": "^0x[0-9a-fA-F]{64}$", "description": "bytes32"}),
]
StellarAccount = Annotated[
    str,
    BeforeValidator(_strkey_validator("G", "account address")),
    WithJsonSchema({"type": "string", "pattern": "^G[A-Z2-7]{55}$", "description": "Stellar account (G…)"}),
]
StellarContract = Annotated[
    str,
    BeforeValidator(_strkey_validator("C", "contract ID")),
    WithJsonSchema(
        {"type": "string", "pattern": "^C[A-Z2-7]{55}$", "description": "Soroban contract ID (C…)"}
    ),
]
Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": "^(\\d+(ms|s|m|h|d)?\\s*)+$"},
            ],
            "description": "duration: seconds, or e.g. 30s, 5m, 26h, 1h30m",
        }
    ),
]
NonEmptyStr = Annotated[str, AfterValidator(lambda s: s if s.strip() else _raise("must not be empty"))]


def _kind(value: Any) -> str:
    """How a non-string input reads to an operator ("a list", "nothing (null)", "true")."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return {"dict": "a mapping", "list": "a list"}.get(type(value).__name__, type(value).__name__)


def _raise(msg: str) -> str:
    raise ValueError(msg)
