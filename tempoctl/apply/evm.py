"""Send EVM steps: simulate again as the signer, estimate gas with a margin, manage nonces locally, sign,
journal, send back to back, then await the receipts of a wave together.

Tempo has no native gas token (fees are charged in a TIP-20), so `value` is always 0 and the native
balance is never checked; gas is estimated per transaction because first writes to a storage slot cost
250k gas there (TIP-1000) and fixed limits fail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from tempoctl.apply.context import ApplyContext, SentStep
from tempoctl.apply.journal import Journal
from tempoctl.apply.signers import SignerError, load_evm_account
from tempoctl.core.steps import EvmTx
from tempoctl.desired.models import EvmNetwork
from tempoctl.errors import ApplyError
from tempoctl.observed.evm.client import RpcResponseError
from tempoctl.plan.model import Change, Step

GAS_CAP = 30_000_000


def signed_call(change: Change, step: Step) -> str:
    """The call `step`'s calldata really makes, decoded from those bytes (``grantRole(0x…, 0x…)``), after
    checking that the bytes are exactly `function` encoded with `args`: what the plan shows (made from
    function and args) and what is signed can then never disagree. The result is what the journal and
    `history` record."""
    from tempoctl.observed.evm.abi import SignatureError, describe_call, encode_call

    tx = EvmTx.of(step)
    function = tx.function
    try:
        raw = bytes.fromhex(tx.data.removeprefix("0x"))
        if encode_call(function, tx.args) != raw:
            raise ApplyError(f"{change.address}: the calldata of {step.display} is not {function} encoded with "
                             "its arguments; nothing was sent", hint="Re-plan; this is a bug if it happens again.")
        return describe_call(function, raw)
    except (SignatureError, ValueError) as exc:
        raise ApplyError(f"{change.address}: cannot decode the calldata of {step.display}: {exc}") from None


@dataclass
class EvmExecutor:
    """Executes the EVM steps of one network. `accounts` maps signer name → eth_account LocalAccount."""

    network: str
    chain_id: int
    client: Any
    accounts: dict[str, Any]
    journal: Journal
    actx: ApplyContext | None = None
    gas_margin_percent: int = 25
    role_names: dict[str, str] = field(default_factory=dict)
    receipt_timeout: float = 120.0
    _nonces: dict[str, int] = field(default_factory=dict)

    def _next_nonce(self, address: str) -> int:
        if address not in self._nonces:
            self._nonces[address] = self.client.nonce(address, "pending")
        n = self._nonces[address]
        self._nonces[address] = n + 1
        return n

    def prepare(self, items: list[tuple[Change, Step]]) -> None:
        """Load every signer's key this network needs (and check its address) before anything is sent."""
        for change, step in items:
            signed_call(change, step)
            if step.signer is None:
                raise ApplyError(f"{change.address}: no declared signer can send {step.display}",
                                 hint="Declare a signer that holds the role it needs, or set `signer:` on the contract.")
            if step.signer in self.accounts or self.actx is None:
                continue
            signer = self.actx.env.state.signers.get(step.signer)
            if signer is None:
                raise SignerError(f"the plan names signer {step.signer}, which the state files no longer declare")
            self.accounts[step.signer] = load_evm_account(step.signer, signer, environ=self.actx.environ,
                                                          prompt=self.actx.prompt, cwd=self.actx.cwd)

    def preflight(self, items: list[tuple[Change, Step]]) -> None:
        """Simulate every step of a wave at the latest block, as its signer; refuse the wave on a revert."""
        from tempoctl.observed.evm.client import EthCall
        from tempoctl.observed.evm.reverts import decode_revert

        txs = [EvmTx.of(s) for _, s in items]
        calls = [EthCall(to=tx.to, data=tx.calldata, sender=tx.sender) for tx in txs]
        for (change, step), res in zip(items, self.client.call_many(calls, "latest")):
            if not res.ok:
                reason = decode_revert(bytes(res.data), role_names=self.role_names)
                raise ApplyError(f"{change.address}: {step.display} would revert: {reason}",
                                 hint="Nothing of this step was sent. Check the signer's role, then re-plan.")

    def send_wave(self, items: list[tuple[Change, Step]]) -> list[SentStep]:
        """Sign and send every step of a wave back to back (journal before send); return what was sent."""
        self.preflight(items)
        fees = self.client.fee_fields().tx_fields()
        sent: list[SentStep] = []
        for change, step in items:
            account = self.accounts[step.signer or ""]
            evm = EvmTx.of(step)
            tx: dict[str, Any] = {"from": account.address, "to": evm.to, "data": evm.data, "value": 0}
            gas = self.client.estimate_gas(tx)
            gas = min(GAS_CAP, gas + gas * self.gas_margin_percent // 100)
            nonce = self._next_nonce(account.address)
            tx.update({"gas": gas, "nonce": nonce, "chainId": self.chain_id, **fees})
            tx.pop("from")
            signed = account.sign_transaction(tx)
            # The signed bytes hold no key; keeping them lets a later apply re-send exactly this transaction
            # (same nonce, same hash) if this process dies before the node has it (apply/resume.py).
            self.journal.record("intent", kind=step.kind, address=change.address, display=step.display,
                                call=signed_call(change, step), signer=step.signer, sender=account.address, nonce=nonce, to=evm.to,
                                network=self.network, data=evm.data,
                                data_sha256=hashlib.sha256(evm.data.encode()).hexdigest(),
                                tx_hash="0x" + bytes(signed.hash).hex(),
                                raw_tx="0x" + bytes(signed.raw_transaction).hex())
            try:
                tx_hash = self.client.send_raw(bytes(signed.raw_transaction))
            except RpcResponseError as exc:
                # The node answered "no" (not a lost connection): this transaction will never be mined.
                self.journal.record("abandoned", address=change.address, tx_hash="0x" + bytes(signed.hash).hex(),
                                    nonce=nonce, sender=account.address, network=self.network, reason=exc.summary)
                raise
            self.journal.record("sent", address=change.address, tx_hash=tx_hash, nonce=nonce, sender=account.address)
            sent.append(SentStep(change, step, tx_hash, nonce, finished=False))
        return sent

    def await_wave(self, sent: list[SentStep]) -> None:
        """Wait for all receipts of a wave together; a failed receipt stops the apply."""
        echo = self.actx.echo if self.actx is not None else None
        receipts = self.client.wait_receipts([s.tx_hash for s in sent], timeout=self.receipt_timeout,
                                             progress=echo)
        failed = []
        for s in sent:
            s.receipt, s.finished = receipts[s.tx_hash], True
            status = int(str(s.receipt.get("status", "0x0")), 16)
            self.journal.record("receipt", address=s.change.address, tx_hash=s.tx_hash, status=status,
                                block=int(str(s.receipt.get("blockNumber", "0x0")), 16),
                                gas_used=int(str(s.receipt.get("gasUsed", "0x0")), 16))
            s.summary = f"tx {s.tx_hash}  gas {int(str(s.receipt.get('gasUsed', '0x0')), 16):,}"
            if status != 1:
                s.failed = True
                failed.append(s)
            else:
                self._learn(s.step)
        if failed:
            raise ApplyError(f"{len(failed)} transaction(s) failed on chain: " + ", ".join(
                f"{s.change.address} ({s.tx_hash})" for s in failed))

    def _learn(self, step: Step) -> None:
        """A mined step that sets or removes a key that is not enumerable on chain (a vault approval) updates
        the managed-key record at once, so an apply that stops later still leaves it right."""
        rec = EvmTx.of(step).record
        record = self.actx.fresh.extra.get("managed_record") if self.actx is not None else None
        if not rec or record is None:
            return
        if rec.get("op") == "forget":
            record.forget(rec["scope"], [rec["key"]])
        else:
            record.save(scopes={rec["scope"]: {rec["key"]}})


def make_evm_executor(actx: ApplyContext, network: str) -> EvmExecutor:
    """The executor of one EVM network, on the client the fresh observation opened (chain ID checked)."""
    net = actx.env.state.networks[network]
    assert isinstance(net, EvmNetwork)
    return EvmExecutor(network, net.chain_id, actx.fresh.clients[network], {}, actx.journal,
                       actx=actx, gas_margin_percent=net.gas_margin_percent,
                       role_names=dict(actx.fresh.observed.role_names))
