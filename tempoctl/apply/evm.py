"""Send EVM steps: simulate again as the signer and estimate gas with a margin (one batch for the wave, see
`apply/evm_wave.py`), manage nonces locally, sign the whole wave, journal it in one commit, send it in
JSON-RPC batches one block's worth at a time, and await the receipts with one batched query per poll.

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
from tempoctl.errors import ApplyError, TempoctlError
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

    def send_wave(self, items: list[tuple[Change, Step]]) -> list[SentStep]:
        """Sign every step of the wave, journal all of them (one commit) before any is sent, then send them in
        JSON-RPC batches, one block's worth at a time (`evm_wave.pack_blocks`): each share but the last is
        awaited here, the last by `await_wave`.

        A share that stops the apply (a refusal, a lost answer, a failed receipt) leaves the later shares
        unsent: they are journalled `abandoned` at once, so the next apply never re-sends them from the
        journal, and re-planning decides what remains. Steps already final ride on the error (`sent_steps`)."""
        from tempoctl.apply.evm_wave import pack_blocks, read_presend

        senders = {step.signer or "": self.accounts[step.signer or ""].address for _, step in items}
        new = [a for a in dict.fromkeys(senders.values()) if a not in self._nonces]
        pre = read_presend(self.client, items, senders, new, self.role_names)
        self._nonces.update(pre.nonces)
        signed_txs: list[tuple[Change, Step, int, Any]] = []
        gas_limits = [min(GAS_CAP, g + g * self.gas_margin_percent // 100) for g in pre.gas]
        shares = pack_blocks(gas_limits, pre.block_gas_limit)  # before signing: refuse with nothing journalled
        intents: list[tuple[str, dict[str, Any]]] = []
        for (change, step), gas in zip(items, gas_limits, strict=True):
            account = self.accounts[step.signer or ""]
            evm = EvmTx.of(step)
            nonce = self._next_nonce(account.address)
            tx: dict[str, Any] = {"to": evm.to, "data": evm.data, "value": 0, "gas": gas,
                                  "nonce": nonce, "chainId": self.chain_id, **pre.fees}
            signed = account.sign_transaction(tx)
            signed_txs.append((change, step, nonce, signed))
            # The signed bytes hold no key; keeping them lets a later apply re-send exactly this transaction
            # (same nonce, same hash) if this process dies before the node has it (apply/resume.py).
            intents.append(("intent", {
                "kind": step.kind, "address": change.address, "display": step.display, "call": signed_call(change, step),
                "signer": step.signer, "sender": account.address, "nonce": nonce, "to": evm.to, "network": self.network,
                "data": evm.data, "data_sha256": hashlib.sha256(evm.data.encode()).hexdigest(),
                "tx_hash": "0x" + bytes(signed.hash).hex(), "raw_tx": "0x" + bytes(signed.raw_transaction).hex()}))
        self.journal.record_many(intents)  # journal before send: one commit for the whole wave
        if len(shares) > 1 and self.actx is not None:
            self.actx.echo(f"  {len(items)} transactions reserve {sum(gas_limits):,} gas, over the block gas limit "
                           f"{pre.block_gas_limit:,}: sending them over {len(shares)} blocks")
        sent: list[SentStep] = []
        for k, share in enumerate(shares):
            try:
                part = self._send_share([signed_txs[i] for i in share])
                sent += part
                if k < len(shares) - 1:
                    self.await_wave(part)
            except TempoctlError as exc:
                self._abandon([signed_txs[i] for later in shares[k + 1:] for i in later])
                exc.sent_steps = [s for s in sent if s.finished]  # type: ignore[attr-defined]
                raise
        return sent

    def _send_share(self, txs: list[tuple[Change, Step, int, Any]]) -> list[SentStep]:
        """Send one block's worth in one batch and journal each outcome (one commit). A refusal is final for
        that transaction (`abandoned`) and stops the apply once the others are journalled as sent.

        Known limit: a refusal of a signer's nonce n in the middle of a batch (the pre-send simulation passed,
        so e.g. fees that rose between signing and sending) leaves that signer's later transactions of the
        same batch in the node's queue behind a nonce gap; the next apply's settling waits for them and says
        they are still pending until nonce n is used."""
        results = self.client.send_raw_many([bytes(signed.raw_transaction) for _, _, _, signed in txs])
        events: list[tuple[str, dict[str, Any]]] = []
        out: list[SentStep] = []
        refused: list[RpcResponseError] = []
        for (change, step, nonce, signed), res in zip(txs, results, strict=True):
            sender = self.accounts[step.signer or ""].address
            if isinstance(res, RpcResponseError):
                # The node answered "no" (not a lost connection): this transaction will never be mined.
                events.append(("abandoned", {"address": change.address, "tx_hash": "0x" + bytes(signed.hash).hex(),
                                                 "nonce": nonce, "sender": sender, "network": self.network,
                                                 "reason": res.summary}))
                refused.append(res)
                continue
            events.append(("sent", {"address": change.address, "tx_hash": res, "nonce": nonce, "sender": sender}))
            out.append(SentStep(change, step, res, nonce, finished=False))
        self.journal.record_many(events)
        if refused:
            raise refused[0]
        return out

    def _abandon(self, txs: list[tuple[Change, Step, int, Any]]) -> None:
        """Journal signed transactions that will not be sent (an earlier share stopped the apply)."""
        self.journal.record_many([("abandoned", {
            "address": change.address, "tx_hash": "0x" + bytes(signed.hash).hex(), "nonce": nonce,
            "sender": self.accounts[step.signer or ""].address, "network": self.network,
            "reason": "never sent: the apply stopped before this transaction's block"}) for change, step, nonce, signed in txs])

    def await_wave(self, sent: list[SentStep]) -> None:
        """Wait for the receipts of the wave's steps not yet final (one batched query per poll), journal them
        in one commit; a failed receipt stops the apply."""
        sent = [s for s in sent if not s.finished]
        if not sent:
            return
        echo = self.actx.echo if self.actx is not None else None
        receipts = self.client.wait_receipts([s.tx_hash for s in sent], timeout=self.receipt_timeout,
                                             progress=echo)
        failed = []
        events: list[tuple[str, dict[str, Any]]] = []
        for s in sent:
            s.receipt, s.finished = receipts[s.tx_hash], True
            status = int(str(s.receipt.get("status", "0x0")), 16)
            gas_used = int(str(s.receipt.get("gasUsed", "0x0")), 16)
            events.append(("receipt", {"address": s.change.address, "tx_hash": s.tx_hash, "status": status,
                                           "block": int(str(s.receipt.get("blockNumber", "0x0")), 16),
                                           "gas_used": gas_used}))
            s.summary = f"tx {s.tx_hash}  gas {gas_used:,}"
            if status != 1:
                s.failed = True
                failed.append(s)
        self.journal.record_many(events)
        for s in sent:
            if not s.failed:
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
