"""Ledger keys and values of a Soroban contract, as stellar-sdk XDR: the instance entry (one key holds the
wasm hash, every instance-storage value and the instance TTL), per-key persistent entries, code and
accounts. Values are turned into plain Python (strkeys, ints, bools, tuples) for observed values."""

from __future__ import annotations

import functools
from typing import Any


# Decoding a strkey (base32 and a checksum, in pure Python in stellar-sdk) was a third of a 10,000-item Soroban
# plan's CPU time (issue 15): every key of a contract names the same contract, and an address is in up to
# three keys (whitelist, tier, role). The XDR values are only ever packed, never changed, so they are shared.
@functools.lru_cache(maxsize=65536)
def _sc_address(addr: str) -> Any:
    from stellar_sdk import Address

    return Address(addr).to_xdr_sc_address()


def sym(name: str) -> Any:
    from stellar_sdk import scval

    return scval.to_symbol(name)


def storage_key(name: str, *args: Any) -> Any:
    """`NAME` → SCV_SYMBOL; `(NAME, arg…)` → SCV_VEC[SYMBOL(NAME), arg…] (how vision_records keys storage)."""
    from stellar_sdk import scval

    if not args:
        return sym(name)
    return scval.to_vec([sym(name), *args])


@functools.lru_cache(maxsize=65536)
def address_val(addr: str) -> Any:
    """SCV_ADDRESS of a strkey (shared, see `_sc_address`)."""
    from stellar_sdk import xdr

    return xdr.SCVal(xdr.SCValType.SCV_ADDRESS, address=_sc_address(addr))


def instance_key(contract_id: str) -> Any:
    from stellar_sdk import xdr

    return xdr.LedgerKey(
        xdr.LedgerEntryType.CONTRACT_DATA,
        contract_data=xdr.LedgerKeyContractData(
            contract=_sc_address(contract_id),
            key=xdr.SCVal(xdr.SCValType.SCV_LEDGER_KEY_CONTRACT_INSTANCE),
            durability=xdr.ContractDataDurability.PERSISTENT))


def persistent_key(contract_id: str, key: Any) -> Any:
    from stellar_sdk import xdr

    return xdr.LedgerKey(
        xdr.LedgerEntryType.CONTRACT_DATA,
        contract_data=xdr.LedgerKeyContractData(
            contract=_sc_address(contract_id), key=key, durability=xdr.ContractDataDurability.PERSISTENT))


def code_key(wasm_hash: bytes) -> Any:
    from stellar_sdk import xdr

    return xdr.LedgerKey(xdr.LedgerEntryType.CONTRACT_CODE, contract_code=xdr.LedgerKeyContractCode(xdr.Hash(wasm_hash)))


def account_key(account_id: str) -> Any:
    from stellar_sdk import Keypair, xdr

    return xdr.LedgerKey(xdr.LedgerEntryType.ACCOUNT,
                         account=xdr.LedgerKeyAccount(Keypair.from_public_key(account_id).xdr_account_id()))


def native(val: Any) -> Any:
    """SCVal → plain Python: addresses as strkeys, symbols/strings as str, vecs as tuples, maps as dicts."""
    from stellar_sdk import Address, scval, xdr

    t = val.type
    if t == xdr.SCValType.SCV_ADDRESS:
        return Address.from_xdr_sc_address(val.address).address
    if t == xdr.SCValType.SCV_VEC:
        return tuple(native(v) for v in (val.vec.sc_vec if val.vec else []))
    if t == xdr.SCValType.SCV_MAP:
        return {_hashable(native(e.key)): native(e.val) for e in (val.map.sc_map if val.map else [])}
    if t == xdr.SCValType.SCV_SYMBOL:
        return val.sym.sc_symbol.decode()
    if t == xdr.SCValType.SCV_STRING:
        return val.str.sc_string.decode(errors="replace")
    if t == xdr.SCValType.SCV_BYTES:
        return bytes(val.bytes.sc_bytes).hex()
    return scval.to_native(val)


def _hashable(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def instance_storage(entry_data: Any) -> tuple[str | None, dict[Any, Any]]:
    """(wasm sha256 hex or None for a non-wasm executable, instance storage as {key: value}) of an instance entry.

    Keys are `"NAME"` or `("NAME", arg…)`, values plain Python, as `native` makes them."""
    from stellar_sdk import xdr

    val = entry_data.contract_data.val
    inst = val.instance
    exe = inst.executable
    wasm = bytes(exe.wasm_hash.hash).hex() if exe.type == xdr.ContractExecutableType.CONTRACT_EXECUTABLE_WASM else None
    storage: dict[Any, Any] = {}
    for e in (inst.storage.sc_map if inst.storage else []):
        storage[_hashable(native(e.key))] = native(e.val)
    return wasm, storage


def data_value(entry_data: Any) -> Any:
    """The plain value of a contract-data entry."""
    return native(entry_data.contract_data.val)
