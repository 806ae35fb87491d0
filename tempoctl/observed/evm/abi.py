"""Function signatures as operators write them, and the ABI encoding around them.

Operators write calls the way `cast` does: ``circuitBroken(bytes32)(bool)`` or
``updateRiskParams((uint16,int16,uint16,uint256,uint16,uint32,int16,uint256))``. We parse that text ourselves
(rather than requiring a JSON ABI) so a desired-state file can name any view or setter without shipping ABIs;
encoding and decoding are delegated to eth_abi so the bytes are exactly what solc expects.

Imports eth_abi (~0.4 s, with the eth_utils it pulls in) but never web3 (~1 s); addresses and keccak come
from `tempoctl.eip55`, which `validate` shares.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eth_abi.abi import decode as _abi_decode
from eth_abi.abi import encode as _abi_encode
from eth_abi.exceptions import ABITypeError, DecodingError, EncodingError, ParseError
from eth_abi.grammar import parse as _parse_type

from tempoctl.eip55 import keccak256, to_checksum_address
from tempoctl.errors import TempoctlError

_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_ALIASES = {"uint": "uint256", "int": "int256", "byte": "bytes1"}
_WORDS_TO_DROP = {"indexed", "memory", "calldata", "storage", "payable"}


class SignatureError(TempoctlError):
    """A function or error signature could not be parsed, or arguments do not fit it."""


def keccak(data: bytes) -> bytes:
    """keccak-256 of `data` (32 bytes)."""
    return keccak256(data)


def checksum(addr: str | bytes) -> str:
    """EIP-55 checksummed form of a 20-byte address given as hex text (any case) or raw bytes.

    Raises:
        SignatureError: the value is not a 20-byte address.
    """
    try:
        return to_checksum_address(addr if isinstance(addr, bytes) else addr.strip())
    except (ValueError, TypeError, AttributeError) as e:
        raise SignatureError(f"Not an EVM address: {addr!r} ({e}).") from None


def _split_top(text: str) -> list[str]:
    """Split `text` on commas that are not inside parentheses."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise SignatureError(f"Unbalanced ')' in {text!r}.")
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise SignatureError(f"Unbalanced '(' in {text!r}.")
    parts.append(text[start:])
    return parts


def _normalise_type(raw: str) -> str:
    """Canonical ABI type of one parameter, dropping a parameter name and `memory`-like words."""
    text = raw.strip()
    if not text:
        raise SignatureError("Empty parameter type.")
    if text.startswith("("):
        depth = 0
        for i, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                end = i + 1
                while end < len(text) and text[end] in "[]0123456789":
                    end += 1
                inner = text[1:i]
                members = [] if not inner.strip() else [_normalise_type(p) for p in _split_top(inner)]
                return "(" + ",".join(members) + ")" + text[i + 1 : end].replace(" ", "")
        raise SignatureError(f"Unbalanced '(' in {raw!r}.")
    if text.startswith("tuple"):
        raise SignatureError(f"Write tuples as (type,...), not {raw!r}.")
    words = [w for w in text.split() if w not in _WORDS_TO_DROP]
    base = words[0]
    m = re.match(r"^([a-z]+)(.*)$", base)
    if m and m.group(1) in _ALIASES and not re.match(r"^\d", m.group(2)):
        base = _ALIASES[m.group(1)] + m.group(2)
    try:
        _parse_type(base).validate()
    except (ParseError, ABITypeError, ValueError) as e:
        raise SignatureError(f"Unknown ABI type {base!r} in {raw!r}: {e}") from None
    return base


def _parse_list(text: str) -> tuple[str, ...]:
    if not text.strip():
        return ()
    return tuple(_normalise_type(p) for p in _split_top(text))


@dataclass(frozen=True)
class FunctionSig:
    """A parsed function (or custom error) signature.

    Attributes:
        name: the function name.
        inputs: canonical ABI types of the arguments (tuples as ``(t1,t2)``).
        outputs: canonical ABI types of the return values (empty when not given).
    """

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...] = ()

    @property
    def canonical(self) -> str:
        """``name(type,...)``: the text that is hashed for the selector."""
        return f"{self.name}({','.join(self.inputs)})"

    @cached_property
    def selector(self) -> bytes:
        """The 4-byte selector, keccak-256(canonical)[:4]."""
        return keccak(self.canonical.encode())[:4]

    def encode_call(self, *args: Any) -> bytes:
        """Calldata for this function: selector + ABI-encoded `args`.

        Hex strings are accepted for ``bytes``/``bytesN`` arguments, so YAML values can be passed as they are.

        Raises:
            SignatureError: wrong number or type of arguments.
        """
        if len(args) != len(self.inputs):
            raise SignatureError(f"{self.canonical} takes {len(self.inputs)} argument(s), got {len(args)}.")
        values = [_coerce(t, v) for t, v in zip(self.inputs, args, strict=True)]
        try:
            return self.selector + _abi_encode(list(self.inputs), values)
        except (EncodingError, TypeError, ValueError, OverflowError) as e:
            raise SignatureError(f"Cannot encode arguments for {self.canonical}: {e}") from None

    def decode_output(self, data: bytes) -> tuple[Any, ...]:
        """Decode return data by `outputs`; addresses come back checksummed.

        Raises:
            SignatureError: the data does not fit the declared output types.
        """
        return decode_return(self.outputs, data)


def _coerce(abi_type: str, value: Any) -> Any:
    """Turn YAML-friendly values (hex text) into what eth_abi's strict codecs expect."""
    if abi_type.endswith("]"):
        inner = abi_type[: abi_type.rindex("[")]
        return [_coerce(inner, v) for v in value] if isinstance(value, (list, tuple)) else value
    if abi_type.startswith("("):
        members = _split_top(abi_type[1:-1])
        if isinstance(value, (list, tuple)) and len(value) == len(members):
            return tuple(_coerce(t, v) for t, v in zip(members, value, strict=True))
        return value
    if abi_type.startswith("bytes") and isinstance(value, str) and value.startswith(("0x", "0X")):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            return value
    if abi_type == "address" and isinstance(value, str):
        return checksum(value)
    return value


def _checksum_out(abi_type: str, value: Any) -> Any:
    if abi_type == "address" and isinstance(value, str):
        return to_checksum_address(value)
    if abi_type.endswith("]") and isinstance(value, (list, tuple)):
        inner = abi_type[: abi_type.rindex("[")]
        return tuple(_checksum_out(inner, v) for v in value)
    if abi_type.startswith("(") and isinstance(value, tuple):
        members = _split_top(abi_type[1:-1])
        return tuple(_checksum_out(t, v) for t, v in zip(members, value, strict=True))
    return value


def parse_signature(text: str) -> FunctionSig:
    """Parse ``name(inputs)`` optionally followed by ``(outputs)`` or ``returns (outputs)``.

    Parameter names and ``memory``/``calldata``/``indexed`` are ignored, ``uint``/``int`` become
    ``uint256``/``int256``, and a leading ``function``/``error``/``event`` keyword is dropped.

    Args:
        text: the signature as an operator writes it.

    Returns:
        The parsed `FunctionSig`.

    Raises:
        SignatureError: malformed text or unknown types.
    """
    s = text.strip()
    for kw in ("function ", "error ", "event "):
        if s.startswith(kw):
            s = s[len(kw) :].strip()
    open_at = s.find("(")
    if open_at <= 0:
        raise SignatureError(f"Expected name(types) but got {text!r}.")
    name = s[:open_at].strip()
    if not _NAME.match(name):
        raise SignatureError(f"Bad function name {name!r} in {text!r}.")
    close_at = _matching(s, open_at, text)
    inputs = _parse_list(s[open_at + 1 : close_at])
    rest = s[close_at + 1 :].strip()
    rest = re.sub(r"^((view|pure|external|public|payable|nonpayable)\s+)*", "", rest + " ").strip()
    if rest.startswith("returns"):
        rest = rest[len("returns") :].strip()
    outputs: tuple[str, ...] = ()
    if rest:
        if not rest.startswith("("):
            raise SignatureError(f"Unexpected text {rest!r} after the arguments in {text!r}.")
        end = _matching(rest, 0, text)
        if rest[end + 1 :].strip():
            raise SignatureError(f"Unexpected text {rest[end + 1 :]!r} in {text!r}.")
        outputs = _parse_list(rest[1:end])
    return FunctionSig(name, inputs, outputs)


def _matching(s: str, open_at: int, original: str) -> int:
    depth = 0
    for i in range(open_at, len(s)):
        depth += s[i] == "("
        depth -= s[i] == ")"
        if depth == 0:
            return i
    raise SignatureError(f"Unbalanced '(' in {original!r}.")


def encode_call(signature: str | FunctionSig, args: Sequence[Any] = ()) -> bytes:
    """Calldata for `signature` called with `args` (see `FunctionSig.encode_call`)."""
    sig = signature if isinstance(signature, FunctionSig) else parse_signature(signature)
    return sig.encode_call(*args)


def decode_call(signature: str | FunctionSig, data: bytes) -> tuple[Any, ...]:
    """The arguments encoded in `data`, a call of `signature`: the inverse of `encode_call`.

    Raises:
        SignatureError: the selector is not `signature`'s, or the rest does not decode as its inputs.
    """
    sig = signature if isinstance(signature, FunctionSig) else parse_signature(signature)
    if bytes(data[:4]) != sig.selector:
        raise SignatureError(f"calldata selector 0x{bytes(data[:4]).hex()} is not {sig.canonical} "
                             f"(0x{sig.selector.hex()})")
    return decode_return(sig.inputs, bytes(data[4:]))


def _plain_arg(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_plain_arg(v) for v in value) + "]"
    return str(value)


def describe_call(signature: str | FunctionSig, data: bytes) -> str:
    """``name(arg, …)`` decoded from calldata (bytes as 0x-hex, addresses checksummed): what the bytes say,
    for the journal and history, independent of any display text.

    Raises:
        SignatureError: as `decode_call`.
    """
    sig = signature if isinstance(signature, FunctionSig) else parse_signature(signature)
    return f"{sig.name}({', '.join(_plain_arg(v) for v in decode_call(sig, data))})"


def decode_return(types: Sequence[str], data: bytes) -> tuple[Any, ...]:
    """Decode ABI return data by `types`; addresses come back checksummed.

    Raises:
        SignatureError: the data is too short or otherwise does not fit (e.g. the target has no code and the
            call returned ``0x``).
    """
    tys = [_normalise_type(t) for t in types]
    try:
        values = _abi_decode(tys, bytes(data))
    except (DecodingError, ValueError, OverflowError) as e:
        raise SignatureError(
            f"Cannot decode {len(data)} byte(s) of return data as ({','.join(tys)}): {e}"
        ) from None
    return tuple(_checksum_out(t, v) for t, v in zip(tys, values, strict=True))


def role_label(role_id: bytes, names: Mapping[bytes, str]) -> str:
    """Name of a role id if known, else a short hex form (``0x25224d8f..7af9``) for messages.

    Args:
        role_id: the 32-byte role id.
        names: known role ids to names (e.g. from the ``*_ROLE()`` getters).
    """
    rid = bytes(role_id)
    if rid in names:
        return names[rid]
    h = rid.hex()
    return f"0x{h}" if len(h) <= 12 else f"0x{h[:8]}..{h[-4:]}"
