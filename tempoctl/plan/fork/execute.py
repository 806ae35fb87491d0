"""Send one plan step on a fork as its real signer, and read back what it did (status, gas, events, revert).

Each signer is impersonated (`anvil_impersonateAccount`) and funded in anvil's native currency
(`anvil_setBalance`): anvil has no Tempo fee-token precompile, so gas on the fork is anvil's and labelled so.
Steps go one at a time, each mined before the next is sent, so a step sees every earlier step's effect, in
plan order, across signers. A step is sent with a fixed gas limit rather than estimated: a revert is then a
mined failure we can explain (re-run as `eth_call` on the state just before it), not an estimation error.

A Safe's step goes through the Safe itself when the Safe has code (tempoctl/plan/fork/safe.py); at an address
with no code it is sent from that address, which is what the Safe would be as `msg.sender`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from tempoctl.core.steps import EvmTx, StepFieldError
from tempoctl.errors import RpcError
from tempoctl.observed.evm.events import describe_log
from tempoctl.observed.evm.reverts import Revert, decode_revert, hex_bytes
from tempoctl.plan.model import ForkStep, Step

FUNDING = 10**24  # wei of anvil's native currency per impersonated sender: ample for any plan
GAS_CAP = 15_000_000
_RECEIPT_TIMEOUT = 60.0
_SUCCEEDS_ALONE = "reverted when mined (the same call succeeds alone: out of gas or a state-dependent check)"


class ForkExecutor:
    """Runs steps on one fork (`client` is an `EvmClient` on the fork's loopback URL)."""

    def __init__(self, client: Any, block: int, role_names: Mapping[str, str]) -> None:
        self.client, self.block, self.role_names = client, block, dict(role_names)
        self._ready: set[str] = set()
        self._gas_cap: int | None = None
        self.safes: dict[str, str | None] = {}  # Safe address (lower case) → owner used on the fork, None: not a Safe

    def prepare(self, address: str) -> None:
        """Impersonate and fund `address` once per fork."""
        key = address.lower()
        if key in self._ready:
            return
        self.client.batch([("anvil_impersonateAccount", [address]),
                           ("anvil_setBalance", [address, hex(FUNDING)])])
        self._ready.add(key)

    def gas_cap(self) -> int:
        if self._gas_cap is None:
            head = self.client.request("eth_getBlockByNumber", ["latest", False])
            limit = int(str(head.get("gasLimit", "0x0")), 16) if isinstance(head, dict) else 0
            self._gas_cap = min(GAS_CAP, limit) if limit else GAS_CAP
        return self._gas_cap

    def run(self, step: Step) -> ForkStep:
        try:
            tx = EvmTx.of(step)
        except StepFieldError as e:
            return ForkStep(status="error", block=self.block, error=str(e))
        if not tx.sender:
            return ForkStep(status="error", block=self.block,
                            error="no declared signer can send this step (none holds the role it needs)")
        try:
            if tx.via_safe:
                from tempoctl.plan.fork.safe import run_via_safe

                return run_via_safe(self, tx)
            return self.send(tx.sender, tx.to, tx.data or "0x", int(tx.value or 0))
        except Revert as e:
            return ForkStep(status="revert", block=self.block,
                            error=decode_revert(e.data, role_names=self.role_names))
        except RpcError as e:
            return ForkStep(status="error", block=self.block, error=e.summary)

    def send(self, sender: str, to: str, data: str, value: int = 0, *, note: str | None = None,
             explain_as: tuple[str, str, str] | None = None) -> ForkStep:
        """Send from `sender`, wait for the receipt, and describe it. On failure the revert is decoded by re-running
        the call (`explain_as`: (from, to, data) of the inner call, for a Safe) on the state before the tx."""
        self.prepare(sender)
        tx = {"from": sender, "to": to, "data": data, "value": hex(value), "gas": hex(self.gas_cap())}
        tx_hash = str(self.client.request("eth_sendTransaction", [tx]))
        receipt = self._receipt(tx_hash)
        gas = int(str(receipt.get("gasUsed", "0x0")), 16)
        events = [describe_log(log, role_names=self.role_names) for log in receipt.get("logs") or []
                  if isinstance(log, dict)]
        if str(receipt.get("status")) == "0x1":
            return ForkStep(status="ok", block=self.block, gas=gas, events=events, note=note)
        before = int(str(receipt.get("blockNumber", "0x1")), 16) - 1
        error = self.explain(*(explain_as or (sender, to, data)), before)
        if explain_as is not None and error == _SUCCEEDS_ALONE:  # the inner call is fine: the wrapper failed
            error = self.explain(sender, to, data, before)
        return ForkStep(status="revert", block=self.block, gas=gas, note=note, error=error)

    def explain(self, sender: str, to: str, data: str, block: int) -> str:
        """Why a call fails at `block`: its revert data, decoded."""
        reply = self.client.batch([("eth_call", [{"from": sender, "to": to, "data": data}, hex(block)])])[0]
        error = reply.get("error")
        if isinstance(error, dict):
            from tempoctl.observed.evm.reverts import revert_data

            raw = revert_data(error)
            return decode_revert(raw or b"", role_names=self.role_names) if raw is not None else \
                str(error.get("message", "failed"))[:200]
        return _SUCCEEDS_ALONE

    def call(self, sender: str, to: str, data: bytes) -> bytes | None:
        """`eth_call` on the fork's latest state; None when it reverts."""
        reply = self.client.batch([("eth_call", [{"from": sender, "to": to, "data": "0x" + data.hex()}, "latest"])])[0]
        return hex_bytes(reply["result"]) if isinstance(reply.get("result"), str) else None

    def _receipt(self, tx_hash: str) -> dict[str, Any]:
        """anvil answers before its automined block is sealed: poll until the receipt is there."""
        deadline = time.monotonic() + _RECEIPT_TIMEOUT
        pause = 0.002
        while True:
            receipt: dict[str, Any] | None = self.client.receipt(tx_hash)
            if receipt is not None:
                return receipt
            if time.monotonic() > deadline:
                raise RpcError(f"the fork mined no receipt for {tx_hash} within {_RECEIPT_TIMEOUT:g} s")
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
