"""The emulator's ledger clock and transaction queue behave like stellar-core + Stellar RPC, driven only through
the unmodified stellar-sdk over HTTP: PENDING at send, NOT_FOUND until the ledger that includes the transaction
closes, one pending transaction per source account (TRY_AGAIN_LATER), several accounts per ledger, the Soroban
per-ledger transaction limit, the ledger cadence, and a configurable getVersionInfo."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from stellar_sdk import Keypair, SorobanServer, TransactionBuilder, TransactionEnvelope, scval
from stellar_sdk import xdr as x
from stellar_sdk.soroban_rpc import GetTransactionStatus, SendTransactionStatus

from tests.soroban import Emulator, NetworkConfig, start_emulator

PASSPHRASE = "Test SDF Network ; September 2015"


def _tx(srv: SorobanServer, kp: Keypair, cid: str, user: str, seq: int | None = None) -> TransactionEnvelope:
    """A signed add_to_whitelist(admin=kp, user) at the account's next sequence number (or after `seq`)."""
    acc = srv.load_account(kp.public_key)
    if seq is not None:
        acc.sequence = seq
    tx = (TransactionBuilder(acc, PASSPHRASE, base_fee=100).set_timeout(300)
          .append_invoke_contract_function_op(cid, "add_to_whitelist",
                                              [scval.to_address(kp.public_key), scval.to_address(user)]).build())
    tx = srv.prepare_transaction(tx)
    tx.sign(kp)
    return tx


@pytest.fixture
def manual() -> Iterator[tuple[Emulator, SorobanServer]]:
    """Ledgers close only on `emu.advance()`, so each step below sees an exact ledger."""
    with start_emulator(PASSPHRASE, ledger_interval=0, config=NetworkConfig(ledger_max_tx_count=2)) as emu, \
            SorobanServer(emu.url) as srv:
        yield emu, srv


def test_second_pending_transaction_from_one_account_is_try_again_later(manual: tuple[Emulator, SorobanServer]) -> None:
    emu, srv = manual
    admin, other = Keypair.random(), Keypair.random()
    for kp in (admin, other):
        emu.fund(kp.public_key)
    cid = emu.deploy_vision_records(admin=admin.public_key)
    emu.contract(cid).call("promote_admin", admin.public_key, other.public_key, 3)  # other may whitelist too
    start = emu.ledger

    first = _tx(srv, admin, cid, Keypair.random().public_key)
    assert srv.send_transaction(first).status == SendTransactionStatus.PENDING
    # not applied at send: NOT_FOUND, sequence number unchanged, ledger unchanged
    assert srv.get_transaction(first.hash_hex()).status == GetTransactionStatus.NOT_FOUND
    assert emu.account_sequence(admin.public_key) == first.transaction.sequence - 1
    # the same envelope again while it waits: DUPLICATE
    assert srv.send_transaction(first).status == SendTransactionStatus.DUPLICATE
    # a second transaction from the same account (next sequence number) while the first is pending
    second = _tx(srv, admin, cid, Keypair.random().public_key, seq=first.transaction.sequence)
    refused = srv.send_transaction(second)
    assert refused.status == SendTransactionStatus.TRY_AGAIN_LATER
    assert emu.refused == 1
    # another account in the same ledger is fine
    third = _tx(srv, other, cid, Keypair.random().public_key)
    assert srv.send_transaction(third).status == SendTransactionStatus.PENDING

    emu.advance(1)
    a, c = srv.get_transaction(first.hash_hex()), srv.get_transaction(third.hash_hex())
    assert (a.status, c.status) == (GetTransactionStatus.SUCCESS, GetTransactionStatus.SUCCESS)
    assert a.ledger == c.ledger == start + 1
    assert sorted([a.application_order, c.application_order]) == [1, 2]
    assert srv.get_transaction(second.hash_hex()).status == GetTransactionStatus.NOT_FOUND  # never queued
    # now the second may go; the first, already applied, is a used sequence number (not DUPLICATE)
    assert srv.send_transaction(second).status == SendTransactionStatus.PENDING
    again = srv.send_transaction(first)
    assert again.status == SendTransactionStatus.ERROR
    assert x.TransactionResult.from_xdr(again.error_result_xdr or "").result.code == x.TransactionResultCode.txBAD_SEQ
    emu.advance(1)
    assert srv.get_transaction(second.hash_hex()).ledger == start + 2


def test_per_ledger_soroban_transaction_limit(manual: tuple[Emulator, SorobanServer]) -> None:
    """NetworkConfig(ledger_max_tx_count=2): of three queued transactions, two go in the next ledger and the
    third waits for the one after, in arrival order."""
    emu, srv = manual
    admin = Keypair.random()
    emu.fund(admin.public_key)
    cid = emu.deploy_vision_records(admin=admin.public_key)
    senders = [Keypair.random() for _ in range(3)]
    for kp in senders:
        emu.fund(kp.public_key)
        emu.contract(cid).call("promote_admin", admin.public_key, kp.public_key, 3)
    start = emu.ledger
    txs = [_tx(srv, kp, cid, Keypair.random().public_key) for kp in senders]
    for t in txs:
        assert srv.send_transaction(t).status == SendTransactionStatus.PENDING
    emu.advance(1)
    got = [srv.get_transaction(t.hash_hex()) for t in txs]
    assert [g.ledger for g in got[:2]] == [start + 1, start + 1]
    assert got[2].status == GetTransactionStatus.NOT_FOUND
    emu.advance(1)
    assert srv.get_transaction(txs[2].hash_hex()).ledger == start + 2
    assert emu.ledger_tx_counts == {start + 1: 2, start + 2: 1}


def test_default_limit_is_the_testnet_value() -> None:
    assert NetworkConfig().ledger_max_tx_count == 2000


def test_five_second_ledger_keeps_a_transaction_not_found_until_it_closes() -> None:
    """At the real networks' cadence (5 s), a just-sent transaction is NOT_FOUND for seconds, then SUCCESS in
    the next ledger. Two ledgers of wall time: wait for a close, send at once, watch the next one."""
    with start_emulator(PASSPHRASE, ledger_interval=5.0) as emu, SorobanServer(emu.url) as srv:
        admin = Keypair.random()
        emu.fund(admin.public_key)
        cid = emu.deploy_vision_records(admin=admin.public_key)
        tx = _tx(srv, admin, cid, Keypair.random().public_key)
        start = emu.wait_ledgers(1, timeout=7)
        t0 = time.monotonic()
        assert srv.send_transaction(tx).status == SendTransactionStatus.PENDING
        time.sleep(1.0)
        assert srv.get_transaction(tx.hash_hex()).status == GetTransactionStatus.NOT_FOUND
        assert emu.account_sequence(admin.public_key) == tx.transaction.sequence - 1
        while (res := srv.get_transaction(tx.hash_hex())).status == GetTransactionStatus.NOT_FOUND:
            assert time.monotonic() - t0 < 7, "not included within one 5 s ledger"
            time.sleep(0.1)
        assert time.monotonic() - t0 > 4.0
        assert res.status == GetTransactionStatus.SUCCESS and res.ledger == start + 1


def test_ledgers_close_on_the_cadence() -> None:
    with start_emulator(PASSPHRASE, ledger_interval=0.05) as emu:
        first = emu.ledger
        time.sleep(0.5)
        assert 5 <= emu.ledger - first <= 11


@pytest.mark.parametrize("version", ["22.1.0", "25.1.1"])
def test_get_version_info_is_configurable(version: str) -> None:
    with start_emulator(PASSPHRASE, rpc_version=version) as emu, SorobanServer(emu.url) as srv:
        info = srv.get_version_info()
        assert info.version == version
        assert info.protocol_version == emu.state.config.protocol_version


def test_address_credentials_are_checked_like_the_network(manual: tuple[Emulator, SorobanServer]) -> None:
    """A channel-sent invocation authorised by the admin's auth entry: it must be signed for this network's ID,
    not expired at the ledger that applies it, and its nonce is single-use (soroban-env-host auth)."""
    from stellar_sdk.auth import authorize_entry

    emu, srv = manual
    admin, channel = Keypair.random(), Keypair.random()
    for kp in (admin, channel):
        emu.fund(kp.public_key)
    cid = emu.deploy_vision_records(admin=admin.public_key)

    def send(passphrase: str, valid_for: int, entry: x.SorobanAuthorizationEntry | None = None,
             wait: int = 0) -> tuple[str, x.SorobanAuthorizationEntry]:
        acc = srv.load_account(channel.public_key)
        tx = (TransactionBuilder(acc, PASSPHRASE, base_fee=100).set_timeout(300)
              .append_invoke_contract_function_op(cid, "add_to_whitelist",
                                                  [scval.to_address(admin.public_key),
                                                   scval.to_address(Keypair.random().public_key)]).build())
        sim = srv.simulate_transaction(tx)
        assert sim.results is not None and sim.transaction_data is not None
        if entry is None:
            entry = authorize_entry(sim.results[0].auth[0], admin, emu.ledger + valid_for, passphrase)  # type: ignore[index]
        else:  # the same signed entry again, on an invocation with other arguments: a replay
            entry = x.SorobanAuthorizationEntry.from_xdr(entry.to_xdr())
        tx.transaction.operations[0].auth = [entry]  # type: ignore[attr-defined]
        tx = srv.prepare_transaction(tx, sim)
        tx.sign(channel)
        emu.advance(wait)
        assert srv.send_transaction(tx).status == SendTransactionStatus.PENDING
        emu.advance(1)
        return str(srv.get_transaction(tx.hash_hex()).status.value), entry

    assert send("Public Global Stellar Network ; September 2015", 100)[0] == "FAILED"  # another network's ID
    assert send(PASSPHRASE, 1, wait=3)[0] == "FAILED"  # expired before its ledger
    ok, entry = send(PASSPHRASE, 100)
    assert ok == "SUCCESS"
    assert send(PASSPHRASE, 100, entry=entry)[0] == "FAILED"  # signed for other arguments / nonce used
