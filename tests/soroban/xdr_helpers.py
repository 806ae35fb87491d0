"""Small helpers over stellar_sdk.xdr used by the Soroban RPC emulator.

Everything here builds or takes apart *real* XDR objects from ``stellar_sdk.xdr``;
nothing is a stand-in format.
"""

from __future__ import annotations

import functools
import hashlib

from stellar_sdk import Address, Keypair, StrKey, scval
from stellar_sdk import xdr as x
from stellar_sdk.scval import _compare_sc_val

PERSISTENT = x.ContractDataDurability.PERSISTENT
TEMPORARY = x.ContractDataDurability.TEMPORARY


def b64(obj: x.LedgerKey | x.LedgerEntry | x.SCVal) -> str:
    """Base64 XDR of an object: the dictionary key used for ledger state."""
    out: str = obj.to_xdr()
    return out


def sym(name: str) -> x.SCVal:
    return scval.to_symbol(name)


def addr(address: str) -> x.SCVal:
    return scval.to_address(address)


def tuple_key(name: str, *args: x.SCVal) -> x.SCVal:
    """The encoding of a ``(symbol_short!(name), arg, ...)`` tuple storage key."""
    return scval.to_vec([sym(name), *args])


def sc_address_str(sc: x.SCAddress) -> str:
    """G.../C... strkey of an SCAddress."""
    out: str = Address.from_xdr_sc_address(sc).address
    return out


def scval_address(val: x.SCVal) -> str:
    if val.type != x.SCValType.SCV_ADDRESS or val.address is None:
        raise TypeError("expected SCV_ADDRESS")
    return sc_address_str(val.address)


def account_key(account_id: str) -> x.LedgerKey:
    return x.LedgerKey(
        x.LedgerEntryType.ACCOUNT,
        account=x.LedgerKeyAccount(account_id=Keypair.from_public_key(account_id).xdr_account_id()),
    )


def contract_data_key(
    contract_id: str, key: x.SCVal, durability: x.ContractDataDurability = PERSISTENT
) -> x.LedgerKey:
    return x.LedgerKey(
        x.LedgerEntryType.CONTRACT_DATA,
        contract_data=x.LedgerKeyContractData(
            contract=Address(contract_id).to_xdr_sc_address(), key=key, durability=durability
        ),
    )


def instance_key(contract_id: str) -> x.LedgerKey:
    return contract_data_key(contract_id, x.SCVal(x.SCValType.SCV_LEDGER_KEY_CONTRACT_INSTANCE))


def code_key(wasm_hash: bytes) -> x.LedgerKey:
    return x.LedgerKey(
        x.LedgerEntryType.CONTRACT_CODE, contract_code=x.LedgerKeyContractCode(hash=x.Hash(wasm_hash))
    )


def ttl_key_for(key: x.LedgerKey) -> x.LedgerKey:
    """``LedgerKey::Ttl`` whose ``key_hash`` is sha256 of the XDR of ``key``."""
    return x.LedgerKey(
        x.LedgerEntryType.TTL, ttl=x.LedgerKeyTtl(key_hash=x.Hash(hashlib.sha256(key.to_xdr_bytes()).digest()))
    )


def has_ttl(key: x.LedgerKey) -> bool:
    return key.type in (x.LedgerEntryType.CONTRACT_DATA, x.LedgerEntryType.CONTRACT_CODE)


def entry(data: x.LedgerEntryData, last_modified: int) -> x.LedgerEntry:
    return x.LedgerEntry(last_modified_ledger_seq=x.Uint32(last_modified), data=data, ext=x.LedgerEntryExt(0))


def account_entry(account_id: str, balance: int, seq: int, last_modified: int) -> x.LedgerEntry:
    acc = x.AccountEntry(
        account_id=Keypair.from_public_key(account_id).xdr_account_id(),
        balance=x.Int64(balance),
        seq_num=x.SequenceNumber(x.Int64(seq)),
        num_sub_entries=x.Uint32(0),
        inflation_dest=None,
        flags=x.Uint32(0),
        home_domain=x.String32(b""),
        thresholds=x.Thresholds(bytes([1, 0, 0, 0])),
        signers=[],
        ext=x.AccountEntryExt(0),
    )
    return entry(x.LedgerEntryData(x.LedgerEntryType.ACCOUNT, account=acc), last_modified)


def contract_data_entry(
    contract_id: str,
    key: x.SCVal,
    val: x.SCVal,
    last_modified: int,
    durability: x.ContractDataDurability = PERSISTENT,
) -> x.LedgerEntry:
    cd = x.ContractDataEntry(
        ext=x.ExtensionPoint(0),
        contract=Address(contract_id).to_xdr_sc_address(),
        key=key,
        durability=durability,
        val=val,
    )
    return entry(x.LedgerEntryData(x.LedgerEntryType.CONTRACT_DATA, contract_data=cd), last_modified)


Storage = dict[str, tuple[x.SCVal, x.SCVal]]
"""Instance storage: base64 key XDR -> (key, value). SCVal vectors are not hashable."""


def storage_of(sc_map: x.SCMap | None) -> Storage:
    return {e.key.to_xdr(): (e.key, e.val) for e in (sc_map.sc_map if sc_map else [])}


def sorted_map(storage: Storage) -> x.SCMap:
    """An SCMap with keys in Soroban order (required on the network)."""
    entries = [x.SCMapEntry(key=kk, val=vv) for kk, vv in storage.values()]
    entries.sort(key=functools.cmp_to_key(lambda a, b: _compare_sc_val(a.key, b.key)))
    return x.SCMap(sc_map=entries)


def instance_val(wasm_hash: bytes, storage: Storage) -> x.SCVal:
    """``SCV_CONTRACT_INSTANCE{executable: WASM(hash), storage: sorted SCMap}``."""
    sc_map = sorted_map(storage) if storage else None
    return x.SCVal(
        x.SCValType.SCV_CONTRACT_INSTANCE,
        instance=x.SCContractInstance(
            executable=x.ContractExecutable(
                x.ContractExecutableType.CONTRACT_EXECUTABLE_WASM, wasm_hash=x.Hash(wasm_hash)
            ),
            storage=sc_map,
        ),
    )


def code_entry(wasm_hash: bytes, code: bytes, last_modified: int) -> x.LedgerEntry:
    cc = x.ContractCodeEntry(ext=x.ContractCodeEntryExt(0), hash=x.Hash(wasm_hash), code=code)
    return entry(x.LedgerEntryData(x.LedgerEntryType.CONTRACT_CODE, contract_code=cc), last_modified)


def ttl_entry(key: x.LedgerKey, live_until: int, last_modified: int) -> x.LedgerEntry:
    tk = ttl_key_for(key)
    assert tk.ttl is not None
    data = x.LedgerEntryData(
        x.LedgerEntryType.TTL, ttl=x.TTLEntry(key_hash=tk.ttl.key_hash, live_until_ledger_seq=x.Uint32(live_until))
    )
    return entry(data, last_modified)


def key_of(e: x.LedgerEntry) -> x.LedgerKey:
    """The LedgerKey of an entry (account, contract data, contract code, ttl)."""
    d = e.data
    if d.type == x.LedgerEntryType.ACCOUNT:
        assert d.account is not None
        return x.LedgerKey(d.type, account=x.LedgerKeyAccount(account_id=d.account.account_id))
    if d.type == x.LedgerEntryType.CONTRACT_DATA:
        assert d.contract_data is not None
        cd = d.contract_data
        return x.LedgerKey(
            d.type,
            contract_data=x.LedgerKeyContractData(contract=cd.contract, key=cd.key, durability=cd.durability),
        )
    if d.type == x.LedgerEntryType.CONTRACT_CODE:
        assert d.contract_code is not None
        return code_key(d.contract_code.hash.hash)
    if d.type == x.LedgerEntryType.TTL:
        assert d.ttl is not None
        return x.LedgerKey(d.type, ttl=x.LedgerKeyTtl(key_hash=d.ttl.key_hash))
    raise ValueError(f"unsupported ledger entry type {d.type}")


def contract_id_str(sc: x.SCAddress) -> str:
    return sc_address_str(sc)


def random_contract_id() -> str:
    import os

    out: str = StrKey.encode_contract(os.urandom(32))
    return out


def sc_error_contract(code: int) -> x.SCVal:
    return x.SCVal(
        x.SCValType.SCV_ERROR, error=x.SCError(x.SCErrorType.SCE_CONTRACT, contract_code=x.Uint32(code))
    )


def contract_event(
    contract_id: str | None, topics: list[x.SCVal], data: x.SCVal, diagnostic: bool = False
) -> x.ContractEvent:
    cid = None
    if contract_id is not None:
        cid = x.ContractID(x.Hash(StrKey.decode_contract(contract_id)))
    return x.ContractEvent(
        ext=x.ExtensionPoint(0),
        contract_id=cid,
        type=x.ContractEventType.DIAGNOSTIC if diagnostic else x.ContractEventType.CONTRACT,
        body=x.ContractEventBody(0, v0=x.ContractEventV0(topics=topics, data=data)),
    )
