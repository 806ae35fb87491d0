"""The Soroban RPC emulator, exercised only through the unmodified stellar-sdk client over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from stellar_sdk import Keypair, SorobanDataBuilder, SorobanServer, TransactionBuilder, scval
from stellar_sdk import xdr as x
from stellar_sdk.auth import authorize_entry
from stellar_sdk.exceptions import (
    AccountNotFoundException,
    BadResponseError,
    PrepareTransactionException,
    SorobanRpcErrorResponse,
)
from stellar_sdk.soroban_rpc import GetTransactionStatus, SendTransactionStatus

from tests.soroban import ContractError, Emulator, start_emulator
from tests.soroban import xdr_helpers as h

PASSPHRASE = "Test SDF Network ; September 2015"


@dataclass
class Env:
    emu: Emulator
    srv: SorobanServer
    admin: Keypair
    cid: str


@pytest.fixture
def env() -> Iterator[Env]:
    with start_emulator(PASSPHRASE) as emu:
        admin = Keypair.random()
        emu.fund(admin.public_key)
        cid = emu.deploy_vision_records(admin=admin.public_key)
        with SorobanServer(emu.url) as srv:
            yield Env(emu, srv, admin, cid)


def A(kp: Keypair | str) -> x.SCVal:
    return scval.to_address(kp if isinstance(kp, str) else kp.public_key)


def build(env: Env, signer: Keypair, fn: str, args: list[x.SCVal], passphrase: str = PASSPHRASE):  # type: ignore[no-untyped-def]
    acc = env.srv.load_account(signer.public_key)
    return (TransactionBuilder(acc, passphrase, base_fee=100).set_timeout(300)
            .append_invoke_contract_function_op(env.cid, fn, args).build())


def invoke(env: Env, signer: Keypair, fn: str, args: list[x.SCVal]):  # type: ignore[no-untyped-def]
    tx = env.srv.prepare_transaction(build(env, signer, fn, args))
    tx.sign(signer)
    sent = env.srv.send_transaction(tx)
    assert sent.status == SendTransactionStatus.PENDING, sent
    return env.srv.poll_transaction(sent.hash)


def simulate_view(env: Env, fn: str, args: list[x.SCVal]) -> object:
    sim = env.srv.simulate_transaction(build(env, env.admin, fn, args))
    assert sim.error is None, sim.error
    assert sim.results is not None
    return scval.to_native(x.SCVal.from_xdr(sim.results[0].xdr))


def test_health_network_latest_ledger(env: Env) -> None:
    assert env.srv.get_health().status == "healthy"
    assert env.srv.get_network().passphrase == PASSPHRASE
    with env.emu.paused():  # ledgers close every 0.1 s otherwise
        latest = env.srv.get_latest_ledger()
        assert latest.sequence == env.emu.ledger >= 1000
        assert x.LedgerHeader.from_xdr(latest.header_xdr).ledger_seq.uint32 == latest.sequence
        env.emu.advance(5)
        assert env.srv.get_latest_ledger().sequence == latest.sequence + 5


def test_load_account(env: Env) -> None:
    acc = env.srv.load_account(env.admin.public_key)
    assert acc.sequence == env.emu.account_sequence(env.admin.public_key)
    with pytest.raises(AccountNotFoundException):
        env.srv.load_account(Keypair.random().public_key)


def test_admin_adds_to_whitelist_through_the_poll_loop(env: Env) -> None:
    user = Keypair.random().public_key
    env.emu.pending_polls = 1  # first getTransaction answers NOT_FOUND
    seq_before = env.emu.account_sequence(env.admin.public_key)
    sent_at = env.emu.ledger
    res = invoke(env, env.admin, "add_to_whitelist", [A(env.admin), A(user)])
    assert res.status == GetTransactionStatus.SUCCESS
    assert env.emu.calls["getTransaction"] >= 2  # NOT_FOUND until its ledger closed, then once more (injected)
    assert sent_at < (res.ledger or 0) <= env.emu.ledger
    meta = x.TransactionMeta.from_xdr(res.result_meta_xdr)
    assert meta.v4 is not None and meta.v4.soroban_meta is not None
    assert meta.v4.soroban_meta.return_value.type == x.SCValType.SCV_VOID
    assert x.TransactionResult.from_xdr(res.result_xdr).result.code == x.TransactionResultCode.txSUCCESS
    assert env.emu.account_sequence(env.admin.public_key) == (seq_before or 0) + 1
    assert simulate_view(env, "is_whitelisted", [A(user)]) is True
    assert env.emu.contract(env.cid).persistent("WL_ADR", user) == scval.to_bool(True)


def test_non_admin_simulation_shows_contract_error(env: Env) -> None:
    intruder = Keypair.random()
    env.emu.fund(intruder.public_key)
    tx = build(env, intruder, "add_to_whitelist", [A(intruder), A(intruder)])
    sim = env.srv.simulate_transaction(tx)
    assert sim.error is not None and sim.error.startswith("HostError: Error(Contract, #3)")
    events = [x.DiagnosticEvent.from_xdr(e) for e in sim.events or []]
    topics = [scval.to_native(e.event.body.v0.topics[0]) for e in events if e.event.body.v0]
    assert "ACC_VIOL" in topics  # visible only in simulation (reference §2.3)
    with pytest.raises(PrepareTransactionException):
        env.srv.prepare_transaction(tx)
    # propose_admin by a non-admin and promote_admin too
    for fn, args in [("propose_admin", [A(intruder), A(intruder)]),
                     ("promote_admin", [A(intruder), A(intruder), scval.to_uint32(3)])]:
        err = env.srv.simulate_transaction(build(env, intruder, fn, args)).error
        assert err is not None and "Error(Contract, #3)" in err
    err = env.srv.simulate_transaction(build(env, env.admin, "initialize", [A(env.admin)])).error
    assert err is not None and "Error(Contract, #2)" in err


def test_instance_entry_holds_wasm_hash_admin_flags_and_ttl(env: Env) -> None:
    c = env.emu.contract(env.cid)
    c.set_paused(True, "REG_USR")
    c.set_whitelist_enabled(True)
    resp = env.srv.get_ledger_entries([h.instance_key(env.cid), h.code_key(c.wasm_hash)])
    assert resp.entries is not None and len(resp.entries) == 2
    inst = next(e for e in resp.entries if e.key == h.instance_key(env.cid).to_xdr())
    val = x.LedgerEntryData.from_xdr(inst.xdr).contract_data.val  # type: ignore[union-attr]
    assert val.type == x.SCValType.SCV_CONTRACT_INSTANCE and val.instance is not None
    assert val.instance.executable.wasm_hash.hash == c.wasm_hash  # type: ignore[union-attr]
    storage = {scval.to_native(e.key) if e.key.type == x.SCValType.SCV_SYMBOL else tuple(scval.to_native(e.key)):
               scval.to_native(e.val) for e in val.instance.storage.sc_map}  # type: ignore[union-attr]
    assert storage["ADMIN"].address == env.admin.public_key
    assert storage["S_ADMIN"].address == env.admin.public_key
    assert storage["INIT"] is True and storage["WL_EN"] is True
    assert storage[("P_FUNC", "REG_USR")] is True
    assert inst.live_until_ledger == 1000 + 120_960 - 1
    assert env.srv.get_contract_wasm_by_hash(c.wasm_hash)


def test_500_whitelist_keys_in_three_calls_and_201_refused(env: Env) -> None:
    c = env.emu.contract(env.cid)
    members = [Keypair.random().public_key for _ in range(500)]
    for m in members[::2]:
        c.whitelist_add(m)
    keys = [h.contract_data_key(env.cid, h.tuple_key("WL_ADR", A(m))) for m in members]
    env.emu.calls.clear()
    found = 0
    for i in range(0, 500, 200):
        resp = env.srv.get_ledger_entries(keys[i:i + 200])
        found += len(resp.entries or [])
    assert env.emu.calls["getLedgerEntries"] == 3
    assert found == 250
    with pytest.raises(SorobanRpcErrorResponse, match="exceeds maximum"):
        env.srv.get_ledger_entries(keys[:201])


def test_out_of_band_changes_are_visible(env: Env) -> None:
    c = env.emu.contract(env.cid)
    other = Keypair.random().public_key
    c.whitelist_add(other)
    c.set_pending_admin(other)
    c.set_tier(other, 2)
    assert simulate_view(env, "is_whitelisted", [A(other)]) is True
    assert simulate_view(env, "get_pending_admin", [])  # an Address
    assert simulate_view(env, "get_admin_tier", [A(other)]) == 2
    c.whitelist_remove(other)
    assert simulate_view(env, "is_whitelisted", [A(other)]) is False
    with pytest.raises(ContractError) as ei:
        c.call("add_to_whitelist", Keypair.random().public_key, other)
    assert ei.value.code == 3


def test_extend_footprint_ttl_raises_instance_ttl(env: Env) -> None:
    c = env.emu.contract(env.cid)
    c.set_instance_ttl(env.emu.ledger + 50)
    ro = [h.instance_key(env.cid), h.code_key(c.wasm_hash)]
    acc = env.srv.load_account(env.admin.public_key)
    tx = (TransactionBuilder(acc, PASSPHRASE, base_fee=100).set_timeout(300)
          .set_soroban_data(SorobanDataBuilder().set_read_only(ro).build())
          .append_extend_footprint_ttl_op(extend_to=500_000).build())
    tx = env.srv.prepare_transaction(tx)
    tx.sign(env.admin)
    sent = env.srv.send_transaction(tx)
    res = env.srv.poll_transaction(sent.hash)
    assert res.status == GetTransactionStatus.SUCCESS
    resp = env.srv.get_ledger_entries([h.instance_key(env.cid)])
    assert resp.entries and resp.entries[0].live_until_ledger == res.ledger + 500_000
    assert c.code_ttl() == res.ledger + 500_000


def test_fault_injection_then_success(env: Env) -> None:
    env.emu.faults.add("getLatestLedger", kind="http500")
    with pytest.raises(BadResponseError):
        env.srv.get_latest_ledger()
    with env.emu.paused():
        assert env.srv.get_latest_ledger().sequence == env.emu.ledger
    env.emu.faults.add("getNetwork", kind="error", times=2, message="busy")
    for _ in range(2):
        with pytest.raises(SorobanRpcErrorResponse, match="busy"):
            env.srv.get_network()
    assert env.srv.get_network().passphrase == PASSPHRASE
    assert env.emu.faults.pending() == 0


def test_admin_handover_across_two_transactions_and_events(env: Env) -> None:
    new = Keypair.random()
    env.emu.fund(new.public_key)
    start = env.emu.state.oldest  # from the start: the fixture's deploy (INIT) was some 0.1 s ledgers ago
    assert invoke(env, env.admin, "propose_admin", [A(env.admin), A(new)]).status == GetTransactionStatus.SUCCESS
    assert simulate_view(env, "get_pending_admin", []).address == new.public_key  # type: ignore[attr-defined]
    assert invoke(env, new, "accept_admin", [A(new)]).status == GetTransactionStatus.SUCCESS
    assert simulate_view(env, "get_admin", []).address == new.public_key  # type: ignore[attr-defined]
    assert simulate_view(env, "get_pending_admin", []) is None
    assert simulate_view(env, "get_admin_tier", [A(env.admin)]) == 3  # old admin keeps SuperAdmin (§2.4)
    assert simulate_view(env, "get_admin_tier", [A(new)]) is None
    ev = env.srv.get_events(start_ledger=start, filters=[{"type": "contract", "contractIds": [env.cid]}])  # type: ignore[list-item]
    topics = [scval.to_native(x.SCVal.from_xdr(e.topic[0])) for e in ev.events]
    assert topics == ["INIT", "ADM_PROP", "ADM_ACPT"]  # INIT from deploy_vision_records' initialize
    data = scval.to_native(x.SCVal.from_xdr(ev.events[2].value))
    assert data["old_admin"].address == env.admin.public_key
    # topic filter with a wildcard, and cursor continuation
    only = env.srv.get_events(start_ledger=start, filters=[  # type: ignore[list-item]
        {"type": "contract", "topics": [[scval.to_symbol("ADM_ACPT").to_xdr(), "*"]]}])
    assert len(only.events) == 1
    assert env.srv.get_events(cursor=ev.cursor).events == []


def test_history_past_the_retention_window_is_gone(env: Env) -> None:
    """getHealth reports the window; getTransactions, getTransaction and getEvents no longer serve older ledgers,
    and a widened window does not bring them back (a real RPC has dropped them)."""
    old = invoke(env, env.admin, "add_to_whitelist", [A(env.admin), A(Keypair.random().public_key)])
    with env.emu.retention_window(100):  # wide enough that `new` stays inside while it is polled at 0.1 s/ledger
        env.emu.advance(120)
        new = invoke(env, env.admin, "add_to_whitelist", [A(env.admin), A(Keypair.random().public_key)])
        with env.emu.paused():
            health = env.srv.get_health()
            assert (health.oldest_ledger, health.ledger_retention_window) == (health.latest_ledger - 99, 100)
            assert health.latest_ledger >= (new.ledger or 0)
            with pytest.raises(SorobanRpcErrorResponse, match="start ledger must be between the oldest ledger"):
                env.srv.get_transactions(start_ledger=old.ledger)
            assert [t.ledger for t in env.srv.get_transactions(start_ledger=health.oldest_ledger).transactions] == [
                new.ledger]
            assert env.srv.get_transaction(old.transaction_hash or "").status == GetTransactionStatus.NOT_FOUND
    assert env.srv.get_health().ledger_retention_window == 120_960
    assert env.srv.get_health().oldest_ledger >= health.oldest_ledger  # dropped history does not come back
    assert env.srv.get_transaction(old.transaction_hash or "").status == GetTransactionStatus.NOT_FOUND
    with pytest.raises(SorobanRpcErrorResponse, match="startLedger must be within the ledger range"):
        env.srv.get_events(start_ledger=old.ledger, filters=[{"type": "contract"}])


def test_bad_signature_wrong_passphrase_and_bad_seq_rejected(env: Env) -> None:
    other = Keypair.random()
    tx = env.srv.prepare_transaction(build(env, env.admin, "is_initialized", []))
    tx.sign(other)
    sent = env.srv.send_transaction(tx)
    assert sent.status == SendTransactionStatus.ERROR
    assert x.TransactionResult.from_xdr(sent.error_result_xdr).result.code == x.TransactionResultCode.txBAD_AUTH
    wrong = "Test SDF Future Network ; October 2022"
    acc = env.srv.load_account(env.admin.public_key)
    tx2 = (TransactionBuilder(acc, wrong, base_fee=100).set_timeout(300)
           .append_invoke_contract_function_op(env.cid, "is_initialized", []).build())
    tx2 = env.srv.prepare_transaction(tx2)
    tx2.sign(env.admin)
    sent = env.srv.send_transaction(tx2)
    assert sent.status == SendTransactionStatus.ERROR
    assert x.TransactionResult.from_xdr(sent.error_result_xdr).result.code == x.TransactionResultCode.txBAD_AUTH
    tx3 = env.srv.prepare_transaction(build(env, env.admin, "is_initialized", []))
    tx3.transaction.sequence += 5
    tx3.sign(env.admin)
    sent = env.srv.send_transaction(tx3)
    assert x.TransactionResult.from_xdr(sent.error_result_xdr).result.code == x.TransactionResultCode.txBAD_SEQ


def test_drift_between_simulate_and_apply_fails_the_transaction(env: Env) -> None:
    op = Keypair.random()
    env.emu.fund(op.public_key)
    env.emu.contract(env.cid).set_tier(op.public_key, 2)
    tx = env.srv.prepare_transaction(build(env, op, "set_whitelist_enabled", [A(op), scval.to_bool(True)]))
    env.emu.contract(env.cid).set_tier(op.public_key, 1)  # demoted out of band before submission
    tx.sign(op)
    res = env.srv.poll_transaction(env.srv.send_transaction(tx).hash)
    assert res.status == GetTransactionStatus.FAILED
    assert x.TransactionResult.from_xdr(res.result_xdr).result.code == x.TransactionResultCode.txFAILED
    assert env.emu.contract(env.cid).instance_value("WL_EN") is None


def test_address_credentials_signed_auth_entry(env: Env) -> None:
    payer = Keypair.random()
    env.emu.fund(payer.public_key)
    user = Keypair.random().public_key
    acc = env.srv.load_account(payer.public_key)
    tx = (TransactionBuilder(acc, PASSPHRASE, base_fee=100).set_timeout(300)
          .append_invoke_contract_function_op(env.cid, "add_to_whitelist", [A(env.admin), A(user)]).build())
    sim = env.srv.simulate_transaction(tx)
    assert sim.results and sim.results[0].auth
    entry = x.SorobanAuthorizationEntry.from_xdr(sim.results[0].auth[0])
    assert entry.credentials.type == x.SorobanCredentialsType.SOROBAN_CREDENTIALS_ADDRESS
    unsigned = env.srv.prepare_transaction(tx, sim)
    unsigned.sign(payer)
    res = env.srv.poll_transaction(env.srv.send_transaction(unsigned).hash)
    assert res.status == GetTransactionStatus.FAILED  # admin never signed the auth entry
    acc = env.srv.load_account(payer.public_key)
    tx = (TransactionBuilder(acc, PASSPHRASE, base_fee=100).set_timeout(300)
          .append_invoke_contract_function_op(env.cid, "add_to_whitelist", [A(env.admin), A(user)]).build())
    sim = env.srv.simulate_transaction(tx)
    signed = authorize_entry(sim.results[0].auth[0], env.admin, env.emu.ledger + 100, PASSPHRASE)  # type: ignore[index]
    tx.transaction.operations[0].auth = [signed]  # type: ignore[attr-defined]
    tx = env.srv.prepare_transaction(tx)
    tx.sign(payer)
    res = env.srv.poll_transaction(env.srv.send_transaction(tx).hash)
    assert res.status == GetTransactionStatus.SUCCESS
    assert env.emu.contract(env.cid).view("is_whitelisted", user) is True


def test_model_pause_tiers_rate_limit_rules(env: Env) -> None:
    c = env.emu.contract(env.cid)
    admin = env.admin.public_key
    op = Keypair.random().public_key
    res = invoke(env, env.admin, "pause_contract", [A(env.admin), scval.to_enum("Function", scval.to_symbol("ADD_REC"))])
    assert res.status == GetTransactionStatus.SUCCESS
    assert c.instance_value("P_FUNC", "ADD_REC") is True
    c.call("promote_admin", admin, op, 1)
    c.call("demote_admin", admin, op)
    assert c.view("get_admin_tier", op) == 1  # demote_admin leaves the tier (§2.5)
    assert [a.address for a in scval.to_native(c.persistent("ADM_LIST"))] == [admin]  # type: ignore[arg-type]
    with pytest.raises(ContractError) as ei:
        c.call("set_rate_limit_config", admin, scval.to_uint64(0), scval.to_uint64(60), scval.to_uint64(0))
    assert ei.value.code == 6
    for _ in range(10):
        c.call("set_rate_limit_config", admin, scval.to_uint64(5), scval.to_uint64(60), scval.to_uint64(0))
    with pytest.raises(ContractError) as ei:
        c.call("set_rate_limit_config", admin, scval.to_uint64(5), scval.to_uint64(60), scval.to_uint64(0))
    assert ei.value.code == 3
    assert c.view("get_rate_limit_config") == [5, 60]


def test_upload_create_and_wasm_pin(env: Env) -> None:
    def send(fn):  # type: ignore[no-untyped-def]
        acc = env.srv.load_account(env.admin.public_key)
        tx = env.srv.prepare_transaction(fn(TransactionBuilder(acc, PASSPHRASE, base_fee=100).set_timeout(300)).build())
        tx.sign(env.admin)
        res = env.srv.poll_transaction(env.srv.send_transaction(tx).hash)
        assert res.status == GetTransactionStatus.SUCCESS
        return scval.to_native(x.TransactionMeta.from_xdr(res.result_meta_xdr).v4.soroban_meta.return_value)

    wasm = b"\0asm\1\0\0\0vision_records v2"
    wasm_hash = send(lambda tb: tb.append_upload_contract_wasm_op(wasm))
    new_cid = send(lambda tb: tb.append_create_contract_op(wasm_hash, env.admin.public_key)).address
    assert env.srv.get_contract_wasm(new_cid) == wasm
    assert env.emu.contract(new_cid).wasm_hash == wasm_hash != env.emu.contract(env.cid).wasm_hash
    other = env.emu.deploy_vision_records(wasm_hash=b"\x11" * 32, admin=env.admin.public_key)
    assert env.emu.contract(other).wasm_hash == b"\x11" * 32


def _restore(env: Env, keys: list[x.LedgerKey]):  # type: ignore[no-untyped-def]
    acc = env.srv.load_account(env.admin.public_key)
    tx = (TransactionBuilder(acc, PASSPHRASE, base_fee=100).set_timeout(300)
          .set_soroban_data(SorobanDataBuilder().set_read_write(keys).build())
          .append_restore_footprint_op().build())
    tx = env.srv.prepare_transaction(tx)
    tx.sign(env.admin)
    return env.srv.poll_transaction(env.srv.send_transaction(tx).hash)


def test_archived_instance_is_returned_with_ttl_zero_refused_then_restored(env: Env) -> None:
    """stellar-rpc ledgerentries/main.go: archived entries come back with liveUntilLedgerSeq 0; an
    invocation touching an archived instance is refused until a RestoreFootprint brings it back."""
    c = env.emu.contract(env.cid)
    c.set_instance_ttl(env.emu.ledger - 1)
    [got] = env.srv.get_ledger_entries([h.instance_key(env.cid)]).entries
    assert got.live_until_ledger == 0
    with pytest.raises(PrepareTransactionException) as ei:
        env.srv.prepare_transaction(build(env, env.admin, "pause_contract", [A(env.admin),
                                                                               scval.to_enum("Global", None)]))
    assert "archived" in str(ei.value.simulate_transaction_response.error)
    res = _restore(env, [h.instance_key(env.cid)])
    assert res.status == GetTransactionStatus.SUCCESS
    # the restored entry lives the minimum persistent TTL from the ledger that applied the restore (ledgers
    # keep closing on the emulator's cadence, so not from "now")
    assert (c.instance_ttl() or 0) >= res.ledger + env.emu.state.config.min_persistent_ttl - 2
    res = invoke(env, env.admin, "pause_contract", [A(env.admin), scval.to_enum("Global", None)])
    assert res.status == GetTransactionStatus.SUCCESS
    assert c.instance_value("P_GLOB") is True


def test_archived_code_entry_refuses_invocation(env: Env) -> None:
    c = env.emu.contract(env.cid)
    c.set_code_ttl(env.emu.ledger - 1)
    [got] = env.srv.get_ledger_entries([h.code_key(c.wasm_hash)]).entries
    assert got.live_until_ledger == 0
    with pytest.raises(PrepareTransactionException):
        env.srv.prepare_transaction(build(env, env.admin, "get_admin", []))
    assert _restore(env, [h.code_key(c.wasm_hash)]).status == GetTransactionStatus.SUCCESS
    assert c.view("get_admin").address == env.admin.public_key


def test_state_archival_config_setting_is_readable(env: Env) -> None:
    key = x.LedgerKey(x.LedgerEntryType.CONFIG_SETTING, config_setting=x.LedgerKeyConfigSetting(
        x.ConfigSettingID.CONFIG_SETTING_STATE_ARCHIVAL))
    [got] = env.srv.get_ledger_entries([key]).entries
    sa = x.LedgerEntryData.from_xdr(got.xdr).config_setting.state_archival_settings  # type: ignore[union-attr]
    assert int(sa.max_entry_ttl.uint32) == env.emu.state.config.max_entry_ttl == 3_110_400
    assert int(sa.min_persistent_ttl.uint32) == env.emu.state.config.min_persistent_ttl


def test_contract_extends_its_own_entries_as_the_source_does(env: Env) -> None:
    """common/src/whitelist.rs, admin_tiers.rs, vision_records/src/rbac.rs: set and read extend the entry
    to the maximum; set_whitelist_enabled extends the instance whatever the value; add/remove do not."""
    c = env.emu.contract(env.cid)
    other = Keypair.random().public_key
    top = env.emu.ledger + env.emu.state.config.max_entry_ttl - 1
    c.set_instance_ttl(env.emu.ledger + 100)
    c.call("add_to_whitelist", env.admin.public_key, other)
    assert c.instance_ttl() == env.emu.ledger + 100
    assert env.emu.state.live_until(c.persistent_key("WL_ADR", other)) == top
    c.call("remove_from_whitelist", env.admin.public_key, other)
    assert c.instance_ttl() == env.emu.ledger + 100
    c.call("set_whitelist_enabled", env.admin.public_key, False)
    assert c.instance_ttl() == top
    c.set_entry_ttl("ADM_TIER", env.admin.public_key, live_until=env.emu.ledger + 100)
    c.call("get_admin_tier", env.admin.public_key)
    assert env.emu.state.live_until(c.persistent_key("ADM_TIER", env.admin.public_key)) == top
    c.set_entry_ttl("ROLE_ASN", env.admin.public_key, live_until=env.emu.ledger + 100)
    c.call("register_user", env.admin.public_key, other, scval.to_uint32(2), scval.to_string("staff"))
    assert env.emu.state.live_until(c.persistent_key("ROLE_ASN", other)) == top
