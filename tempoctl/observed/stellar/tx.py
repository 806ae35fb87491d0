"""Build, simulate and assemble Soroban transactions with stellar-sdk (reference: build → simulate →
`prepare_transaction` → sign → send → poll). Used by plan-time simulation and by apply.

Sequence numbers are tracked here per source account: loaded once, advanced only when a transaction built
from them is actually sent (or exported for offline signing), so several transactions from one signer go
out back to back and a refused step does not burn a number.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from tempoctl.core.steps import SorobanTx
from tempoctl.observed.stellar import args as A
from tempoctl.observed.stellar.client import StellarClient
from tempoctl.observed.stellar.ledger import instance_key

BASE_FEE = 100
TIMEOUT_SECONDS = 300
OFFLINE_TIMEOUT_SECONDS = 24 * 3600  # an exported XDR waits for a person to sign it


@dataclass
class Simulated:
    ok: bool
    error: str | None = None
    fee: int | None = None
    envelope: Any = None  # the assembled (prepared) TransactionEnvelope when ok


@dataclass
class TxBuilder:
    client: StellarClient
    passphrase: str
    _seq: dict[str, int] = field(default_factory=dict)

    def sequence(self, source: str) -> int:
        """The next sequence number to use for `source` minus one (what the account holds now, locally advanced)."""
        if source not in self._seq:
            acc = self.client._rpc("loadAccount", self.client.server.load_account, source)
            self._seq[source] = int(acc.sequence)
        return self._seq[source]

    def consume(self, source: str) -> None:
        self._seq[source] = self.sequence(source) + 1

    def build(self, step: SorobanTx, timeout: int = TIMEOUT_SECONDS) -> Any:
        """The unsigned, unprepared envelope of a `soroban_invocation` or `soroban_extend_ttl` step (an
        ExtendFootprintTTL or RestoreFootprint over the step's `keys`), valid for
        `timeout` seconds (time bounds make a failure definitive)."""
        from stellar_sdk import Account, SorobanDataBuilder, TransactionBuilder

        source = str(step.source or "")
        acc = Account(source, self.sequence(source))
        tb = TransactionBuilder(acc, self.passphrase, base_fee=BASE_FEE).set_timeout(timeout)
        function = step.function
        if function in ("ExtendFootprintTTL", "RestoreFootprint"):
            from stellar_sdk import xdr

            # the footprint is the step's own keys (instance, code, data entries); older plans named only the
            # instance. ExtendFootprintTTL reads them (read-only), RestoreFootprint writes them (read-write).
            keys = [xdr.LedgerKey.from_xdr(k) for k in step.keys or []]
            keys = keys or [instance_key(step.contract)]
            if function == "RestoreFootprint":
                tb.append_restore_footprint_op()
                data = SorobanDataBuilder().set_read_write(keys).build()  # type: ignore[no-untyped-call]
            else:
                tb.append_extend_footprint_ttl_op(int(step.extend_to or 0))
                data = SorobanDataBuilder().set_read_only(keys).build()  # type: ignore[no-untyped-call]
            tb.set_soroban_data(data)
        else:
            tb.append_invoke_contract_function_op(step.contract, step.function, [A.to_scval(a) for a in step.args])
        return tb.build()

    def simulate_many(self, many: list[SorobanTx], workers: int = 8) -> list[Simulated]:
        """Simulate several steps at once. `simulateTransaction` takes exactly one transaction, so a plan of
        N Soroban steps costs N requests; they run `workers` at a time, not one after another. The
        results carry the raw simulation (`envelope` is the SDK response); `assemble` turns one into a
        transaction at the sequence number the caller decides."""
        from concurrent.futures import ThreadPoolExecutor

        from tempoctl.observed.stellar.errors import decode_error

        def one(step: SorobanTx) -> Simulated:
            try:
                te = self.build(step)
            except Exception as exc:  # noqa: BLE001 - e.g. source account missing on chain
                return Simulated(ok=False, error=f"cannot build the transaction: {exc}"[:300])
            sim = self.client._rpc("simulateTransaction", self.client.server.simulate_transaction, te)
            if sim.error:
                return Simulated(ok=False, error=decode_error(sim.error))
            return Simulated(ok=True, envelope=sim)

        for step in many:  # account loads first, one per source, so the threads only simulate
            with contextlib.suppress(Exception):  # a missing account is reported per step by `one`
                self.sequence(str(step.source))
        if len(many) == 1:
            return [one(many[0])]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(one, many))

    def assemble(self, step: SorobanTx, raw: Simulated, timeout: int = TIMEOUT_SECONDS) -> Simulated:
        """The prepared transaction (footprint, resource fee, auth from the simulation) at the source's
        current local sequence; assembling is local, no request."""
        prepared = self.client.server.prepare_transaction(self.build(step, timeout), raw.envelope)
        return Simulated(ok=True, fee=int(prepared.transaction.fee), envelope=prepared)
