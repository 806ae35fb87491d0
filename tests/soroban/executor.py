"""Execution of Soroban operations against the ledger: simulation (dry run) and apply."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from stellar_sdk import Address, ExtendFootprintTTL, InvokeHostFunction, RestoreFootprint, scval
from stellar_sdk import xdr as x

from . import vision_records
from . import xdr_helpers as h
from .host import Auth, ContractError, EntryArchived, Host, HostError, Invocation, network_id, refuse_archived
from .ledger import Change, LedgerState, Overlay


@dataclass
class OpOutcome:
    ov: Overlay
    ok: bool = True
    retval: x.SCVal | None = None
    error: ContractError | HostError | None = None
    events: list[x.ContractEvent] = field(default_factory=list)
    diagnostics: list[x.ContractEvent] = field(default_factory=list)
    auth: list[x.SorobanAuthorizationEntry] = field(default_factory=list)
    kind: str = "invoke"  # invoke | extend | restore
    malformed: str = ""

    @property
    def archived(self) -> bool:
        return isinstance(self.error, EntryArchived)

    @property
    def error_text(self) -> str:
        return self.error.text if self.error is not None else self.malformed


def _entry_size(ov: Overlay, key: x.LedgerKey) -> int:
    e = ov._raw(key)
    return len(e.to_xdr_bytes()) if e is not None else 0


def footprint_of(ov: Overlay) -> x.LedgerFootprint:
    skip = (x.LedgerEntryType.TTL, x.LedgerEntryType.ACCOUNT)
    rw = [kk for kk in ov.written.values() if kk.type not in skip]
    rw_b = {h.b64(kk) for kk in rw}
    ro = [kk for b, kk in ov.read.items() if kk.type not in skip and b not in rw_b]
    return x.LedgerFootprint(read_only=ro, read_write=rw)


def soroban_data(ov: Overlay, fp: x.LedgerFootprint, extra_instructions: int = 0) -> tuple[x.SorobanTransactionData, int]:
    """Plausible resources and a deterministic resource fee for a footprint."""
    n = len(fp.read_only) + len(fp.read_write)
    instructions = 1_500_000 + 120_000 * n + extra_instructions
    read_bytes = sum(_entry_size(ov, kk) for kk in [*fp.read_only, *fp.read_write])
    write_bytes = sum(_entry_size(ov, kk) for kk in fp.read_write)
    fee = 5_000 + instructions // 400 + 6 * read_bytes + 12 * write_bytes + 1_000 * len(fp.read_write)
    data = x.SorobanTransactionData(
        ext=x.SorobanTransactionDataExt(0),
        resources=x.SorobanResources(
            footprint=fp,
            instructions=x.Uint32(instructions),
            disk_read_bytes=x.Uint32(read_bytes),
            write_bytes=x.Uint32(write_bytes),
        ),
        resource_fee=x.Int64(fee),
    )
    return data, fee


class Executor:
    def __init__(self, state: LedgerState, passphrase: str) -> None:
        self.state = state
        self.passphrase = passphrase

    # ---- invoke host function ---------------------------------------------------------------
    def invoke(self, ov: Overlay, op: InvokeHostFunction, source: str, mode: str, timestamp: int) -> OpOutcome:
        out = OpOutcome(ov)
        auth = Auth(mode=mode, source=source, passphrase=self.passphrase, entries=list(op.auth or []))
        hf = op.host_function
        try:
            if hf.type == x.HostFunctionType.HOST_FUNCTION_TYPE_INVOKE_CONTRACT:
                assert hf.invoke_contract is not None
                self._invoke_contract(out, hf.invoke_contract, auth, timestamp)
            elif hf.type == x.HostFunctionType.HOST_FUNCTION_TYPE_UPLOAD_CONTRACT_WASM:
                assert hf.wasm is not None
                wasm_hash = hashlib.sha256(hf.wasm).digest()
                if ov.get(h.code_key(wasm_hash)) is None:
                    ov.put(h.code_entry(wasm_hash, hf.wasm, ov.seq))
                out.retval = scval.to_bytes(wasm_hash)
            else:
                args = hf.create_contract or hf.create_contract_v2
                assert args is not None
                out.retval = self._create_contract(ov, args.contract_id_preimage, args.executable)
        except (ContractError, HostError) as exc:
            out.ok, out.error = False, exc
        out.auth = auth.recorded
        return out

    def _invoke_contract(self, out: OpOutcome, ica: x.InvokeContractArgs, auth: Auth, timestamp: int) -> None:
        ov = out.ov
        cid = h.sc_address_str(ica.contract_address)
        fn = ica.function_name.sc_symbol.decode()
        ik = h.instance_key(cid)
        refuse_archived(ov, ik, f"the instance of contract {cid}")
        inst = ov.get(ik)
        if inst is None:
            raise HostError("Storage", "MissingValue", f"contract instance {cid} not found")
        assert inst.data.contract_data is not None
        iv = inst.data.contract_data.val.instance
        assert iv is not None and iv.executable.wasm_hash is not None
        wasm_hash = iv.executable.wasm_hash.hash
        refuse_archived(ov, h.code_key(wasm_hash), f"the wasm code entry {wasm_hash.hex()[:12]}… of {cid}")
        if ov.get(h.code_key(wasm_hash)) is None:
            raise HostError("Storage", "MissingValue", "contract code not found")
        storage = h.storage_of(iv.storage)
        host = Host(ov=ov, contract_id=cid, wasm_hash=wasm_hash, inv=Invocation(cid, fn, list(ica.args)),
                    auth=auth, timestamp=timestamp, storage=storage)
        try:
            out.retval = vision_records.invoke(host, fn, list(ica.args))
        except (ContractError, HostError):
            out.diagnostics = host.diagnostics
            raise
        if host.instance_dirty:
            ov.put(h.contract_data_entry(cid, inst.data.contract_data.key, h.instance_val(wasm_hash, storage), ov.seq))
        out.events = host.events
        out.diagnostics = host.diagnostics

    def _create_contract(self, ov: Overlay, pre: x.ContractIDPreimage, exe: x.ContractExecutable) -> x.SCVal:
        """createContract from an address preimage (deployer auth is not checked)."""
        if pre.type != x.ContractIDPreimageType.CONTRACT_ID_PREIMAGE_FROM_ADDRESS:
            raise HostError("Value", "InvalidInput", "only address preimages are supported")
        hp = x.HashIDPreimage(
            x.EnvelopeType.ENVELOPE_TYPE_CONTRACT_ID,
            contract_id=x.HashIDPreimageContractID(network_id=x.Hash(network_id(self.passphrase)),
                                                   contract_id_preimage=pre),
        )
        from stellar_sdk import StrKey

        cid = StrKey.encode_contract(hashlib.sha256(hp.to_xdr_bytes()).digest())
        if exe.wasm_hash is None or ov.get(h.code_key(exe.wasm_hash.hash)) is None:
            raise HostError("Storage", "MissingValue", "wasm not uploaded")
        ik = h.instance_key(cid)
        if ov.get(ik) is not None:
            raise HostError("Storage", "ExistingValue", "contract already exists")
        ov.put(h.contract_data_entry(cid, x.SCVal(x.SCValType.SCV_LEDGER_KEY_CONTRACT_INSTANCE),
                                     h.instance_val(exe.wasm_hash.hash, {}), ov.seq))
        return scval.to_address(Address(cid).address)

    # ---- TTL operations -------------------------------------------------------------------------
    def extend(self, ov: Overlay, op: ExtendFootprintTTL, fp: x.LedgerFootprint | None) -> OpOutcome:
        out = OpOutcome(ov, kind="extend")
        if fp is None or fp.read_write:
            out.ok, out.malformed = False, "ExtendFootprintTTL needs a read-only footprint and no read-write keys"
            return out
        if op.extend_to > self.state.config.max_entry_ttl - 1:
            out.ok, out.malformed = False, "extendTo exceeds the network maximum entry TTL"
            return out
        for key in fp.read_only:
            ov.read[h.b64(key)] = key
            lu = ov.live_until(key)
            if lu is None or lu < ov.seq or ov._raw(key) is None:
                continue  # missing or archived entries are skipped
            if ov.seq + op.extend_to > lu:
                ov._set_ttl(key, ov.seq + op.extend_to)
        return out

    def restore(self, ov: Overlay, op: RestoreFootprint, fp: x.LedgerFootprint | None) -> OpOutcome:
        out = OpOutcome(ov, kind="restore")
        if fp is None or fp.read_only:
            out.ok, out.malformed = False, "RestoreFootprint needs a read-write footprint only"
            return out
        for key in fp.read_write:
            ov.written[h.b64(key)] = key
            lu = ov.live_until(key)
            if lu is not None and lu < ov.seq and ov._raw(key) is not None:
                ov._set_ttl(key, ov.seq + self.state.config.min_persistent_ttl - 1)
        return out


# ---- XDR assembly for results and meta -------------------------------------------------------------
def entry_changes(changes: list[Change]) -> x.LedgerEntryChanges:
    T = x.LedgerEntryChangeType
    out: list[x.LedgerEntryChange] = []
    for c in changes:
        if c.before is None and c.after is not None:
            out.append(x.LedgerEntryChange(T.LEDGER_ENTRY_CREATED, created=c.after))
        elif c.before is not None and c.after is None:
            out.append(x.LedgerEntryChange(T.LEDGER_ENTRY_STATE, state=c.before))
            out.append(x.LedgerEntryChange(T.LEDGER_ENTRY_REMOVED, removed=c.key))
        elif c.before is not None and c.after is not None:
            out.append(x.LedgerEntryChange(T.LEDGER_ENTRY_STATE, state=c.before))
            out.append(x.LedgerEntryChange(T.LEDGER_ENTRY_UPDATED, updated=c.after))
    return x.LedgerEntryChanges(out)


def state_changes_json(changes: list[Change]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for c in changes:
        if c.key.type == x.LedgerEntryType.TTL:
            continue
        kind = "created" if c.before is None else ("deleted" if c.after is None else "updated")
        item = {"type": kind, "key": c.key.to_xdr()}
        if c.before is not None:
            item["before"] = c.before.to_xdr()
        if c.after is not None:
            item["after"] = c.after.to_xdr()
        out.append(item)
    return out


def op_result(kind: str, ok: bool, success_hash: bytes = b"\0" * 32, archived: bool = False) -> x.OperationResult:
    OT = x.OperationType
    if kind == "invoke":
        C = x.InvokeHostFunctionResultCode
        code = C.INVOKE_HOST_FUNCTION_ENTRY_ARCHIVED if archived else C.INVOKE_HOST_FUNCTION_TRAPPED
        r = (x.InvokeHostFunctionResult(C.INVOKE_HOST_FUNCTION_SUCCESS, success=x.Hash(success_hash)) if ok
             else x.InvokeHostFunctionResult(code))
        tr = x.OperationResultTr(OT.INVOKE_HOST_FUNCTION, invoke_host_function_result=r)
    elif kind == "extend":
        E = x.ExtendFootprintTTLResultCode
        tr = x.OperationResultTr(OT.EXTEND_FOOTPRINT_TTL, extend_footprint_ttl_result=x.ExtendFootprintTTLResult(
            E.EXTEND_FOOTPRINT_TTL_SUCCESS if ok else E.EXTEND_FOOTPRINT_TTL_MALFORMED))
    else:
        R = x.RestoreFootprintResultCode
        tr = x.OperationResultTr(OT.RESTORE_FOOTPRINT, restore_footprint_result=x.RestoreFootprintResult(
            R.RESTORE_FOOTPRINT_SUCCESS if ok else R.RESTORE_FOOTPRINT_MALFORMED))
    return x.OperationResult(x.OperationResultCode.opINNER, tr=tr)


def tx_result(fee: int, code: x.TransactionResultCode, ops: list[x.OperationResult] | None = None) -> x.TransactionResult:
    return x.TransactionResult(
        fee_charged=x.Int64(fee),
        result=x.TransactionResultResult(code, results=ops if ops is not None else None)
        if code in (x.TransactionResultCode.txSUCCESS, x.TransactionResultCode.txFAILED)
        else x.TransactionResultResult(code),
        ext=x.TransactionResultExt(0),
    )


def success_hash(retval: x.SCVal, events: list[x.ContractEvent]) -> bytes:
    pre = x.InvokeHostFunctionSuccessPreImage(return_value=retval, events=events)
    return hashlib.sha256(pre.to_xdr_bytes()).digest()


def diagnostic(events: list[x.ContractEvent], ok: bool) -> list[x.DiagnosticEvent]:
    return [x.DiagnosticEvent(in_successful_contract_call=ok, event=e) for e in events]


def fn_call_event(contract_id: str, fn: str, args: list[x.SCVal]) -> x.ContractEvent:
    """The host's ``fn_call`` diagnostic event."""
    from stellar_sdk import StrKey

    topics = [scval.to_symbol("fn_call"), scval.to_bytes(StrKey.decode_contract(contract_id)), scval.to_symbol(fn)]
    return h.contract_event(None, topics, scval.to_vec(args), diagnostic=True)
