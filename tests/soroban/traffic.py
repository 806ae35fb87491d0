"""Foreign traffic: the rest of the network's transactions, which Stellar RPC's `getTransactions` returns next to
a contract's own (it is a network-wide history: stellar/stellar-rpc `internal/methods/get_transactions.go`
iterates every transaction of every ledger in the range) and whose fee events `getEvents` indexes
(`internal/db/event.go`: since protocol 23 / CAP-67 every transaction, failed ones included, emits a `fee`
event of the native asset's contract, topics `["fee", <fee source>]`, stage BeforeAllTxs).

Records are pre-encoded once (an invocation of another contract by one of a few other accounts, with a plausible
result and meta) and repeated `per_ledger` times in every ledger closed after `since`, so a benchmark can fill
thousands of ledgers without running the model."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from stellar_sdk import Keypair, TransactionBuilder, scval
from stellar_sdk import xdr as x
from stellar_sdk.account import Account

from . import xdr_helpers as h

FOREIGN_ORDER_BASE = 1_000  # application order of foreign transactions in a ledger (after the emulator's own)


def _template(passphrase: str, source: Keypair, contract: str) -> dict[str, str]:
    tx = (TransactionBuilder(Account(source.public_key, 1), passphrase, base_fee=100).set_timeout(0)
          .append_invoke_contract_function_op(contract, "transfer", [scval.to_address(source.public_key),
                                                                      scval.to_address(contract),
                                                                      scval.to_int128(1_000)]).build())
    tx.sign(source)
    result = x.TransactionResult(
        fee_charged=x.Int64(120_000),
        result=x.TransactionResultResult(x.TransactionResultCode.txSUCCESS, results=[x.OperationResult(
            x.OperationResultCode.opINNER, tr=x.OperationResultTr(
                x.OperationType.INVOKE_HOST_FUNCTION, invoke_host_function_result=x.InvokeHostFunctionResult(
                    x.InvokeHostFunctionResultCode.INVOKE_HOST_FUNCTION_SUCCESS, success=x.Hash(b"\1" * 32))))]),
        ext=x.TransactionResultExt(0))
    meta = x.TransactionMeta(4, v4=x.TransactionMetaV4(
        ext=x.ExtensionPoint(0), tx_changes_before=x.LedgerEntryChanges([]), operations=[],
        tx_changes_after=x.LedgerEntryChanges([]), soroban_meta=None, events=[], diagnostic_events=[]))
    return {"envelopeXdr": tx.to_xdr(), "resultXdr": result.to_xdr(), "resultMetaXdr": meta.to_xdr()}


@dataclass
class ForeignTraffic:
    passphrase: str
    per_ledger: int
    since: int
    accounts: list[Keypair] = field(default_factory=lambda: [Keypair.random() for _ in range(4)])
    _templates: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        contract = h.random_contract_id()
        self._templates = [_template(self.passphrase, kp, contract) for kp in self.accounts]
        self.addresses = {kp.public_key for kp in self.accounts}

    def records(self, ledger: int, close_time: int) -> list[dict[str, Any]]:
        """The foreign transactions of one ledger, in application order."""
        if ledger < self.since or self.per_ledger <= 0:
            return []
        out = []
        for i in range(self.per_ledger):
            t = self._templates[i % len(self._templates)]
            out.append({"status": "SUCCESS", "txHash": hashlib.sha256(f"{ledger}:{i}".encode()).hexdigest(),
                        "applicationOrder": FOREIGN_ORDER_BASE + i, "feeBump": False, **t, "ledger": ledger,
                        "createdAt": str(close_time),
                        "events": {"transactionEventsXdr": [], "contractEventsXdr": [[]]}})
        return out

    def source_of(self, i: int) -> str:
        return self.accounts[i % len(self.accounts)].public_key
