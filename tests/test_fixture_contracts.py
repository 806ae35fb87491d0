"""The fixture contracts match their sources and the real TempoVault interfaces, and deploy on a real anvil."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from eth_abi.abi import decode, encode
from web3 import Web3

from tests.support import contracts as C
from tests.support.anvil import DEV_ADDRESSES, DEV_KEYS, EVM_TOOLS, Anvil, anvil_available, start_anvil

CHAIN_ID = 42431
ZERO32 = b"\x00" * 32

needs_anvil = pytest.mark.skipif(not anvil_available(), reason="anvil not installed (npm ci in tests/evm)")


def _canonical(t: dict[str, Any]) -> str:
    if t["type"].startswith("tuple"):
        return "(" + ",".join(_canonical(c) for c in t["components"]) + ")" + str(t["type"])[5:]
    return str(t["type"])


def _abi_ids(name: str, kind: str) -> dict[str, str]:
    """canonical signature -> selector (functions, errors) or topic0 (events) from the compiled ABI."""
    out: dict[str, str] = {}
    for item in C.load_artifact(name)["abi"]:
        if item["type"] != kind:
            continue
        sig = f"{item['name']}({','.join(_canonical(i) for i in item['inputs'])})"
        h = Web3.keccak(text=sig).hex()
        out[sig] = "0x" + (h if kind == "event" else h[:8])
    return out


# ---------------------------------------------------------------- artifacts


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_artifacts_match_sources() -> None:
    proc = subprocess.run(
        ["node", str(EVM_TOOLS / "compile.mjs"), "--check"],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"stale artifacts, run `npm run compile` in tests/evm:\n{proc.stderr}"


def test_every_source_has_an_artifact() -> None:
    names = {p.stem for p in (EVM_TOOLS / "contracts").glob("*.sol")}
    for name in names:
        art = C.load_artifact(name)
        assert art["contractName"] == name
        assert art["bytecode"].startswith("0x") and len(art["bytecode"]) > 2
        assert art["sourceHash"].startswith("0x") and len(art["sourceHash"]) == 66


# ---------------------------------------------------------------- selectors (reference §3–§5, §20)

REFERENCE_FUNCTIONS = {
    "GovernanceRoles": {
        "grantRole(bytes32,address)": "0x2f2ff15d",
        "revokeRole(bytes32,address)": "0xd547741f",
        "renounceRole(bytes32,address)": "0x36568abe",
        "hasRole(bytes32,address)": "0x91d14854",
        "getRoleAdmin(bytes32)": "0x248a9ca3",
        "getRoleMember(bytes32,uint256)": "0x9010d07c",
        "getRoleMemberCount(bytes32)": "0xca15c873",
        "getRoleMembers(bytes32)": "0xa3246ad3",
        "checkRole(bytes32,address)": "0x12d9a6ad",
        "setRoleAdmin(bytes32,bytes32)": "0x1e4e0091",
        "ADMIN_ROLE()": "0x75b238fc",
        "TREASURY_MANAGER_ROLE()": "0xebdf690f",
        "RISK_OFFICER_ROLE()": "0xfc193645",
        "EMERGENCY_ROLE()": "0x20df4359",
        "ORACLE_ROLE()": "0x07e2cea5",
        "STRATEGIST_ROLE()": "0xa378a324",
    },
    "RiskController": {
        "toggleGlobalPause(bool)": "0x3d85ef93",
        "paused()": "0x5c975abb",
        "triggerCircuitBreaker(bytes32)": "0x9a7372a5",
        "resetCircuitBreaker(bytes32)": "0xe6271b55",
        "pairCircuitBroken(bytes32)": "0xe1347256",
        "pairId(address,address)": "0x210082c1",
        "updateRiskParams((uint16,int16,uint16,uint256,uint16,uint32,int16,uint256))": "0x70fe2cd4",
        "updateOracleSignal(bytes32,(int16,uint256,uint256,uint256,uint256,uint256),bytes)": "0x7be7e2ba",
        "latestSignals(bytes32)": "0x2218d7ab",
        "oracleNonces(bytes32)": "0x5cbecabf",
        "oracleLastTimestamp(bytes32)": "0x497cdcb0",
        "DOMAIN_SEPARATOR()": "0x3644e515",
        "maxExposurePerPairBps()": "0x72f7b4f3",
        "maxTickDeviation()": "0x696c58e5",
        "maxImbalanceBps()": "0xf56f7e64",
        "maxOrderSize()": "0xf1a82c7e",
        "minReserveBps()": "0xd62fe53c",
        "oracleStalenessThreshold()": "0x1f45d0e4",
        "maxSpreadSanityTicks()": "0xda735684",
        "minDepthThreshold()": "0x91f0fa89",
        "governance()": "0x5aa6e675",
    },
    "TreasuryVault": {
        "setApprovedToken(address,bool)": "0x7e6a3400",
        "setApprovedStrategy(address,bool)": "0x12a7bd4c",
        "setFeeConfig(address,uint16,uint16)": "0x445315eb",
        "approvedTokens(address)": "0x6d1ea3fa",
        "approvedStrategies(address)": "0xc613aec0",
        "feeTreasury()": "0x60dc2340",
        "performanceFeeBps()": "0xb9d4e879",
        "managementFeeBps()": "0x3813c35a",
        "owner()": "0x8da5cb5b",
        "vaultId()": "0x33194c0a",
        "governance()": "0x5aa6e675",
        "riskController()": "0x6025a91b",
        "deposit(address,uint256)": "0x47e7ef24",
        "withdraw(address,uint256,address)": "0x69328dec",
    },
}

REFERENCE_ERRORS = {
    "GovernanceRoles": {
        "Unauthorized(address,bytes32)": "0x245329c6",
        "AccessControlUnauthorizedAccount(address,bytes32)": "0xe2517d3f",
        "AccessControlBadConfirmation()": "0x6697b232",
    },
    "RiskController": {
        "ProtocolPaused()": "0x44279255",
        "PairCircuitBroken(bytes32)": "0x26f2f177",
        "ExposureLimitExceeded(uint256,uint256)": "0xd5a691ad",
        "TickDeviationExceeded(int24,int24)": "0x055b5091",
        "ImbalanceThresholdBreached(uint256,uint16)": "0xeb389c15",
        "OrderSizeExceeded(uint256,uint256)": "0x3ea1eafe",
        "InsufficientReserve(uint256,uint256)": "0x315276c9",
        "StaleOracleData(uint256,uint256)": "0xbea30236",
        "InvalidParams()": "0xa86b6512",
        "OracleNonceReplay(bytes32,uint256,uint256)": "0xa6e426cc",
        "OracleTimestampNotMonotonic(bytes32,uint256,uint256)": "0xa6a132bd",
        "OracleSignatureInvalid(address,address)": "0xd7711472",
        "SpreadSanityExceeded(int24,int24)": "0xa2ab6387",
        "DepthBelowThreshold(uint256,uint256)": "0x468d0d9a",
    },
    "TreasuryVault": {
        "TokenNotApproved(address)": "0x87921f5a",
        "StrategyNotApproved(address)": "0xb6bfb68b",
        "InsufficientBalance(uint256,uint256)": "0xcf479181",
        "DeploymentNotActive(uint256)": "0x678f4b51",
        "ZeroAmount()": "0x1f2a2005",
        "NotVaultOwner()": "0x0e7fea9d",
        "BalanceConsistencyViolation(address,uint256,uint256)": "0x4a0ce14e",
        "FeeTreasuryNotSet()": "0xab90866f",
    },
}

REFERENCE_EVENTS = {
    "GovernanceRoles": {
        "RoleGranted(bytes32,address,address)": "0x2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d",
        "RoleRevoked(bytes32,address,address)": "0xf6391f5c32d9c69d2a47ea670b442974b53935d1edc7fd64eb21e047a839171b",
        "RoleAdminChanged(bytes32,bytes32,bytes32)": (
            "0xbd79b86ffe0ab8e8776151514217cd7cacd52c909f66475c3af44e129f0b00ff"
        ),
        "RoleGrantedByAdmin(bytes32,address,address)": (
            "0x9bb1e6e5a1b924e85d33abc554ea8c48c632c1345bc4d37ccb9fb5c75458d1d5"
        ),
        "RoleRevokedByAdmin(bytes32,address,address)": (
            "0xf49945c35a5c48c803f85cb820efc7c2929fbf90a835db9c30621a5d3364c39c"
        ),
    },
    "RiskController": {
        "GlobalPauseToggled(bool,address)": "0xfa299961d93aa96cd1a6b6e8e446b7c3b3e84213d1aea39a85e96797ebc20679",
        "CircuitBreakerTriggered(bytes32,address)": (
            "0x9f1fcd9368598f0d85238fb9132b36406500308eb310b84c04bd6683f1cb5d6b"
        ),
        "CircuitBreakerReset(bytes32,address)": "0x669538ca1f8f0201db72834644c63f3888246fad61d33cbb3d3e728735bd89fd",
        "RiskParamsUpdated((uint16,int16,uint16,uint256,uint16,uint32,int16,uint256),address)": (
            "0x698440991d5b0de7750f72ec919c4330ac5f73710d5c48991519beb1c29d6fa8"
        ),
        "OracleSignalUpdated(bytes32,(int16,uint256,uint256,uint256,uint256,uint256),uint256)": (
            "0x936199dcd070bd1930f781e40e9e22d5828ef51b0cfad62543a6210c95153c23"
        ),
        "OracleNonceAdvanced(bytes32,uint256,uint256)": (
            "0x24949814980cd907f4a41126dde62448c63572e56dd0ce61aec855cdbd4eec3c"
        ),
    },
    "TreasuryVault": {
        "TokenApproved(address,bool)": "0x54aee4f020b814c26f556399a354577e068193a82445e919505b00b9848512a5",
        "StrategyApproved(address,bool)": "0xd09d1712710f1ad78ddeb81f627e7f577a06d1333ac3e694d0485f82c5f2fe38",
        "Deposited(uint256,address,uint256,address,uint256)": (
            "0xeecc4d7c70d0c4c789401451bda0507e88c43f2e6d1637002714b80de55f134c"
        ),
        "Withdrawn(uint256,address,uint256,address,uint256)": (
            "0x2b50bbeab304785e1247f1e22da0321897c428768d93e80ab1811e9baa955901"
        ),
    },
}


@pytest.mark.parametrize(
    ("kind", "table"),
    [("function", REFERENCE_FUNCTIONS), ("error", REFERENCE_ERRORS), ("event", REFERENCE_EVENTS)],
)
def test_abi_matches_reference(kind: str, table: dict[str, dict[str, str]]) -> None:
    for name, expected in table.items():
        actual = _abi_ids(name, kind)
        for sig, sel in expected.items():
            assert actual.get(sig) == sel, f"{name}.{sig}: expected {sel}, ABI has {actual.get(sig)}"


def test_runbook_functions_exist_only_on_legacy_risk() -> None:
    risk = _abi_ids("RiskController", "function")
    legacy = _abi_ids("LegacyRisk", "function")
    for sig in (
        "oracle()",
        "setOracleAddress(address)",
        "circuitBroken(bytes32)",
        "setCircuitBreaker(bytes32,bool)",
    ):
        assert sig in legacy
        assert sig not in risk
    assert "pause()" not in risk and "unpause()" not in risk
    assert "NotOwner(address)" in _abi_ids("LegacyRisk", "error")


def test_pair_id_python_helper() -> None:
    pid = "0x190cba1f91e8cfcbaeaf2ecbeb74e46a30f7896786e0b8de91dc03edea0ecaec"
    assert "0x" + C.pair_id(C.PATH_USD, C.ALPHA_USD).hex() == pid
    assert C.pair_id(C.ALPHA_USD, C.PATH_USD) == C.pair_id(C.PATH_USD, C.ALPHA_USD)


# ---------------------------------------------------------------- on a real anvil


@pytest.fixture(scope="module")
def deployed() -> Iterator[tuple[Anvil, C.TempoVaultDeployment]]:
    if not anvil_available():
        pytest.skip("anvil not installed (npm ci in tests/evm)")
    with start_anvil(CHAIN_ID) as node:
        yield node, C.deploy_tempovault(node.url, chain_id=CHAIN_ID)


@pytest.fixture
def env(deployed: tuple[Anvil, C.TempoVaultDeployment]) -> Iterator[tuple[Anvil, C.TempoVaultDeployment]]:
    node, d = deployed
    snap = node.snapshot()
    yield node, d
    node.revert(snap)


ADMIN, OFFICER, ORACLE, STRANGER, RELAYER = (DEV_ADDRESSES[i] for i in range(5))
ADMIN_KEY, OFFICER_KEY, ORACLE_KEY, STRANGER_KEY, RELAYER_KEY = (DEV_KEYS[i] for i in range(5))
PAIR = C.pair_id(C.PATH_USD, C.ALPHA_USD)


def _latest_timestamp(url: str) -> int:
    return int(C.web3_of(url).eth.get_block("latest")["timestamp"])


@needs_anvil
def test_deployment_wiring(env: tuple[Anvil, C.TempoVaultDeployment]) -> None:
    node, d = env
    assert d.chain_id == CHAIN_ID
    assert C.call(node.url, d.risk, "RiskController", "governance") == d.governance
    assert C.call(node.url, d.vault, "TreasuryVault", "governance") == d.governance
    assert C.call(node.url, d.vault, "TreasuryVault", "riskController") == d.risk
    assert C.call(node.url, d.vault, "TreasuryVault", "vaultId") == 1
    assert C.call(node.url, d.vault, "TreasuryVault", "owner") == d.admin
    assert C.call(node.url, d.legacy_risk, "LegacyRisk", "owner") == d.admin
    assert C.call(node.url, d.fee_token, "FeeToken", "decimals") == 6
    assert C.call(node.url, d.fee_token, "FeeToken", "balanceOf", d.admin) == 1_000_000 * 10**6
    params = [C.call(node.url, d.risk, "RiskController", field) for field in C.RiskParams._fields]
    assert tuple(params) == tuple(C.DEFAULT_RISK_PARAMS)
    assert C.call(node.url, d.risk, "RiskController", "paused") is False


@needs_anvil
def test_roles_after_deploy(env: tuple[Anvil, C.TempoVaultDeployment]) -> None:
    node, d = env
    gov = d.governance
    assert C.call(node.url, gov, "GovernanceRoles", "ADMIN_ROLE") == ZERO32
    expected_ids = {
        "TREASURY_MANAGER_ROLE": "0xfb33b7fa49278e0b9e45aa996caa7eae999f04705ef455a86b73159c5d256fa0",
        "RISK_OFFICER_ROLE": "0x25224d8f9a9fc3607343d6e4804b9ba2347ef2a832ba9799995045fca8c27af9",
        "EMERGENCY_ROLE": "0x76b1a12ac8d9ed64de3c0f66c2a19b21c0a3f9a1afec3f75bcd45f7b0794a1de",
        "ORACLE_ROLE": "0x352d05fe3946dbe49277552ba941e744d5a96d9c60bc1ba0ea5f1d3ae000f7c8",
        "STRATEGIST_ROLE": "0xb17d0a42cc710456bf9c3efb785dcd0cb93a0ac358113307b5c64b285b516b5c",
    }
    for getter, value in expected_ids.items():
        assert "0x" + C.call(node.url, gov, "GovernanceRoles", getter).hex() == value
        assert "0x" + C.role_id(getter).hex() == value
    emergency = C.role_id("EMERGENCY")
    assert C.call(node.url, gov, "GovernanceRoles", "hasRole", ZERO32, ADMIN) is True
    assert C.call(node.url, gov, "GovernanceRoles", "hasRole", emergency, ADMIN) is True
    assert C.call(node.url, gov, "GovernanceRoles", "getRoleMembers", ZERO32) == [ADMIN]
    assert C.call(node.url, gov, "GovernanceRoles", "getRoleMembers", emergency) == [ADMIN]
    assert C.call(node.url, gov, "GovernanceRoles", "getRoleAdmin", emergency) == ZERO32
    # checkRole reverts with Unauthorized(account, role)
    with pytest.raises(C.TxReverted) as exc:
        C.call(node.url, gov, "GovernanceRoles", "checkRole", emergency, STRANGER)
    assert exc.value.selector == "0x245329c6"
    # supports IAccessControlEnumerable
    assert C.call(node.url, gov, "GovernanceRoles", "supportsInterface", bytes.fromhex("5a05180f")) is True


@needs_anvil
def test_governance_rejects_zero_admin(env: tuple[Anvil, C.TempoVaultDeployment]) -> None:
    node, _ = env
    with pytest.raises(C.TxReverted) as exc:
        C.deploy(node.url, "GovernanceRoles", "0x" + "00" * 20)
    assert exc.value.data == "0x245329c6" + encode(["address", "bytes32"], ["0x" + "00" * 20, ZERO32]).hex()


@needs_anvil
def test_breaker_requires_risk_officer(env: tuple[Anvil, C.TempoVaultDeployment]) -> None:
    node, d = env
    with pytest.raises(C.TxReverted) as exc:
        C.send(node.url, d.risk, "RiskController", "triggerCircuitBreaker", PAIR, key=ADMIN_KEY)
    assert exc.value.selector == "0x245329c6"
    assert exc.value.data is not None
    caller, role = decode(["address", "bytes32"], bytes.fromhex(exc.value.data[10:]))
    assert Web3.to_checksum_address(caller) == ADMIN
    assert role == C.role_id("RISK_OFFICER")

    receipt = C.grant_role(node.url, d.governance, "RISK_OFFICER", OFFICER)
    assert receipt["logs"][0]["topics"][0].hex().removeprefix("0x") == REFERENCE_EVENTS["GovernanceRoles"][
        "RoleGranted(bytes32,address,address)"
    ].removeprefix("0x")
    receipt = C.send(node.url, d.risk, "RiskController", "triggerCircuitBreaker", PAIR, key=OFFICER_KEY)
    assert C.call(node.url, d.risk, "RiskController", "pairCircuitBroken", PAIR) is True
    assert (
        "0x" + receipt["logs"][0]["topics"][0].hex().removeprefix("0x")
        == (REFERENCE_EVENTS["RiskController"]["CircuitBreakerTriggered(bytes32,address)"])
    )
    C.send(node.url, d.risk, "RiskController", "resetCircuitBreaker", PAIR, key=OFFICER_KEY)
    assert C.call(node.url, d.risk, "RiskController", "pairCircuitBroken", PAIR) is False


@needs_anvil
def test_pause_requires_emergency(env: tuple[Anvil, C.TempoVaultDeployment]) -> None:
    node, d = env
    with pytest.raises(C.TxReverted) as exc:
        C.send(node.url, d.risk, "RiskController", "toggleGlobalPause", True, key=STRANGER_KEY)
    assert exc.value.selector == "0x245329c6"
    C.send(
        node.url, d.risk, "RiskController", "toggleGlobalPause", True, key=ADMIN_KEY
    )  # admin holds EMERGENCY
    assert C.call(node.url, d.risk, "RiskController", "paused") is True
    C.send(node.url, d.vault, "TreasuryVault", "setApprovedToken", d.fee_token, True, key=ADMIN_KEY)
    with pytest.raises(C.TxReverted) as exc:
        C.send(node.url, d.vault, "TreasuryVault", "deposit", d.fee_token, 1, key=ADMIN_KEY)
    assert exc.value.selector == "0x44279255"  # ProtocolPaused()


@needs_anvil
def test_update_risk_params(env: tuple[Anvil, C.TempoVaultDeployment]) -> None:
    node, d = env
    C.grant_role(node.url, d.governance, "RISK_OFFICER", OFFICER)
    bad = C.DEFAULT_RISK_PARAMS._replace(maxTickDeviation=0)
    with pytest.raises(C.TxReverted) as exc:
        C.send(node.url, d.risk, "RiskController", "updateRiskParams", tuple(bad), key=OFFICER_KEY)
    assert exc.value.data == "0xa86b6512"  # InvalidParams()
    for field, value in [
        ("maxExposurePerPairBps", 10001),
        ("maxImbalanceBps", 0),
        ("maxOrderSize", 0),
        ("minReserveBps", 10001),
        ("oracleStalenessThreshold", 0),
        ("maxSpreadSanityTicks", 2001),
    ]:
        with pytest.raises(C.TxReverted) as exc:
            params = C.DEFAULT_RISK_PARAMS._replace(**{field: value})
            C.send(node.url, d.risk, "RiskController", "updateRiskParams", tuple(params), key=OFFICER_KEY)
        assert exc.value.data == "0xa86b6512", field
    good = C.DEFAULT_RISK_PARAMS._replace(maxTickDeviation=2000, minReserveBps=0, minDepthThreshold=0)
    C.send(node.url, d.risk, "RiskController", "updateRiskParams", tuple(good), key=OFFICER_KEY)
    assert C.call(node.url, d.risk, "RiskController", "maxTickDeviation") == 2000
    assert C.call(node.url, d.risk, "RiskController", "minDepthThreshold") == 0


@needs_anvil
def test_pair_id_on_chain(env: tuple[Anvil, C.TempoVaultDeployment]) -> None:
    node, d = env
    expected = "190cba1f91e8cfcbaeaf2ecbeb74e46a30f7896786e0b8de91dc03edea0ecaec"
    assert C.call(node.url, d.risk, "RiskController", "pairId", C.PATH_USD, C.ALPHA_USD).hex() == expected
    assert C.call(node.url, d.risk, "RiskController", "pairId", C.ALPHA_USD, C.PATH_USD).hex() == expected


@needs_anvil
def test_domain_separator(env: tuple[Anvil, C.TempoVaultDeployment]) -> None:
    node, d = env
    typehash = Web3.keccak(
        text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    expected = Web3.keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [typehash, Web3.keccak(text="TempoVaultRiskController"), Web3.keccak(text="1"), CHAIN_ID, d.risk],
        )
    )
    assert C.call(node.url, d.risk, "RiskController", "DOMAIN_SEPARATOR") == expected


@needs_anvil
def test_signed_oracle_signal(env: tuple[Anvil, C.TempoVaultDeployment]) -> None:
    node, d = env
    url = node.url
    C.grant_role(url, d.governance, "ORACLE", ORACLE)
    assert C.call(url, d.risk, "RiskController", "oracleLastTimestamp", PAIR) == 0

    ts = _latest_timestamp(url)
    signal = C.OracleSignal(
        referenceTick=-3,
        pegDeviation=12,
        orderbookDepthBid=500_000 * 10**6,
        orderbookDepthAsk=400_000 * 10**6,
        timestamp=ts,
        nonce=1,
    )
    sig = C.sign_oracle_signal(d.risk, CHAIN_ID, PAIR, signal, ORACLE_KEY)
    # any account may relay; only the signer needs ORACLE
    receipt = C.send(
        url, d.risk, "RiskController", "updateOracleSignal", PAIR, tuple(signal), sig, key=RELAYER_KEY
    )
    assert receipt["status"] == 1
    assert C.call(url, d.risk, "RiskController", "oracleLastTimestamp", PAIR) == ts
    assert C.call(url, d.risk, "RiskController", "oracleNonces", PAIR) == 1
    assert tuple(C.call(url, d.risk, "RiskController", "latestSignals", PAIR)) == tuple(signal)
    assert C.call(url, d.risk, "RiskController", "getReferenceTick", PAIR) == -3

    # replay: same nonce
    with pytest.raises(C.TxReverted) as exc:
        C.send(url, d.risk, "RiskController", "updateOracleSignal", PAIR, tuple(signal), sig, key=RELAYER_KEY)
    assert exc.value.selector == "0xa6e426cc"  # OracleNonceReplay
    # newer nonce, same timestamp: not monotonic
    same_ts = signal._replace(nonce=2)
    sig2 = C.sign_oracle_signal(d.risk, CHAIN_ID, PAIR, same_ts, ORACLE_KEY)
    with pytest.raises(C.TxReverted) as exc:
        C.send(
            url, d.risk, "RiskController", "updateOracleSignal", PAIR, tuple(same_ts), sig2, key=RELAYER_KEY
        )
    assert exc.value.selector == "0xa6a132bd"  # OracleTimestampNotMonotonic
    # future timestamp
    future = signal._replace(nonce=2, timestamp=ts + 3600)
    sig3 = C.sign_oracle_signal(d.risk, CHAIN_ID, PAIR, future, ORACLE_KEY)
    with pytest.raises(C.TxReverted) as exc:
        C.send(
            url, d.risk, "RiskController", "updateOracleSignal", PAIR, tuple(future), sig3, key=RELAYER_KEY
        )
    assert exc.value.data == "0xa86b6512"  # InvalidParams
    # signer without ORACLE
    node.rpc("evm_increaseTime", [5])
    node.mine()
    later = signal._replace(nonce=2, timestamp=_latest_timestamp(url))
    bad_sig = C.sign_oracle_signal(d.risk, CHAIN_ID, PAIR, later, STRANGER_KEY)
    with pytest.raises(C.TxReverted) as exc:
        C.send(
            url, d.risk, "RiskController", "updateOracleSignal", PAIR, tuple(later), bad_sig, key=RELAYER_KEY
        )
    assert exc.value.selector == "0xd7711472"  # OracleSignatureInvalid(recovered, 0)
    assert exc.value.data is not None
    recovered, expected_signer = decode(["address", "address"], bytes.fromhex(exc.value.data[10:]))
    assert Web3.to_checksum_address(recovered) == STRANGER
    assert int(expected_signer, 16) == 0
    good_sig = C.sign_oracle_signal(d.risk, CHAIN_ID, PAIR, later, ORACLE_KEY)
    C.send(url, d.risk, "RiskController", "updateOracleSignal", PAIR, tuple(later), good_sig, key=RELAYER_KEY)
    assert C.call(url, d.risk, "RiskController", "oracleLastTimestamp", PAIR) == later.timestamp > ts
    # paused: rejected
    C.send(url, d.risk, "RiskController", "toggleGlobalPause", True, key=ADMIN_KEY)
    nxt = later._replace(nonce=3, timestamp=later.timestamp + 1)
    node.rpc("evm_increaseTime", [5])
    node.mine()
    sig4 = C.sign_oracle_signal(d.risk, CHAIN_ID, PAIR, nxt, ORACLE_KEY)
    with pytest.raises(C.TxReverted) as exc:
        C.send(url, d.risk, "RiskController", "updateOracleSignal", PAIR, tuple(nxt), sig4, key=RELAYER_KEY)
    assert exc.value.data == "0x44279255"  # ProtocolPaused


@needs_anvil
def test_vault_admin_setters(env: tuple[Anvil, C.TempoVaultDeployment]) -> None:
    node, d = env
    url, vault = node.url, d.vault
    with pytest.raises(C.TxReverted) as exc:
        C.send(url, vault, "TreasuryVault", "setApprovedToken", d.fee_token, True, key=STRANGER_KEY)
    assert exc.value.selector == "0x245329c6"
    receipt = C.send(url, vault, "TreasuryVault", "setApprovedToken", d.fee_token, True, key=ADMIN_KEY)
    assert (
        "0x" + receipt["logs"][0]["topics"][0].hex().removeprefix("0x")
        == (REFERENCE_EVENTS["TreasuryVault"]["TokenApproved(address,bool)"])
    )
    assert C.call(url, vault, "TreasuryVault", "approvedTokens", d.fee_token) is True
    C.send(url, vault, "TreasuryVault", "setApprovedStrategy", STRANGER, True, key=ADMIN_KEY)
    assert C.call(url, vault, "TreasuryVault", "approvedStrategies", STRANGER) is True

    with pytest.raises(C.TxReverted) as exc:
        C.send(url, vault, "TreasuryVault", "setFeeConfig", "0x" + "00" * 20, 100, 10, key=ADMIN_KEY)
    assert exc.value.data == "0xab90866f"  # FeeTreasuryNotSet
    for perf, mgmt in [(5001, 0), (0, 501)]:
        with pytest.raises(C.TxReverted) as exc:
            C.send(url, vault, "TreasuryVault", "setFeeConfig", RELAYER, perf, mgmt, key=ADMIN_KEY)
        assert exc.value.data == "0xa86b6512"
    receipt = C.send(url, vault, "TreasuryVault", "setFeeConfig", RELAYER, 5000, 500, key=ADMIN_KEY)
    assert receipt["logs"] == []  # setFeeConfig emits no event
    assert C.call(url, vault, "TreasuryVault", "feeTreasury") == RELAYER
    assert C.call(url, vault, "TreasuryVault", "performanceFeeBps") == 5000
    assert C.call(url, vault, "TreasuryVault", "managementFeeBps") == 500

    # deposit / withdraw by the owner
    C.send(url, d.fee_token, "FeeToken", "approve", vault, 10**6, key=ADMIN_KEY)
    C.send(url, vault, "TreasuryVault", "deposit", d.fee_token, 10**6, key=ADMIN_KEY)
    assert C.call(url, vault, "TreasuryVault", "tokenBalances", d.fee_token) == 10**6
    with pytest.raises(C.TxReverted) as exc:
        C.send(url, vault, "TreasuryVault", "withdraw", d.fee_token, 1, STRANGER, key=STRANGER_KEY)
    assert exc.value.data == "0x0e7fea9d"  # NotVaultOwner
    C.send(url, vault, "TreasuryVault", "withdraw", d.fee_token, 4 * 10**5, STRANGER, key=ADMIN_KEY)
    assert C.call(url, d.fee_token, "FeeToken", "balanceOf", STRANGER) == 4 * 10**5


@needs_anvil
def test_plain_roles_logs(env: tuple[Anvil, C.TempoVaultDeployment]) -> None:
    node, _ = env
    url = node.url
    plain = C.deploy(url, "PlainRoles", ADMIN)
    operator = C.call(url, plain, "PlainRoles", "OPERATOR_ROLE")
    assert operator == Web3.keccak(text="OPERATOR_ROLE")
    assert C.call(url, plain, "PlainRoles", "PAUSER_ROLE") == Web3.keccak(text="PAUSER_ROLE")
    C.grant_role(url, plain, operator, OFFICER, abi_name="PlainRoles")
    C.grant_role(url, plain, operator, ORACLE, abi_name="PlainRoles")
    C.revoke_role(url, plain, operator, OFFICER, abi_name="PlainRoles")
    assert "getRoleMemberCount(bytes32)" not in _abi_ids("PlainRoles", "function")
    c = C.contract(url, plain, "PlainRoles")
    granted = c.events.RoleGranted.get_logs(from_block=0)
    revoked = c.events.RoleRevoked.get_logs(from_block=0)
    assert [(e["args"]["role"], e["args"]["account"]) for e in granted] == [
        (ZERO32, ADMIN),
        (operator, OFFICER),
        (operator, ORACLE),
    ]
    assert [(e["args"]["role"], e["args"]["account"]) for e in revoked] == [(operator, OFFICER)]
    assert C.call(url, plain, "PlainRoles", "hasRole", operator, ORACLE) is True


@needs_anvil
def test_legacy_risk(env: tuple[Anvil, C.TempoVaultDeployment]) -> None:
    node, d = env
    url, legacy = node.url, d.legacy_risk
    with pytest.raises(C.TxReverted) as exc:
        C.send(url, legacy, "LegacyRisk", "setOracleAddress", ORACLE, key=STRANGER_KEY)
    assert (
        exc.value.data
        == "0x"
        + Web3.keccak(text="NotOwner(address)").hex().removeprefix("0x")[:8]
        + encode(["address"], [STRANGER]).hex()
    )
    C.send(url, legacy, "LegacyRisk", "setOracleAddress", ORACLE, key=ADMIN_KEY)
    assert C.call(url, legacy, "LegacyRisk", "oracle") == ORACLE
    C.send(url, legacy, "LegacyRisk", "setCircuitBreaker", PAIR, True, key=ADMIN_KEY)
    assert C.call(url, legacy, "LegacyRisk", "circuitBroken", PAIR) is True
