"""The slice of the Soroban host a contract model sees: storage, auth, events, ledger info."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import ClassVar

from stellar_sdk import Address, Keypair, Network, scval
from stellar_sdk import xdr as x
from stellar_sdk.auth import build_authorization_preimage
from stellar_sdk.utils import sha256

from . import xdr_helpers as h
from .ledger import Overlay


class ContractError(Exception):
    """A ``#[contracterror]`` returned by the contract: ``Error(Contract, #code)``."""

    def __init__(self, code: int, name: str = "") -> None:
        super().__init__(f"Error(Contract, #{code})")
        self.code = code
        self.name = name

    @property
    def text(self) -> str:
        return f"Error(Contract, #{self.code})"

    def scval(self) -> x.SCVal:
        return h.sc_error_contract(self.code)


class HostError(Exception):
    """A host-level failure, e.g. ``Error(Auth, InvalidAction)`` or ``Error(Storage, MissingValue)``."""

    _TYPES: ClassVar[dict[str, x.SCErrorType]] = {
        "Auth": x.SCErrorType.SCE_AUTH,
        "Storage": x.SCErrorType.SCE_STORAGE,
        "Value": x.SCErrorType.SCE_VALUE,
        "Context": x.SCErrorType.SCE_CONTEXT,
        "Budget": x.SCErrorType.SCE_BUDGET,
        "WasmVm": x.SCErrorType.SCE_WASM_VM,
    }
    _CODES: ClassVar[dict[str, x.SCErrorCode]] = {
        "InvalidAction": x.SCErrorCode.SCEC_INVALID_ACTION,
        "MissingValue": x.SCErrorCode.SCEC_MISSING_VALUE,
        "InvalidInput": x.SCErrorCode.SCEC_INVALID_INPUT,
        "UnexpectedType": x.SCErrorCode.SCEC_UNEXPECTED_TYPE,
        "ExceededLimit": x.SCErrorCode.SCEC_EXCEEDED_LIMIT,
        "ExistingValue": x.SCErrorCode.SCEC_EXISTING_VALUE,
        "UnexpectedSize": x.SCErrorCode.SCEC_UNEXPECTED_SIZE,
    }

    def __init__(self, kind: str, code: str, detail: str = "") -> None:
        super().__init__(f"Error({kind}, {code})")
        self.kind = kind
        self.code = code
        self.detail = detail

    @property
    def text(self) -> str:
        return f"Error({self.kind}, {self.code})"

    def scval(self) -> x.SCVal:
        return x.SCVal(
            x.SCValType.SCV_ERROR, error=x.SCError(self._TYPES[self.kind], code=self._CODES[self.code])
        )


class EntryArchived(HostError):
    """A transaction touched an archived persistent entry (instance, code or data) that its footprint does
    not restore. stellar-core fails such an invocation with ``INVOKE_HOST_FUNCTION_ENTRY_ARCHIVED``
    (``InvokeHostFunctionOpFrame``: archived entries must be brought back by ``RestoreFootprintOp`` first),
    and Stellar RPC's preflight refuses to simulate it; the emulator does not auto-restore."""

    def __init__(self, what: str) -> None:
        super().__init__("Storage", "MissingValue", f"{what} is archived; restore it with RestoreFootprint")

    @property
    def text(self) -> str:
        return f"Error(Storage, MissingValue): {self.detail}"


def refuse_archived(ov: Overlay, key: x.LedgerKey, what: str) -> None:
    """Raise ``EntryArchived`` when ``key`` exists but its TTL has passed (read before ``Overlay.get``,
    which would otherwise auto-restore it)."""
    lu = ov.live_until(key)
    if lu is not None and lu < ov.seq and ov._raw(key) is not None:
        raise EntryArchived(what)


@dataclass
class Invocation:
    contract_id: str
    function: str
    args: list[x.SCVal]

    def contract_fn(self) -> x.InvokeContractArgs:
        return x.InvokeContractArgs(
            contract_address=Address(self.contract_id).to_xdr_sc_address(),
            function_name=x.SCSymbol(self.function.encode()),
            args=self.args,
        )

    def authorized_invocation(self) -> x.SorobanAuthorizedInvocation:
        return x.SorobanAuthorizedInvocation(
            function=x.SorobanAuthorizedFunction(
                x.SorobanAuthorizedFunctionType.SOROBAN_AUTHORIZED_FUNCTION_TYPE_CONTRACT_FN,
                contract_fn=self.contract_fn(),
            ),
            sub_invocations=[],
        )


@dataclass
class Auth:
    """``require_auth`` handling.

    * ``record`` (simulation without auth entries): every ``require_auth`` succeeds and is
      recorded — source-account credentials when the address is the tx source, otherwise
      address credentials with a random nonce and a void signature (legacy ``ADDRESS``).
    * ``enforce`` (apply, or simulation with auth entries): an entry matching the invocation
      must exist; address credentials need a valid ed25519 signature by that G-account over
      the HashIDPreimage for the network, a not-expired ``signatureExpirationLedger`` and an
      unused nonce.
    """

    mode: str
    source: str
    passphrase: str
    entries: list[x.SorobanAuthorizationEntry] = field(default_factory=list)
    recorded: list[x.SorobanAuthorizationEntry] = field(default_factory=list)
    used: set[int] = field(default_factory=set)

    def require(self, address: str, inv: Invocation, ov: Overlay) -> None:
        root = inv.authorized_invocation()
        if self.mode == "record":
            if address == self.source:
                creds = x.SorobanCredentials(x.SorobanCredentialsType.SOROBAN_CREDENTIALS_SOURCE_ACCOUNT)
            else:
                creds = x.SorobanCredentials(
                    x.SorobanCredentialsType.SOROBAN_CREDENTIALS_ADDRESS,
                    address=x.SorobanAddressCredentials(
                        address=Address(address).to_xdr_sc_address(),
                        nonce=x.Int64(random.randint(0, 2**62)),
                        signature_expiration_ledger=x.Uint32(0),
                        signature=x.SCVal(x.SCValType.SCV_VOID),
                    ),
                )
            self.recorded.append(x.SorobanAuthorizationEntry(credentials=creds, root_invocation=root))
            return
        want = root.to_xdr()
        for i, e in enumerate(self.entries):
            if i in self.used or e.root_invocation.to_xdr() != want:
                continue
            c = e.credentials
            if c.type == x.SorobanCredentialsType.SOROBAN_CREDENTIALS_SOURCE_ACCOUNT:
                if address == self.source:
                    self.used.add(i)
                    return
                continue
            ac = c.address or c.address_v2
            if ac is None or h.sc_address_str(ac.address) != address:
                continue
            self._verify(e, ac, address, ov)
            self.used.add(i)
            return
        raise HostError("Auth", "InvalidAction", f"missing authorization for {address}")

    def _verify(
        self, e: x.SorobanAuthorizationEntry, ac: x.SorobanAddressCredentials, address: str, ov: Overlay
    ) -> None:
        exp = int(ac.signature_expiration_ledger.uint32)
        if exp < ov.seq:
            raise HostError("Auth", "InvalidAction", "signature expired")
        nonce = (address, int(ac.nonce.int64))
        if nonce in ov.base.used_nonces or nonce in ov.new_nonces:
            raise HostError("Auth", "ExistingValue", "nonce already used")
        if not address.startswith("G"):
            raise HostError("Auth", "InvalidAction", "only account addresses are supported")
        payload = sha256(build_authorization_preimage(e, exp, self.passphrase).to_xdr_bytes())
        sig = ac.signature
        ok = False
        if sig.type == x.SCValType.SCV_VEC and sig.vec is not None:
            for item in sig.vec.sc_vec:
                fields = {scval.from_symbol(k): v for k, v in scval.from_map(item).items()}
                pk = scval.from_bytes(fields["public_key"])
                sg = scval.from_bytes(fields["signature"])
                kp = Keypair.from_raw_ed25519_public_key(pk)
                if kp.public_key != address:
                    continue
                try:
                    kp.verify(payload, sg)
                    ok = True
                except Exception:  # noqa: BLE001 - BadSignatureError
                    ok = False
        if not ok:
            raise HostError("Auth", "InvalidAction", "signature verification failed")
        ov.new_nonces.add(nonce)


@dataclass
class Host:
    """Context of one contract invocation."""

    ov: Overlay
    contract_id: str
    wasm_hash: bytes
    inv: Invocation
    auth: Auth
    timestamp: int
    storage: h.Storage
    events: list[x.ContractEvent] = field(default_factory=list)
    diagnostics: list[x.ContractEvent] = field(default_factory=list)
    instance_dirty: bool = False

    @property
    def ledger_seq(self) -> int:
        return self.ov.seq

    # instance storage ----------------------------------------------------------------
    def inst_get(self, key: x.SCVal) -> x.SCVal | None:
        item = self.storage.get(key.to_xdr())
        return None if item is None else item[1]

    def inst_set(self, key: x.SCVal, val: x.SCVal) -> None:
        self.storage[key.to_xdr()] = (key, val)
        self.instance_dirty = True

    def inst_del(self, key: x.SCVal) -> None:
        if self.storage.pop(key.to_xdr(), None) is not None:
            self.instance_dirty = True

    def inst_extend(self, threshold: int, extend_to: int) -> None:
        """``env.storage().instance().extend_ttl``: extends the instance and the code entry."""
        self.ov.extend_ttl(h.instance_key(self.contract_id), threshold, extend_to)
        ck = h.code_key(self.wasm_hash)
        self.ov.get(ck)
        self.ov.extend_ttl(ck, threshold, extend_to)

    # persistent storage ----------------------------------------------------------------
    def _pk(self, key: x.SCVal) -> x.LedgerKey:
        return h.contract_data_key(self.contract_id, key)

    def pers_get(self, key: x.SCVal) -> x.SCVal | None:
        refuse_archived(self.ov, self._pk(key), "a persistent entry of the contract")
        e = self.ov.get(self._pk(key))
        if e is None:
            return None
        assert e.data.contract_data is not None
        return e.data.contract_data.val

    def pers_set(self, key: x.SCVal, val: x.SCVal) -> None:
        refuse_archived(self.ov, self._pk(key), "a persistent entry of the contract")
        self.ov.get(self._pk(key))
        self.ov.put(h.contract_data_entry(self.contract_id, key, val, self.ov.seq))

    def pers_del(self, key: x.SCVal) -> None:
        refuse_archived(self.ov, self._pk(key), "a persistent entry of the contract")
        if self.ov.get(self._pk(key)) is not None:
            self.ov.delete(self._pk(key))

    def pers_extend(self, key: x.SCVal, threshold: int, extend_to: int) -> None:
        """``env.storage().persistent().extend_ttl``: the host clamps ``extend_to`` to the network's
        ``max_entry_ttl`` (ConfigSetting STATE_ARCHIVAL), so the contract's 10,368,000 becomes the maximum."""
        refuse_archived(self.ov, self._pk(key), "a persistent entry of the contract")
        if self.ov.get(self._pk(key)) is not None:
            self.ov.extend_ttl(self._pk(key), threshold, extend_to)

    # auth and events ---------------------------------------------------------------------
    def require_auth(self, address: str) -> None:
        self.auth.require(address, self.inv, self.ov)

    def emit(self, topics: list[x.SCVal], data: x.SCVal) -> None:
        self.events.append(h.contract_event(self.contract_id, topics, data))

    def emit_rolled_back(self, topics: list[x.SCVal], data: x.SCVal) -> None:
        """Events the contract publishes right before returning Err: visible only as
        diagnostics (simulation / failed tx), never in getEvents."""
        self.diagnostics.append(h.contract_event(self.contract_id, topics, data))


def network_id(passphrase: str) -> bytes:
    out: bytes = Network(passphrase).network_id()
    return out
