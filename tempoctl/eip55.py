"""keccak-256 and EIP-55 checksummed addresses: the one implementation that `tempoctl validate` (desired
state) and the EVM engine (ABI decoding, logs) share, so both always agree on an address's spelling.

Imports neither web3, eth_utils nor pydantic: `validate` checks every address in the state files and must
stay fast (DESIGN §10). keccak is pycryptodome's C implementation, called directly: going through eth_hash
(as eth_utils does) adds imports (importlib.metadata, logging) to every run for nothing.
"""

from __future__ import annotations

import functools
import re
import sys
from types import ModuleType

_HEX40 = re.compile(r"^(0[xX])?[0-9a-fA-F]{40}$")


def keccak256(data: bytes) -> bytes:
    """keccak-256 of `data` (32 bytes): Ethereum's hash, not the standardised SHA3-256."""
    digest: bytes = _keccak().new(data=data, digest_bits=256).digest()
    return digest


@functools.cache
def _keccak() -> ModuleType:
    """pycryptodome's keccak module, bound to its C code through ctypes rather than cffi where we are the
    first to load pycryptodome.

    pycryptodome uses cffi when it can import it, and falls back to ctypes (its supported path without cffi,
    and under `python -OO`). Through cffi it first parses its C declarations with pycparser: ~20 ms, about
    a tenth of a whole `tempoctl validate`. Same library, same C code; only the binding differs. Left alone
    when pycryptodome or cffi is already loaded, or other threads run (hiding cffi from them for the
    duration of the import could fail their import of it).
    """
    threading = sys.modules.get("threading")
    busy = threading is not None and threading.active_count() > 1
    if busy or "Crypto.Util._raw_api" in sys.modules or "cffi" in sys.modules:
        from Crypto.Hash import keccak

        return keccak
    sys.modules["cffi"] = None  # type: ignore[assignment]  # makes `import cffi` raise ImportError
    try:
        from Crypto.Hash import keccak
    finally:
        del sys.modules["cffi"]
    return keccak


def to_checksum_address(address: str | bytes) -> str:
    """EIP-55 checksummed form of a 20-byte address given as hex text (any case, `0x` optional) or raw bytes.

    Raises:
        ValueError: the value is not a 20-byte address.
    """
    if isinstance(address, bytes | bytearray):
        if len(address) != 20:
            raise ValueError(f"not a 20-byte address ({len(address)} bytes)")
        lower = bytes(address).hex()
    elif isinstance(address, str) and _HEX40.match(address):
        lower = address[-40:].lower()
    else:
        raise ValueError("not a 20-byte address (expected 0x followed by 40 hex digits)")
    digest = keccak256(lower.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if int(d, 16) >= 8 else c for c, d in zip(lower, digest, strict=False))
