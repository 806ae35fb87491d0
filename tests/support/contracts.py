"""Deploy and drive the fixture contracts of tests/evm/contracts (compiled into tests/evm/artifacts) with web3 8.

The fixtures mirror the real TempoVault interfaces (same selectors, errors and events), see
/work/shared/reference/tempovault-interface.md. Regenerate artifacts with `npm run compile` in tests/evm.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.types import TxReceipt

from tests.support.anvil import DEV_KEYS

ARTIFACTS = Path(__file__).resolve().parents[1] / "evm" / "artifacts"

# Tempo TIP-20 precompile-style addresses (pathUSD, AlphaUSD) used for pair ids in tests.
PATH_USD = Web3.to_checksum_address("0x20c0000000000000000000000000000000000000")
ALPHA_USD = Web3.to_checksum_address("0x20c0000000000000000000000000000000000001")

FEE_TOKEN_DECIMALS = 6
ROLE_NAMES = ("ADMIN", "TREASURY_MANAGER", "RISK_OFFICER", "EMERGENCY", "ORACLE", "STRATEGIST")


class RiskParams(NamedTuple):
    """RiskController.RiskParams, in on-chain field order."""

    maxExposurePerPairBps: int
    maxTickDeviation: int
    maxImbalanceBps: int
    maxOrderSize: int
    minReserveBps: int
    oracleStalenessThreshold: int
    maxSpreadSanityTicks: int
    minDepthThreshold: int


# The upstream deploy defaults, rescaled to 6-decimal stablecoins (upstream uses 50000e18 / 100000e18).
DEFAULT_RISK_PARAMS = RiskParams(
    maxExposurePerPairBps=3000,
    maxTickDeviation=200,
    maxImbalanceBps=9000,
    maxOrderSize=50_000 * 10**FEE_TOKEN_DECIMALS,
    minReserveBps=2000,
    oracleStalenessThreshold=300,
    maxSpreadSanityTicks=100,
    minDepthThreshold=100_000 * 10**FEE_TOKEN_DECIMALS,
)


class OracleSignal(NamedTuple):
    """RiskController.OracleSignal, in on-chain field order."""

    referenceTick: int
    pegDeviation: int
    orderbookDepthBid: int
    orderbookDepthAsk: int
    timestamp: int
    nonce: int


class TxReverted(RuntimeError):
    """A transaction (or its gas estimation) reverted. `data` is the raw revert data as 0x-hex, if any."""

    def __init__(self, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.data = data

    @property
    def selector(self) -> str | None:
        """First 4 bytes of the revert data, e.g. '0x245329c6' for Unauthorized(address,bytes32)."""
        return self.data[:10] if self.data and len(self.data) >= 10 else None


@dataclass(frozen=True)
class TempoVaultDeployment:
    url: str
    chain_id: int
    admin: ChecksumAddress
    governance: ChecksumAddress
    risk: ChecksumAddress
    vault: ChecksumAddress
    fee_token: ChecksumAddress
    legacy_risk: ChecksumAddress
    start_block: int  # first block containing a deployment transaction (for log scans)


@functools.cache
def load_artifact(name: str) -> dict[str, Any]:
    """The compiled artifact tests/evm/artifacts/<name>.json (contractName, abi, bytecode, deployedBytecode, ...)."""
    data: dict[str, Any] = json.loads((ARTIFACTS / f"{name}.json").read_text())
    return data


@functools.cache
def _web3_for_url(url: str) -> Web3:
    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))


def web3_of(w3_or_url: Web3 | str) -> Web3:
    return _web3_for_url(w3_or_url) if isinstance(w3_or_url, str) else w3_or_url


def address_of(key: str) -> ChecksumAddress:
    return Web3.to_checksum_address(Account.from_key(key).address)


def contract(w3_or_url: Web3 | str, address: str, abi_name: str) -> Contract:
    """A web3 contract bound to `address` with the ABI of artifact `abi_name`."""
    w3 = web3_of(w3_or_url)
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(abi_name)["abi"])


def _revert_data(exc: ContractLogicError) -> str | None:
    data = exc.data
    if isinstance(data, str):
        return data
    if isinstance(data, dict):  # some providers wrap it
        inner = data.get("data")
        return inner if isinstance(inner, str) else None
    return None


def _transact(w3: Web3, fields: dict[str, Any], key: str) -> TxReceipt:
    sender = address_of(key)
    tx: Any = dict(fields)  # a TxParams being filled in
    tx["from"] = sender
    tx["nonce"] = w3.eth.get_transaction_count(sender, "pending")
    tx.setdefault("chainId", w3.eth.chain_id)
    try:
        if "gas" not in tx:
            tx["gas"] = int(w3.eth.estimate_gas(tx) * 12 // 10) + 10_000
        if "maxFeePerGas" not in tx and "gasPrice" not in tx:
            base = w3.eth.get_block("latest").get("baseFeePerGas", 0)
            tip = w3.eth.max_priority_fee
            tx["maxPriorityFeePerGas"] = tip
            tx["maxFeePerGas"] = 2 * int(base) + int(tip)
    except ContractLogicError as exc:
        raise TxReverted(f"reverted during gas estimation: {exc}", _revert_data(exc)) from exc
    signed = Account.sign_transaction(tx, key)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    if receipt["status"] != 1:
        raise TxReverted(f"transaction {tx_hash.hex()} reverted")
    return receipt


def deploy(w3_or_url: Web3 | str, name: str, *args: Any, sender_key: str = DEV_KEYS[0]) -> ChecksumAddress:
    """Deploy artifact `name` with constructor `args`; returns the new contract's address."""
    w3 = web3_of(w3_or_url)
    art = load_artifact(name)
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    receipt = _transact(w3, {"data": factory.constructor(*args).data_in_transaction}, sender_key)
    address = receipt["contractAddress"]
    if address is None:
        raise RuntimeError(f"deploying {name}: no contract address in receipt")
    return Web3.to_checksum_address(address)


def _function(c: Contract, fn: str) -> Any:
    return c.get_function_by_signature(fn) if "(" in fn else c.get_function_by_name(fn)


def send(
    w3_or_url: Web3 | str, address: str, abi_name: str, fn: str, *args: Any, key: str = DEV_KEYS[0]
) -> TxReceipt:
    """Send `fn(*args)` (a name or a full signature like 'grantRole(bytes32,address)') to `address`, signed by
    `key`. Returns the receipt; raises TxReverted (with revert data when the node reports it) on revert."""
    w3 = web3_of(w3_or_url)
    c = contract(w3, address, abi_name)
    data = _function(c, fn)(*args)._encode_transaction_data()
    return _transact(w3, {"to": c.address, "data": data}, key)


def call(w3_or_url: Web3 | str, address: str, abi_name: str, fn: str, *args: Any) -> Any:
    """eth_call `fn(*args)` on `address`; raises TxReverted on revert."""
    c = contract(w3_or_url, address, abi_name)
    try:
        return _function(c, fn)(*args).call()
    except ContractLogicError as exc:
        raise TxReverted(f"call reverted: {exc}", _revert_data(exc)) from exc


def role_id(role: str | bytes) -> bytes:
    """TempoVault role id: 'ADMIN' -> 0x00, 'ORACLE'/'ORACLE_ROLE' -> keccak256('ORACLE'); a 32-byte value
    (bytes or 0x-hex) is returned as is."""
    if isinstance(role, bytes):
        return role
    if role.startswith("0x") and len(role) == 66:
        return bytes.fromhex(role[2:])
    name = role.removesuffix("_ROLE")
    if name in ("ADMIN", "DEFAULT_ADMIN"):
        return b"\x00" * 32
    return Web3.keccak(text=name)


def _role_tx(fn: str, w3_or_url: Web3 | str, governance: str, role: str | bytes, account: str, key: str,
             abi_name: str) -> TxReceipt:
    return send(w3_or_url, governance, abi_name, fn, role_id(role), Web3.to_checksum_address(account), key=key)


def grant_role(
    w3_or_url: Web3 | str,
    governance: str,
    role: str | bytes,
    account: str,
    *,
    key: str = DEV_KEYS[0],
    abi_name: str = "GovernanceRoles",
) -> TxReceipt:
    """grantRole(role_id(role), account) on `governance`, out of band."""
    return _role_tx("grantRole", w3_or_url, governance, role, account, key, abi_name)


def revoke_role(
    w3_or_url: Web3 | str,
    governance: str,
    role: str | bytes,
    account: str,
    *,
    key: str = DEV_KEYS[0],
    abi_name: str = "GovernanceRoles",
) -> TxReceipt:
    """revokeRole(role_id(role), account) on `governance`, out of band."""
    return _role_tx("revokeRole", w3_or_url, governance, role, account, key, abi_name)


def pair_id(token_a: str, token_b: str) -> bytes:
    """RiskController.pairId: keccak256(abi.encodePacked(min, max)) with addresses compared as uint160."""
    a, b = sorted((int(token_a, 16), int(token_b, 16)))
    return Web3.keccak(a.to_bytes(20, "big") + b.to_bytes(20, "big"))


def sign_oracle_signal(risk: str, chain_id: int, pair: bytes, signal: OracleSignal, key: str) -> bytes:
    """EIP-712 signature (65 bytes) of an OracleUpdate for RiskController.updateOracleSignal."""
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "OracleUpdate": [
                {"name": "pairId", "type": "bytes32"},
                {"name": "referenceTick", "type": "int16"},
                {"name": "pegDeviation", "type": "uint256"},
                {"name": "orderbookDepthBid", "type": "uint256"},
                {"name": "orderbookDepthAsk", "type": "uint256"},
                {"name": "timestamp", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
            ],
        },
        "primaryType": "OracleUpdate",
        "domain": {
            "name": "TempoVaultRiskController",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": Web3.to_checksum_address(risk),
        },
        "message": {"pairId": pair, **signal._asdict()},
    }
    signed = Account.sign_message(encode_typed_data(full_message=typed), key)
    return bytes(signed.signature)


def deploy_tempovault(
    url: str,
    *,
    admin_key: str = DEV_KEYS[0],
    chain_id: int | None = None,
    risk_params: RiskParams = DEFAULT_RISK_PARAMS,
    mint_to_admin: int = 1_000_000 * 10**FEE_TOKEN_DECIMALS,
) -> TempoVaultDeployment:
    """Deploy GovernanceRoles(admin), RiskController(gov, risk_params), TreasuryVault(1, admin, gov, risk),
    FeeToken (6-decimal pathUSD, `mint_to_admin` minted to admin) and LegacyRisk(owner=admin), all from admin_key.
    If chain_id is given, the node's chain id must match it."""
    w3 = web3_of(url)
    actual_chain = w3.eth.chain_id
    if chain_id is not None and actual_chain != chain_id:
        raise ValueError(f"node at {url} has chain id {actual_chain}, expected {chain_id}")
    admin = address_of(admin_key)
    start_block = w3.eth.block_number + 1
    gov = deploy(w3, "GovernanceRoles", admin, sender_key=admin_key)
    risk = deploy(w3, "RiskController", gov, tuple(risk_params), sender_key=admin_key)
    vault = deploy(w3, "TreasuryVault", 1, admin, gov, risk, sender_key=admin_key)
    fee_token = deploy(w3, "FeeToken", sender_key=admin_key)
    legacy = deploy(w3, "LegacyRisk", admin, sender_key=admin_key)
    if mint_to_admin:
        send(w3, fee_token, "FeeToken", "mint", admin, mint_to_admin, key=admin_key)
    return TempoVaultDeployment(
        url=url,
        chain_id=actual_chain,
        admin=admin,
        governance=gov,
        risk=risk,
        vault=vault,
        fee_token=fee_token,
        legacy_risk=legacy,
        start_block=start_block,
    )
