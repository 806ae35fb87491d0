"""Signatures, ABI encoding and revert decoding, checked against the selectors of the interface reference."""

from __future__ import annotations

import subprocess
import sys

import pytest
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode

from tempoctl.errors import TempoctlError
from tempoctl.observed.evm.abi import (
    SignatureError,
    checksum,
    decode_return,
    encode_call,
    keccak,
    parse_signature,
    role_label,
)
from tempoctl.observed.evm.reverts import KNOWN_ERRORS, decode_revert

RISK_OFFICER = keccak(b"RISK_OFFICER")
ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

# Selectors as printed in reference/evm-and-stellar-facts.md §1.3 and tempovault-interface.md §3.4, §4.8, §20.
REFERENCE_SELECTORS = {
    "AccessControlUnauthorizedAccount(address,bytes32)": "e2517d3f",
    "AccessControlBadConfirmation()": "6697b232",
    "AccessControlEnforcedDefaultAdminRules()": "3fc3c27a",
    "AccessControlInvalidDefaultAdmin(address)": "c22c8022",
    "AccessControlEnforcedDefaultAdminDelay(uint48)": "19ca5ebb",
    "EnforcedPause()": "d93c0665",
    "ExpectedPause()": "8dfc202b",
    "OwnableUnauthorizedAccount(address)": "118cdaa7",
    "OwnableInvalidOwner(address)": "1e4fbdf7",
    "Error(string)": "08c379a0",
    "Panic(uint256)": "4e487b71",
    "Unauthorized(address,bytes32)": "245329c6",
    "ProtocolPaused()": "44279255",
    "PairCircuitBroken(bytes32)": "26f2f177",
    "ExposureLimitExceeded(uint256,uint256)": "d5a691ad",
    "TickDeviationExceeded(int24,int24)": "055b5091",
    "ImbalanceThresholdBreached(uint256,uint16)": "eb389c15",
    "OrderSizeExceeded(uint256,uint256)": "3ea1eafe",
    "InsufficientReserve(uint256,uint256)": "315276c9",
    "StaleOracleData(uint256,uint256)": "bea30236",
    "InvalidParams()": "a86b6512",
    "OracleNonceReplay(bytes32,uint256,uint256)": "a6e426cc",
    "OracleTimestampNotMonotonic(bytes32,uint256,uint256)": "a6a132bd",
    "OracleSignatureInvalid(address,address)": "d7711472",
    "SpreadSanityExceeded(int24,int24)": "a2ab6387",
    "DepthBelowThreshold(uint256,uint256)": "468d0d9a",
    "TokenNotApproved(address)": "87921f5a",
    "StrategyNotApproved(address)": "b6bfb68b",
    "InsufficientBalance(uint256,uint256)": "cf479181",
    "DeploymentNotActive(uint256)": "678f4b51",
    "ZeroAmount()": "1f2a2005",
    "NotVaultOwner()": "0e7fea9d",
    "BalanceConsistencyViolation(address,uint256,uint256)": "4a0ce14e",
    "FeeTreasuryNotSet()": "ab90866f",
    "Unauthorized()": "82b42900",
    "StrategyNotActive(bytes32)": "c46fed16",
    "TooManyOrders(bytes32,uint16)": "6677682d",
    "OrderSizeBelowMinimum(uint256,uint256)": "83568ad1",
    "EmergencyUnwindFailed(uint256)": "7d8ff894",
    "PairNotLinkedToDeployment(bytes32)": "6e581af8",
    "PairAlreadyHasActiveDeployment(bytes32)": "e95dbeda",
    "AmountExceedsUint128(uint256)": "7a44b3a6",
    "TickOutOfBounds(int16)": "b549f7dd",
    "TickNotMultipleOfSpacing(int16)": "f4280abc",
    "InvalidFlipTick(int16,int16,bool)": "06eee562",
}


@pytest.mark.parametrize(("sig", "selector"), sorted(REFERENCE_SELECTORS.items()))
def test_error_selectors_match_reference(sig: str, selector: str) -> None:
    assert parse_signature(sig).selector.hex() == selector
    assert KNOWN_ERRORS[bytes.fromhex(selector)].canonical == sig


def test_function_selectors_match_reference() -> None:
    assert parse_signature("hasRole(bytes32,address)(bool)").selector.hex() == "91d14854"
    assert parse_signature("grantRole(bytes32 role, address account)").selector.hex() == "2f2ff15d"
    assert parse_signature("aggregate3((address,bool,bytes)[])").selector.hex() == "82ad56cb"
    assert parse_signature("setFeeConfig(address,uint16,uint16)").selector.hex() == "445315eb"


def test_parse_forms() -> None:
    s = parse_signature("circuitBroken(bytes32)(bool)")
    assert (s.name, s.inputs, s.outputs, s.canonical) == (
        "circuitBroken",
        ("bytes32",),
        ("bool",),
        "circuitBroken(bytes32)",
    )
    t = parse_signature("updateRiskParams((uint16,int16,uint16,uint256,uint16,uint32,int16,uint256))")
    assert t.inputs == ("(uint16,int16,uint16,uint256,uint16,uint32,int16,uint256)",)
    u = parse_signature("function balanceOf(address owner) external view returns (uint balance)")
    assert (u.inputs, u.outputs) == (("address",), ("uint256",))
    v = parse_signature("f((uint, address)[] xs, bytes32[2] memory ys)(address[])")
    assert v.inputs == ("(uint256,address)[]", "bytes32[2]") and v.outputs == ("address[]",)
    assert parse_signature("paused()(bool)").inputs == ()


@pytest.mark.parametrize(
    "bad", ["", "noparens", "(uint256)", "f(uint257)", "f(uint256", "f(uint256))", "f()x", "1f()"]
)
def test_parse_errors_are_clean(bad: str) -> None:
    with pytest.raises(SignatureError) as e:
        parse_signature(bad)
    assert isinstance(e.value, TempoctlError)


def test_encode_and_decode_round_trip() -> None:
    params = (3000, -200, 9000, 50_000 * 10**18, 2000, 300, 100, 100_000 * 10**18)
    sig = parse_signature("updateRiskParams((uint16,int16,uint16,uint256,uint16,uint32,int16,uint256))")
    data = sig.encode_call(params)
    assert data[:4] == sig.selector
    assert abi_decode([sig.inputs[0]], data[4:]) == (params,)
    # hex text for bytes32 and lower-case addresses are accepted, as they come from YAML
    call = encode_call("hasRole(bytes32,address)", ["0x" + RISK_OFFICER.hex(), ALICE.lower()])
    assert call == bytes.fromhex("91d14854") + abi_encode(["bytes32", "address"], [RISK_OFFICER, ALICE])
    out = parse_signature("f()(address,uint256,bool)").decode_output(
        abi_encode(["address", "uint256", "bool"], [ALICE, 7, True])
    )
    assert out == (ALICE, 7, True)
    assert decode_return(["address[]"], abi_encode(["address[]"], [[ALICE]])) == ((ALICE,),)
    with pytest.raises(SignatureError):
        decode_return(["uint256"], b"")
    with pytest.raises(SignatureError):
        sig.encode_call()
    with pytest.raises(SignatureError):
        encode_call("f(uint8)", [300])


def test_helpers() -> None:
    assert checksum(ALICE.lower()) == ALICE
    assert checksum(bytes.fromhex(ALICE[2:])) == ALICE
    with pytest.raises(SignatureError):
        checksum("0x1234")
    assert keccak(b"").hex().startswith("c5d2460186f7")
    assert role_label(RISK_OFFICER, {RISK_OFFICER: "RISK_OFFICER"}) == "RISK_OFFICER"
    assert role_label(RISK_OFFICER, {}) == "0x25224d8f..7af9"


def test_decode_revert() -> None:
    roles = {"0x" + RISK_OFFICER.hex(): "RISK_OFFICER"}
    acl = parse_signature("AccessControlUnauthorizedAccount(address,bytes32)").encode_call(
        ALICE, RISK_OFFICER
    )
    assert decode_revert(acl, role_names=roles) == f"AccessControlUnauthorizedAccount({ALICE}, RISK_OFFICER)"
    assert decode_revert(acl) == f"AccessControlUnauthorizedAccount({ALICE}, 0x{RISK_OFFICER.hex()})"
    tv = parse_signature("Unauthorized(address,bytes32)").encode_call(ALICE, bytes(32))
    assert decode_revert(tv, role_names={"0x00": "ADMIN"}) == f"Unauthorized({ALICE}, ADMIN)"
    assert decode_revert(bytes.fromhex("a86b6512")) == "InvalidParams()"
    assert (
        decode_revert(parse_signature("Error(string)").encode_call("not allowed")) == 'Error("not allowed")'
    )
    panic = parse_signature("Panic(uint256)")
    assert decode_revert(panic.encode_call(0x12)) == "Panic(0x12: division or modulo by zero)"
    assert decode_revert(panic.encode_call(0x99)) == "Panic(0x99: unknown panic code)"
    assert (
        decode_revert(bytes.fromhex("12345678") + bytes(64)) == "unknown error 0x12345678 (64 bytes of data)"
    )
    assert decode_revert(b"") == "reverted without a reason"
    assert decode_revert(b"\x01\x02").startswith("reverted with 2 byte(s)")
    assert "do not decode" in decode_revert(bytes.fromhex("e2517d3f") + b"\x01")
    not_owner = parse_signature("NotOwner(address)").encode_call(ALICE)
    assert decode_revert(not_owner).startswith("unknown error")
    assert decode_revert(not_owner, extra_errors=["error NotOwner(address who)"]) == f"NotOwner({ALICE})"
    assert decode_revert(not_owner, extra_errors=["garbage("]).startswith("unknown error")
    flip = parse_signature("InvalidFlipTick(int16,int16,bool)").encode_call(-5, 10, True)
    assert decode_revert(flip) == "InvalidFlipTick(-5, 10, true)"


def test_observed_packages_do_not_import_web3() -> None:
    code = "import sys, tempoctl.observed, tempoctl.observed.evm; print('web3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
