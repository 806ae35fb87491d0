"""Out-of-band access to one emulated vision_records contract (fixtures and drift).

Every mutation commits immediately to the ledger without a transaction, as if another
operator had changed the contract; nothing is added to ``emu.calls``.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from stellar_sdk import scval
from stellar_sdk import xdr as x

from . import vision_records as vr
from . import xdr_helpers as h
from .host import Auth, Host, Invocation
from .ledger import Overlay

if TYPE_CHECKING:
    from .emulator import Emulator


def to_scval(v: Any) -> x.SCVal:
    """Python → SCVal for ``call``: SCVal as is; G…/C… str → Address; other str → Symbol;
    bool → Bool; int → U32 (tiers, roles, thresholds; pass an SCVal for u64); None → Void;
    list → Vec."""
    if isinstance(v, x.SCVal):
        return v
    if isinstance(v, bool):
        return scval.to_bool(v)
    if isinstance(v, int):
        return scval.to_uint32(v)
    if isinstance(v, str):
        if len(v) == 56 and v[0] in "GC":
            return scval.to_address(v)
        return scval.to_symbol(v)
    if v is None:
        return vr.VOID
    if isinstance(v, list):
        return scval.to_vec([to_scval(i) for i in v])
    raise TypeError(f"cannot convert {v!r} to SCVal")


class ContractHandle:
    def __init__(self, emu: Emulator, contract_id: str) -> None:
        self.emu = emu
        self.contract_id = contract_id
        self.instance_key = h.instance_key(contract_id)

    # ---- reading -----------------------------------------------------------------------------
    def _instance(self) -> x.SCContractInstance:
        e = self.emu.state.raw_get(self.instance_key)
        if e is None or e.data.contract_data is None or e.data.contract_data.val.instance is None:
            raise KeyError(f"no contract instance {self.contract_id}")
        return e.data.contract_data.val.instance

    @property
    def wasm_hash(self) -> bytes:
        ex = self._instance().executable
        assert ex.wasm_hash is not None
        out: bytes = ex.wasm_hash.hash
        return out

    def storage(self) -> h.Storage:
        """Instance storage: base64 key XDR -> (key SCVal, value SCVal)."""
        return h.storage_of(self._instance().storage)

    def instance_value(self, name: str, *args: Any) -> Any:
        """Native value of an instance key, e.g. ``instance_value("ADMIN")``, ``("P_FUNC", "REG_USR")``."""
        key = vr.s(name) if not args else vr.k(name, *[to_scval(a) for a in args])
        item = self.storage().get(key.to_xdr())
        return None if item is None else scval.to_native(item[1])

    def persistent(self, name: str, *args: Any) -> x.SCVal | None:
        key = vr.s(name) if not args else vr.k(name, *[to_scval(a) for a in args])
        e = self.emu.state.get_live(h.contract_data_key(self.contract_id, key))
        return None if e is None or e.data.contract_data is None else e.data.contract_data.val

    def persistent_key(self, name: str, *args: Any) -> x.LedgerKey:
        key = vr.s(name) if not args else vr.k(name, *[to_scval(a) for a in args])
        return h.contract_data_key(self.contract_id, key)

    def instance_ttl(self) -> int | None:
        return self.emu.state.live_until(self.instance_key)

    def code_ttl(self) -> int | None:
        return self.emu.state.live_until(h.code_key(self.wasm_hash))

    # ---- running the model out of band ------------------------------------------------------------
    def call(self, function: str, *args: Any, commit: bool = True) -> Any:
        """Run an entry point without a transaction and without signatures (auth is recorded,
        not enforced). Raises ``ContractError`` / ``HostError``; returns the native result."""
        with self.emu.state.lock:
            ov = Overlay(self.emu.state, self.emu.state.sequence)
            e = ov.get(self.instance_key)
            assert e is not None and e.data.contract_data is not None
            sc_args = [to_scval(a) for a in args]
            host = Host(ov=ov, contract_id=self.contract_id, wasm_hash=self.wasm_hash,
                        inv=Invocation(self.contract_id, function, sc_args),
                        auth=Auth(mode="record", source="", passphrase=self.emu.passphrase),
                        timestamp=self.emu.state.close_time, storage=self.storage())
            ret = vr.invoke(host, function, sc_args)
            if host.instance_dirty:
                ov.put(h.contract_data_entry(self.contract_id, e.data.contract_data.key,
                                             h.instance_val(self.wasm_hash, host.storage), ov.seq))
            if commit:
                ov.commit()
                if host.events:  # e.g. INIT from deploy_vision_records: on chain, so in getEvents
                    fake_hash = hashlib.sha256(f"{self.contract_id}:{function}:{ov.seq}:{len(self.emu.events)}"
                                               .encode()).hexdigest()
                    self.emu.record_events(ov.seq, fake_hash, host.events)
            return scval.to_native(ret)

    def view(self, function: str, *args: Any) -> Any:
        return self.call(function, *args, commit=False)

    # ---- direct storage mutation (drift) ------------------------------------------------------------
    def _set_instance(self, key: x.SCVal, val: x.SCVal | None) -> None:
        with self.emu.state.lock:
            st = self.storage()
            if val is None:
                st.pop(key.to_xdr(), None)
            else:
                st[key.to_xdr()] = (key, val)
            lu = self.instance_ttl()
            self.emu.state.put(h.contract_data_entry(
                self.contract_id, x.SCVal(x.SCValType.SCV_LEDGER_KEY_CONTRACT_INSTANCE),
                h.instance_val(self.wasm_hash, st), self.emu.state.sequence), lu)

    def _set_persistent(self, key: x.SCVal, val: x.SCVal | None, live_until: int | None = None) -> None:
        lk = h.contract_data_key(self.contract_id, key)
        if val is None:
            self.emu.state.delete(lk)
        else:
            self.emu.state.put(h.contract_data_entry(self.contract_id, key, val, self.emu.state.sequence), live_until)

    def whitelist_add(self, address: str) -> None:
        self._set_persistent(vr.k("WL_ADR", h.addr(address)), vr.TRUE)

    def whitelist_remove(self, address: str) -> None:
        self._set_persistent(vr.k("WL_ADR", h.addr(address)), None)

    def set_whitelist_enabled(self, enabled: bool | None) -> None:
        self._set_instance(vr.s("WL_EN"), None if enabled is None else scval.to_bool(enabled))

    def set_admin(self, address: str) -> None:
        self._set_instance(vr.s("ADMIN"), h.addr(address))

    def set_pending_admin(self, address: str | None) -> None:
        self._set_instance(vr.s("PEND_ADM"), None if address is None else h.addr(address))

    def set_tier(self, address: str, tier: int | None) -> None:
        """Write (or, with None, delete) ``[ADM_TIER, addr]``; ADM_LIST is not touched."""
        self._set_persistent(vr.k("ADM_TIER", h.addr(address)), None if tier is None else scval.to_uint32(tier))

    def set_paused(self, paused: bool | None, tag: str | None = None) -> None:
        """``P_GLOB`` (tag None) or ``[P_FUNC, tag]``; None removes the key."""
        key = vr.s("P_GLOB") if tag is None else vr.k("P_FUNC", vr.s(tag))
        self._set_instance(key, None if paused is None else scval.to_bool(paused))

    def set_rate_limit(self, max_requests: int | None, window_seconds: int | None = None) -> None:
        val = None if max_requests is None else scval.to_vec(
            [scval.to_uint64(max_requests), scval.to_uint64(window_seconds or 0)])
        self._set_instance(vr.s("RL_IN_CFG"), val)

    def set_instance_value(self, key: x.SCVal, val: x.SCVal | None) -> None:
        self._set_instance(key, val)

    def set_persistent_value(self, key: x.SCVal, val: x.SCVal | None, live_until: int | None = None) -> None:
        self._set_persistent(key, val, live_until)

    def set_instance_ttl(self, live_until: int) -> None:
        self.emu.state.set_ttl(self.instance_key, live_until)

    def set_code_ttl(self, live_until: int) -> None:
        self.emu.state.set_ttl(h.code_key(self.wasm_hash), live_until)

    def set_entry_ttl(self, name: str, *args: Any, live_until: int) -> None:
        self.emu.state.set_ttl(self.persistent_key(name, *args), live_until)

    def set_wasm_hash(self, wasm_hash: bytes) -> None:
        """Swap the executable (as an upgrade would); creates a placeholder code entry if needed."""
        with self.emu.state.lock:
            if self.emu.state.raw_get(h.code_key(wasm_hash)) is None:
                self.emu.state.put(h.code_entry(wasm_hash, b"\0asm" + wasm_hash, self.emu.state.sequence))
            st = self.storage()
            lu = self.instance_ttl()
            self.emu.state.put(h.contract_data_entry(
                self.contract_id, x.SCVal(x.SCValType.SCV_LEDGER_KEY_CONTRACT_INSTANCE),
                h.instance_val(wasm_hash, st), self.emu.state.sequence), lu)
