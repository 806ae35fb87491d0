"""tempoctl.eip55: the one keccak/EIP-55 implementation that validate and the EVM engine share."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tempoctl.eip55 import keccak256, to_checksum_address
from tempoctl.observed.evm.abi import checksum

# The test vectors of EIP-55 itself (all-caps, all-lower and mixed bodies).
EIP55 = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]
EMPTY_KECCAK = "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


@pytest.mark.parametrize("address", EIP55)
def test_checksum_matches_eip55_vectors_from_any_spelling(address: str) -> None:
    body = address[2:]
    for spelling in (address, "0x" + body.lower(), "0X" + body.upper(), body, bytes.fromhex(body)):
        assert to_checksum_address(spelling) == address
    assert checksum(address.lower()) == address  # the EVM engine spells addresses the same way


@pytest.mark.parametrize("bad", ["0x1234", "0x" + "g" * 40, "", b"\x01" * 19, "0x" + "a" * 41])
def test_not_an_address_is_a_value_error(bad: str | bytes) -> None:
    with pytest.raises(ValueError, match="not a 20-byte address"):
        to_checksum_address(bad)


def test_keccak_is_ethereums_not_sha3() -> None:
    assert keccak256(b"").hex() == EMPTY_KECCAK
    assert keccak256(b"transfer(address,uint256)")[:4].hex() == "a9059cbb"


def test_both_bindings_of_pycryptodome_agree() -> None:
    """eip55 binds pycryptodome through ctypes when it loads it first (fast start-up), through cffi when cffi
    is already loaded; both must give the same digests."""
    probe = ("import sys\nif sys.argv[1] == 'cffi':\n    import cffi\nfrom tempoctl.eip55 import keccak256\n"
             "digests = keccak256(b'').hex(), keccak256(b'x' * 200).hex()\n"
             "from Crypto.Util import _raw_api\nprint(_raw_api.backend, *digests)")
    outs = {}
    for mode in ("first", "cffi"):
        r = subprocess.run([sys.executable, "-c", probe, mode], capture_output=True, text=True, check=True)
        backend, *digests = r.stdout.split()
        outs[backend] = digests
    assert set(outs) == {"ctypes", "cffi"}
    assert outs["ctypes"] == outs["cffi"] and outs["ctypes"][0] == EMPTY_KECCAK
