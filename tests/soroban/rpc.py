"""JSON-RPC method implementations of the emulator (Stellar RPC shapes, real XDR)."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from stellar_sdk import (
    ExtendFootprintTTL,
    InvokeHostFunction,
    Keypair,
    RestoreFootprint,
    TransactionEnvelope,
)
from stellar_sdk import xdr as x
from stellar_sdk.exceptions import BadSignatureError

from . import xdr_helpers as h
from .config_settings import config_setting_entry
from .executor import (
    OpOutcome,
    diagnostic,
    entry_changes,
    fn_call_event,
    footprint_of,
    op_result,
    soroban_data,
    state_changes_json,
    success_hash,
    tx_result,
)
from .ledger import Overlay, Queued
from .traffic import FOREIGN_ORDER_BASE

if TYPE_CHECKING:
    from .emulator import Emulator

MAX_KEYS = 200
LEDGER_SCAN_LIMIT = 10_000  # stellar-rpc internal/methods/get_events.go LedgerScanLimit
TC = x.TransactionResultCode


class RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Rpc:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.state = emu.state

    def dispatch(self, method: str, params: Any) -> Any:
        fn = getattr(self, "m_" + method, None)
        if fn is None:
            raise RpcError(-32601, "method not found")
        with self.state.lock:
            return fn(params or {})

    # ---- simple methods -----------------------------------------------------------------------
    def m_getHealth(self, _p: Any) -> dict[str, Any]:
        """stellar-rpc ``cmd/stellar-rpc/internal/methods/get_health.go``: an InternalError (-32603) when the
        last ledger closed longer ago than its max healthy latency ("latency (…) since last known ledger
        closed is too high"), else ``status: healthy`` with the ledger range."""
        if self.emu.unhealthy:
            raise RpcError(-32603, self.emu.unhealthy)
        return {"status": "healthy", "latestLedger": self.state.sequence, "oldestLedger": self.state.oldest,
                "ledgerRetentionWindow": self.state.config.retention_window}

    def m_getNetwork(self, _p: Any) -> dict[str, Any]:
        return {"passphrase": self.emu.passphrase, "protocolVersion": self.state.config.protocol_version}

    def m_getVersionInfo(self, _p: Any) -> dict[str, Any]:
        """stellar-rpc ``methods/get_version_info.go``: ``version`` is ``config.Version``, the release tag
        without its ``v`` (Makefile ``REPOSITORY_VERSION``), e.g. ``25.1.1``; configurable here
        (``Emulator.rpc_version``) so clients can be tested against an RPC that is too old."""
        return {"version": self.emu.rpc_version, "commitHash": "0" * 40, "buildTimestamp": "2025-01-01T00:00:00Z",
                "captiveCoreVersion": "stellar-core (emulator)",
                "protocolVersion": self.state.config.protocol_version}

    def m_getFeeStats(self, _p: Any) -> dict[str, Any]:
        d = {k: "100" for k in ("max", "min", "mode", "p10", "p20", "p30", "p40", "p50", "p60", "p70", "p80",
                                 "p90", "p95", "p99")}
        d |= {"transactionCount": "0", "ledgerCount": "50"}
        return {"sorobanInclusionFee": d, "inclusionFee": d, "latestLedger": self.state.sequence}

    def _header(self, seq: int) -> x.LedgerHeader:
        z = x.Hash(b"\0" * 32)
        return x.LedgerHeader(
            ledger_version=x.Uint32(self.state.config.protocol_version),
            previous_ledger_hash=x.Hash(hashlib.sha256(str(seq - 1).encode()).digest()),
            scp_value=x.StellarValue(tx_set_hash=z, close_time=x.TimePoint(x.Uint64(self.state.close_time)),
                                     upgrades=[], ext=x.StellarValueExt(x.StellarValueType.STELLAR_VALUE_BASIC)),
            tx_set_result_hash=z, bucket_list_hash=z, ledger_seq=x.Uint32(seq),
            total_coins=x.Int64(10**18), fee_pool=x.Int64(0), inflation_seq=x.Uint32(0), id_pool=x.Uint64(0),
            base_fee=x.Uint32(100), base_reserve=x.Uint32(5_000_000), max_tx_set_size=x.Uint32(1000),
            skip_list=[z, z, z, z], ext=x.LedgerHeaderExt(0),
        )

    def m_getLatestLedger(self, _p: Any) -> dict[str, Any]:
        """stellar-rpc ``methods/get_latest_ledger.go``; an RPC older than v25 (``Emulator.rpc_version``) answers
        without ``closeTime``, ``headerXdr`` and ``metadataXdr``, as it did before v25.0.0."""
        seq = self.state.sequence
        ledger_hash = hashlib.sha256(str(seq).encode()).digest()
        header = self._header(seq)
        meta = x.LedgerCloseMeta(0, v0=x.LedgerCloseMetaV0(
            ledger_header=x.LedgerHeaderHistoryEntry(x.Hash(ledger_hash), header, x.LedgerHeaderHistoryEntryExt(0)),
            tx_set=x.TransactionSet(previous_ledger_hash=header.previous_ledger_hash, txs=[]),
            tx_processing=[], upgrades_processing=[], scp_info=[]))
        out = {"id": ledger_hash.hex(), "protocolVersion": self.state.config.protocol_version, "sequence": seq}
        major = int(str(self.emu.rpc_version).lstrip("v").split(".")[0] or 0)
        if major >= 25:  # stellar-rpc CHANGELOG v25.0.0: "Expanded getLatestLedger ... closeTime, headerXdr, metadataXdr"
            out |= {"closeTime": str(self.state.close_time), "headerXdr": header.to_xdr(), "metadataXdr": meta.to_xdr()}
        return out

    # ---- getLedgerEntries -----------------------------------------------------------------------
    def m_getLedgerEntries(self, p: dict[str, Any]) -> dict[str, Any]:
        """Entries in request order, missing keys left out. Archived persistent entries are *returned*, with
        ``liveUntilLedgerSeq`` 0: stellar-rpc ``internal/ledgerentries/main.go``
        (``coreLedgerEntryGetter.GetLedgerEntries``: "Core doesn't provide the specific TTL in which an entry
        was archived. We use TTL placeholder of 0 for archived entries", RPC ≥ v23). ``CONFIG_SETTING`` keys
        answer the network configuration (``config_settings.config_setting_entry``)."""
        keys = p.get("keys") or []
        if not isinstance(keys, list) or not keys:
            raise RpcError(-32602, "key list is empty")
        if len(keys) > MAX_KEYS:
            raise RpcError(-32602, f"key count ({len(keys)}) exceeds maximum supported ({MAX_KEYS})")
        out = []
        for kb in keys:
            try:
                key = x.LedgerKey.from_xdr(kb)
            except Exception as exc:
                raise RpcError(-32602, f"cannot unmarshal key value {kb}") from exc
            if key.type == x.LedgerEntryType.TTL:
                raise RpcError(-32602, f"cannot fetch ledger key type TTL (key {kb})")
            if key.type == x.LedgerEntryType.CONFIG_SETTING:
                assert key.config_setting is not None
                cfg = config_setting_entry(self.state.config, key.config_setting.config_setting_id)
                if cfg is not None:
                    out.append({"key": kb, "xdr": cfg.to_xdr(), "lastModifiedLedgerSeq": 1})
                continue
            e = self.state.raw_get(key)
            if e is None:
                continue
            item: dict[str, Any] = {"key": kb, "xdr": e.data.to_xdr(),
                                    "lastModifiedLedgerSeq": int(e.last_modified_ledger_seq.uint32)}
            lu = self.state.live_until(key)
            if lu is not None:
                item["liveUntilLedgerSeq"] = 0 if self.state.is_archived(key) else lu
            out.append(item)
        return {"entries": out, "latestLedger": self.state.sequence}

    # ---- simulateTransaction ----------------------------------------------------------------------
    def _decode(self, p: dict[str, Any]) -> TransactionEnvelope:
        try:
            te = TransactionEnvelope.from_xdr(p["transaction"], self.emu.passphrase)
        except Exception as exc:
            raise RpcError(-32602, f"invalid transaction: {exc}") from exc
        return te

    def _run(self, te: TransactionEnvelope, ov: Overlay, simulate: bool, auth_mode: str | None = None) -> OpOutcome:
        """Simulation records auth unless the op already carries auth entries or authMode is
        "enforce"; apply always enforces."""
        tx = te.transaction
        op = tx.operations[0]
        source = (op.source or tx.source).account_id
        fp = tx.soroban_data.resources.footprint if tx.soroban_data else None
        if isinstance(op, InvokeHostFunction):
            mode = "record" if simulate and not op.auth and auth_mode != "enforce" else "enforce"
            return self.emu.executor.invoke(ov, op, source, mode, self.state.close_time)
        if isinstance(op, ExtendFootprintTTL):
            return self.emu.executor.extend(ov, op, fp)
        assert isinstance(op, RestoreFootprint)
        return self.emu.executor.restore(ov, op, fp)

    def m_simulateTransaction(self, p: dict[str, Any]) -> dict[str, Any]:
        te = self._decode(p)
        tx = te.transaction
        latest = self.state.sequence
        if len(tx.operations) != 1 or not isinstance(tx.operations[0],
                                                      InvokeHostFunction | ExtendFootprintTTL | RestoreFootprint):
            return {"error": "Transaction contains more than one operation or is not a Soroban operation",
                    "latestLedger": latest}
        src = tx.source.account_id
        if self.state.get_live(h.account_key(src)) is None:
            return {"error": f"Account not found: {src}", "latestLedger": latest}
        ov = Overlay(self.state, latest + 1)
        out = self._run(te, ov, simulate=True, auth_mode=p.get("authMode"))
        op = tx.operations[0]
        calls = []
        if isinstance(op, InvokeHostFunction) and op.host_function.invoke_contract is not None:
            ica = op.host_function.invoke_contract
            calls.append(fn_call_event(h.sc_address_str(ica.contract_address),
                                       ica.function_name.sc_symbol.decode(), list(ica.args)))
        if not out.ok:
            events = diagnostic(calls, False) + diagnostic(out.diagnostics, False)
            text = out.error_text
            log = "\n".join(f"   {i}: [Diagnostic Event] {e.to_xdr()}" for i, e in enumerate(reversed(events)))
            return {"error": f"HostError: {text}\n\nEvent log (newest first):\n{log}",
                    "events": [e.to_xdr() for e in events], "latestLedger": latest}
        fp = footprint_of(ov)
        data, fee = soroban_data(ov, fp)
        res: dict[str, Any] = {"transactionData": data.to_xdr(), "minResourceFee": str(fee),
                               "latestLedger": latest,
                               "stateChanges": state_changes_json(ov.pending_changes())}
        if out.kind == "invoke":
            assert out.retval is not None
            evs = diagnostic(calls, True) + diagnostic(out.events, True)
            res["events"] = [e.to_xdr() for e in evs]
            res["results"] = [{"auth": [a.to_xdr() for a in out.auth], "xdr": out.retval.to_xdr()}]
        return res

    # ---- sendTransaction ---------------------------------------------------------------------------
    def _reject(self, tx_hash: str, code: x.TransactionResultCode, fee: int = 0) -> dict[str, Any]:
        return {"status": "ERROR", "hash": tx_hash, "errorResultXdr": tx_result(fee, code).to_xdr(),
                "latestLedger": self.state.sequence, "latestLedgerCloseTime": str(self.state.close_time)}

    def _signed_by(self, te: TransactionEnvelope, account_id: str) -> bool:
        kp = Keypair.from_public_key(account_id)
        payload = te.hash()
        for sig in te.signatures:
            if sig.signature_hint != kp.signature_hint():
                continue
            try:
                kp.verify(payload, sig.signature)
                return True
            except BadSignatureError:
                continue
        return False

    def m_sendTransaction(self, p: dict[str, Any]) -> dict[str, Any]:
        """Validate, then *queue* the transaction; it is applied when the next ledger closes
        (``Emulator.close_ledgers``), not here.

        Follows stellar-core ``TransactionQueue::canAdd`` (src/herder/TransactionQueue.cpp), whose answer
        stellar-rpc passes through unchanged (``methods/send_transaction.go``, ``NewSendTransactionHandler``):

        * the same envelope already in the queue: ``DUPLICATE``;
        * the source account already has a transaction in the queue: a lower sequence number is
          ``ERROR txBAD_SEQ``, anything else ``TRY_AGAIN_LATER`` ("If there's already a transaction in the
          queue, we reject any new transaction") — at most one pending transaction per source account;
        * otherwise ``checkValid``: the sequence number must be the account's + 1 (``txBAD_SEQ``; an
          envelope that was already applied is therefore ``txBAD_SEQ`` too, not ``DUPLICATE``), time bounds,
          signature, fee.
        """
        raw = p.get("transaction", "")
        try:
            x.TransactionEnvelope.from_xdr(raw)
        except Exception as exc:
            raise RpcError(-32602, "invalid_xdr") from exc
        if x.TransactionEnvelope.from_xdr(raw).type == x.EnvelopeType.ENVELOPE_TYPE_TX_FEE_BUMP:
            return self._reject("0" * 64, TC.txNOT_SUPPORTED)
        te = self._decode(p)
        tx = te.transaction
        tx_hash = te.hash_hex()
        src = tx.source.account_id
        queued = self.emu.queue.get(src)
        if queued is not None:
            if queued.tx_hash == tx_hash:
                return {"status": "DUPLICATE", "hash": tx_hash, "latestLedger": self.state.sequence,
                        "latestLedgerCloseTime": str(self.state.close_time)}
            if tx.sequence < queued.sequence:
                return self._reject(tx_hash, TC.txBAD_SEQ)
            self.emu.refused += 1
            return {"status": "TRY_AGAIN_LATER", "hash": tx_hash, "latestLedger": self.state.sequence,
                    "latestLedgerCloseTime": str(self.state.close_time)}
        acct = self.state.get_live(h.account_key(src))
        if acct is None:
            return self._reject(tx_hash, TC.txNO_ACCOUNT)
        assert acct.data.account is not None
        cur_seq = int(acct.data.account.seq_num.sequence_number.int64)
        if tx.sequence != cur_seq + 1:
            return self._reject(tx_hash, TC.txBAD_SEQ)
        tb = tx.preconditions.time_bounds if tx.preconditions else None
        now = max(self.state.close_time, int(time.time()))
        if tb is not None and tb.max_time and now > tb.max_time:
            return self._reject(tx_hash, TC.txTOO_LATE)
        if tb is not None and tb.min_time and now < tb.min_time:
            return self._reject(tx_hash, TC.txTOO_EARLY)
        if not self._signed_by(te, src):
            return self._reject(tx_hash, TC.txBAD_AUTH)
        ops = tx.operations
        is_soroban = len(ops) == 1 and isinstance(ops[0], InvokeHostFunction | ExtendFootprintTTL | RestoreFootprint)
        if not is_soroban or tx.soroban_data is None:
            return self._reject(tx_hash, TC.txMALFORMED if not is_soroban else TC.txSOROBAN_INVALID)
        resource_fee = int(tx.soroban_data.resource_fee.int64)
        if tx.fee < resource_fee + self.state.config.base_fee:
            return self._reject(tx_hash, TC.txINSUFFICIENT_FEE)
        self.emu.enqueue(Queued(te, tx_hash, src, tx.sequence, resource_fee, raw))
        return {"status": "PENDING", "hash": tx_hash, "latestLedger": self.state.sequence,
                "latestLedgerCloseTime": str(self.state.close_time)}

    def apply_queued(self, q: Queued, seq: int, order: int) -> None:
        """Apply one queued transaction in ledger ``seq`` (already closed by the caller) at position
        ``order`` of its transaction set: fee and sequence number first, then the operation. The source's
        sequence number is checked again, as stellar-core does when it applies a transaction set."""
        te, tx_hash, src, resource_fee, raw = q.te, q.tx_hash, q.source, q.resource_fee, q.raw
        tx = te.transaction
        fee = min(tx.fee, resource_fee + self.state.config.base_fee)
        # fee and sequence number: charged whether or not the operation succeeds
        fee_ov = Overlay(self.state, seq)
        acct = fee_ov.get(h.account_key(src))
        if acct is None or acct.data.account is None or \
                int(acct.data.account.seq_num.sequence_number.int64) + 1 != tx.sequence:
            return  # no longer valid (the account changed out of band): dropped from the set, never applied
        a = acct.data.account
        fee_ov.put(h.account_entry(src, int(a.balance.int64) - fee, tx.sequence, seq))
        before_changes = fee_ov.commit()
        ov = Overlay(self.state, seq)
        out = self._run(te, ov, simulate=False)
        assert tx.soroban_data is not None
        declared = tx.soroban_data.resources.footprint
        if out.ok:
            ro = {h.b64(kk) for kk in declared.read_only}
            rw = {h.b64(kk) for kk in declared.read_write}
            actual = footprint_of(ov)
            bad = [kk for kk in actual.read_write if h.b64(kk) not in rw]
            bad += [kk for kk in actual.read_only if h.b64(kk) not in ro | rw]
            if bad:
                out.ok, out.error = False, None
                out.malformed = "Error(Storage, ExceededLimit): ledger key outside the footprint"
        changes = ov.commit() if out.ok else []
        ok = out.ok
        retval = out.retval if out.retval is not None else x.SCVal(x.SCValType.SCV_VOID)
        ops = [op_result(out.kind, ok, success_hash(retval, out.events) if ok else b"\0" * 32, out.archived)]
        result = tx_result(fee, TC.txSUCCESS if ok else TC.txFAILED, ops)
        events = out.events if ok else []
        meta = x.TransactionMeta(4, v4=x.TransactionMetaV4(
            ext=x.ExtensionPoint(0), tx_changes_before=entry_changes(before_changes),
            operations=[x.OperationMetaV2(ext=x.ExtensionPoint(0), changes=entry_changes(changes), events=events)],
            tx_changes_after=x.LedgerEntryChanges([]),
            soroban_meta=x.SorobanTransactionMetaV2(ext=x.SorobanTransactionMetaExt(0),
                                                    return_value=retval if ok and out.kind == "invoke" else None),
            events=[], diagnostic_events=diagnostic(out.diagnostics, ok)))
        rec: dict[str, Any] = {
            "status": "SUCCESS" if ok else "FAILED", "txHash": tx_hash, "applicationOrder": order, "feeBump": False,
            "envelopeXdr": raw, "resultXdr": result.to_xdr(), "resultMetaXdr": meta.to_xdr(), "ledger": seq,
            "createdAt": str(self.state.close_time),
            "events": {"transactionEventsXdr": [], "contractEventsXdr": [[e.to_xdr() for e in events]]},
            "_not_found_polls": self.emu.pending_polls, "_error": out.error_text,
        }
        if not ok:
            rec["diagnosticEventsXdr"] = [d.to_xdr() for d in diagnostic(out.diagnostics, False)]
        self.emu.transactions[tx_hash] = rec
        self.emu.record_events(seq, tx_hash, events)

    # ---- getTransaction ----------------------------------------------------------------------------
    def m_getTransaction(self, p: dict[str, Any]) -> dict[str, Any]:
        base = {"latestLedger": self.state.sequence, "latestLedgerCloseTime": str(self.state.close_time),
                "oldestLedger": self.state.oldest,
                "oldestLedgerCloseTime": str(self.state.close_times.get(self.state.oldest, 0))}
        tx_hash = p.get("hash", "")
        rec = self.emu.transactions.get(tx_hash)
        if rec is not None and rec["ledger"] < self.state.oldest:  # past the retention window
            rec = None
        if rec is None or rec["_not_found_polls"] > 0:
            if rec is not None:
                rec["_not_found_polls"] -= 1
            return {"status": "NOT_FOUND", "txHash": tx_hash, **base}
        return {**base, **{k: v for k, v in rec.items() if not k.startswith("_")}}

    # ---- getTransactions ---------------------------------------------------------------------------
    def m_getTransactions(self, p: dict[str, Any]) -> dict[str, Any]:
        """Applied transactions of the whole network in ledger order, paged by an opaque cursor (the TOID of
        the last one): the emulator's own and, when installed, foreign traffic (``traffic.ForeignTraffic``),
        as stellar-rpc ``internal/methods/get_transactions.go`` returns every transaction of each ledger from
        ``startLedger`` (or the cursor) to the latest, ``limit`` (≤ 200 here, the default ``maxLimit``) at a
        time."""
        pag = p.get("pagination") or {}
        limit = min(int(pag.get("limit") or 50), 200)
        latest = self.state.sequence
        if pag.get("cursor"):
            after = int(pag["cursor"])
        else:
            start = p.get("startLedger")
            if start is None or not (self.state.oldest <= int(start) <= latest):
                raise RpcError(-32600, f"start ledger must be between the oldest ledger: {self.state.oldest} "
                                       f"and the latest ledger: {latest}")
            after = (int(start) << 32) - 1
        own: dict[int, list[dict[str, Any]]] = {}
        for rec in self.emu.transactions.values():
            own.setdefault(rec["ledger"], []).append(rec)
        foreign = getattr(self.emu, "foreign", None)
        found: list[dict[str, Any]] = []
        ledger = max(after >> 32, self.state.oldest)
        while ledger <= latest and len(found) < limit:
            recs = list(own.get(ledger, []))
            if foreign is not None:
                recs += foreign.records(ledger, self.state.close_times.get(ledger, self.state.close_time))
            recs.sort(key=lambda r: r["applicationOrder"])
            for rec in recs:
                toid = (rec["ledger"] << 32) | (rec["applicationOrder"] << 12)
                if toid <= after:
                    continue
                found.append({k: v for k, v in rec.items() if not k.startswith("_")})
                if len(found) >= limit:
                    break
            ledger += 1
        cursor = str((found and (found[-1]["ledger"] << 32 | found[-1]["applicationOrder"] << 12)) or after)
        return {"transactions": found, "latestLedger": latest, "latestLedgerCloseTimestamp": self.state.close_time,
                "oldestLedger": self.state.oldest,
                "oldestLedgerCloseTimestamp": self.state.close_times.get(self.state.oldest, 0), "cursor": cursor}

    def _fee_events(self, first: int, end: int, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """CAP-67 fee events (one per transaction, failed ones too, stage BeforeAllTxs: cursor ``Tx`` 0, event
        index counting up within the ledger; stellar-rpc ``internal/db/event.go`` ``InsertEvents``): contract
        events of the native asset's contract, topics ``["fee", <fee source address>]``, value the i128 fee."""
        from stellar_sdk import Asset, TransactionEnvelope, scval

        sac = Asset.native().contract_id(self.emu.passphrase)
        fee_sym = scval.to_symbol("fee").to_xdr()
        cache: dict[str, dict[str, Any]] = self.__dict__.setdefault("_fee_cache", {})
        per_ledger: dict[int, list[tuple[int, str, str, int]]] = {}
        for rec in self.emu.transactions.values():
            if first <= rec["ledger"] < end:
                src = TransactionEnvelope.from_xdr(rec["envelopeXdr"], self.emu.passphrase).transaction.source
                fee = int(x.TransactionResult.from_xdr(rec["resultXdr"]).fee_charged.int64)
                per_ledger.setdefault(rec["ledger"], []).append(
                    (rec["applicationOrder"], rec["txHash"], src.account_id, fee))
        foreign = getattr(self.emu, "foreign", None)
        wanted = {seg[1] for f in filters for seg in (f.get("topics") or [["*", "*"]]) if len(seg) > 1}
        if foreign is not None and ("*" in wanted or any(scval.to_address(a).to_xdr() in wanted
                                                         for a in foreign.addresses)):
            for ledger in range(max(first, foreign.since), end):
                for rec in foreign.records(ledger, 0):
                    i = rec["applicationOrder"] - FOREIGN_ORDER_BASE
                    per_ledger.setdefault(ledger, []).append(
                        (rec["applicationOrder"], rec["txHash"], foreign.source_of(i), 120_000))
        out = []
        for ledger, txs in per_ledger.items():
            for index, (_, tx_hash, source, fee) in enumerate(sorted(txs)):
                key = f"{tx_hash}:{index}"
                if key not in cache:
                    cache[key] = {
                        "type": "contract", "ledger": ledger,
                        "ledgerClosedAt": _iso(self.state.close_times.get(ledger, self.state.close_time)),
                        "contractId": sac, "id": f"{ledger << 32:019d}-{index:010d}", "operationIndex": 0,
                        "transactionIndex": 0, "txHash": tx_hash,
                        "topic": [fee_sym, scval.to_address(source).to_xdr()],
                        "value": scval.to_int128(fee).to_xdr()}
                out.append(cache[key])
        return out

    # ---- getEvents ---------------------------------------------------------------------------------
    def m_getEvents(self, p: dict[str, Any]) -> dict[str, Any]:
        """stellar-rpc ``internal/methods/get_events.go``: one request searches at most ``LedgerScanLimit``
        (10,000) ledgers from its start (the cursor's ledger, or ``startLedger``), capped by ``endLedger`` and
        the latest ledger; when fewer than ``limit`` events match, the cursor returned is the end of that
        search window (``MaxCursor`` at ``endLedger - 1``), so a client continues from there."""
        pag = p.get("pagination") or {}
        limit = min(int(pag.get("limit") or 100), 10_000)
        cursor = pag.get("cursor")
        filters = p.get("filters") or []
        if len(filters) > 5:
            raise RpcError(-32602, "maximum 5 filters per request")
        latest = self.state.sequence
        if cursor:
            start_key = tuple(int(v) for v in cursor.split("-"))
            first = start_key[0] >> 32
        else:
            first = int(p.get("startLedger") or 0)
            start_key = ((first << 32) - 1, 0)
        if not (self.state.oldest <= first <= latest):
            raise RpcError(-32600, f"startLedger must be within the ledger range: {self.state.oldest} - {latest}")
        end = min(first + LEDGER_SCAN_LIMIT, latest + 1)
        if p.get("endLedger") and not cursor:
            end = min(int(p["endLedger"]), end)
        found = []
        candidates = [*self._fee_events(max(first, self.state.oldest), end, filters), *self.emu.events]
        candidates.sort(key=lambda ev: tuple(int(v) for v in ev["id"].split("-")))
        for ev in candidates:
            key = tuple(int(v) for v in ev["id"].split("-"))
            if key <= start_key or ev["ledger"] >= end or ev["ledger"] < self.state.oldest:
                continue
            if filters and not any(_match(f, ev) for f in filters):
                continue
            found.append(ev)
            if len(found) >= limit:
                break
        cur = found[-1]["id"] if len(found) >= limit else f"{((end - 1) << 32) | 0xFFFFFFFF:019d}-{0xFFFFFFFF:010d}"
        return {"events": found, "latestLedger": latest, "oldestLedger": self.state.oldest,
                "latestLedgerCloseTime": str(self.state.close_time),
                "oldestLedgerCloseTime": str(self.state.close_times.get(self.state.oldest, 0)), "cursor": cur}


def _match(f: dict[str, Any], ev: dict[str, Any]) -> bool:
    if f.get("type") and f["type"] != ev["type"]:
        return False
    if f.get("contractIds") and ev["contractId"] not in f["contractIds"]:
        return False
    topics = f.get("topics")
    if not topics:
        return True
    for segs in topics:
        t = ev["topic"]
        if segs and segs[-1] == "**":
            pre = segs[:-1]
            if len(t) >= len(pre) and all(s == "*" or s == v for s, v in zip(pre, t, strict=False)):
                return True
        elif len(segs) == len(t) and all(s == "*" or s == v for s, v in zip(segs, t, strict=True)):
            return True
    return False


def event_json(seq: int, close_time: int, tx_hash: str, tx_index: int, index: int,
               e: x.ContractEvent) -> dict[str, Any]:
    toid = (seq << 32) | (tx_index << 12)
    assert e.body.v0 is not None and e.contract_id is not None
    from stellar_sdk import StrKey

    return {
        "type": "contract", "ledger": seq, "ledgerClosedAt": _iso(close_time),
        "contractId": StrKey.encode_contract(e.contract_id.contract_id.hash),
        "id": f"{toid:019d}-{index:010d}", "operationIndex": 0, "transactionIndex": tx_index, "txHash": tx_hash,
        "topic": [t.to_xdr() for t in e.body.v0.topics], "value": e.body.v0.data.to_xdr(),
    }
