"""The `wait` executor: hold the apply until a condition holds on chain, or stop it (exit 3).

`oracle_signal`: after the relay restarts with the new key, wait until a signal *signed by the new oracle*
lands for any configured pair after the block at which the wait began. Only then may the old oracle be
revoked. An advancing `oracleLastTimestamp` alone is no proof: while both keys hold ORACLE, a second relay
still signing with the old key advances it too, and revoking the old key would then leave the pair with no
working signer (stale oracle, strategies blocked). So the signer of every new signal is recovered
(apply/oracle_signers.py); if no signal by the new key lands within `within` seconds the apply stops there,
says which keys did sign, and the old signer keeps ORACLE.
"""

from __future__ import annotations

import time
from typing import Any

from tempoctl.apply.context import ApplyContext, SentStep
from tempoctl.core.steps import Wait
from tempoctl.errors import ApplyError
from tempoctl.plan.model import Change, Step

POLL_SECONDS = 1.0
_LAST_TS = "oracleLastTimestamp(bytes32)(uint256)"


def _new_signer(change: Change, step: Step) -> str:
    """The oracle address the wait must see signing; plans saved before the step carried it name it in
    the change's `after`."""
    signer = Wait.of(step).signer or (change.after or {}).get("signer")
    if not isinstance(signer, str):
        raise ApplyError(f"{change.address}: the wait does not name the new oracle signer; run `tempoctl plan` again")
    return signer


class WaitExecutor:
    def __init__(self, actx: ApplyContext, network: str) -> None:
        self.actx = actx
        self.network = network

    def _client(self) -> Any:
        client = self.actx.fresh.clients.get(self.network)
        if client is None:
            raise ApplyError(f"wait: no connection to network {self.network}")
        return client

    def _timestamps(self, checks: list[dict[str, Any]], block: int | str = "latest") -> list[int]:
        from tempoctl.observed.evm.abi import parse_signature
        from tempoctl.observed.evm.client import EthCall

        sig = parse_signature(_LAST_TS)
        calls = [EthCall(to=c["contract"], data=sig.encode_call(bytes.fromhex(c["pair"][2:]))) for c in checks]
        out = []
        for res in self._client().call_many(calls, block):
            out.append(int(sig.decode_output(bytes(res.data))[0]) if res.ok else 0)
        return out

    def prepare(self, items: list[tuple[Change, Step]]) -> None:
        for change, step in items:
            condition = Wait.of(step).condition
            if condition != "oracle_signal":
                raise ApplyError(f"{change.address}: unknown wait condition {condition}")
            _new_signer(change, step)

    def send_wave(self, items: list[tuple[Change, Step]]) -> list[SentStep]:
        sent = []
        for change, step in items:
            checks = Wait.of(step).checks
            # The timestamps at a pinned block: signals in later blocks are the new ones.
            block = self._client().block("latest").number
            baseline = self._timestamps(checks, block)
            self.actx.journal.record("intent", address=change.address, display=step.display, baseline=baseline,
                                     block=block, signer=_new_signer(change, step))
            sent.append(SentStep(change, step, receipt={"baseline": baseline, "block": block}, finished=False))
        return sent

    def await_wave(self, sent: list[SentStep]) -> None:
        from tempoctl.apply.oracle_signers import signals_landed
        from tempoctl.observed.evm.abi import checksum

        client = self._client()
        chain_id = client.chain_id()
        for s in sent:
            w = Wait.of(s.step)
            checks, within = w.checks, w.within
            signer = checksum(_new_signer(s.change, s.step))
            scanned = int((s.receipt or {})["block"])
            others: dict[str, list[str]] = {}  # signer (or "unknown") → breakers it signed for
            deadline = time.monotonic() + within
            while True:
                head = client.block("latest").number
                landed = signals_landed(client, checks, scanned + 1, head, chain_id) if head > scanned else []
                scanned = max(scanned, head)
                ours = [x for x in landed if x.signer == signer]
                if ours:
                    fresh = list(dict.fromkeys(x.breaker for x in ours))
                    self.actx.journal.record("done", address=s.change.address, fresh=fresh, signer=signer,
                                             tx_hash=ours[0].tx_hash, block=ours[0].block)
                    s.summary = f"fresh signal by {signer} on {', '.join(fresh)}"
                    s.finished = True
                    break
                for x in landed:
                    others.setdefault(x.signer or "unknown", []).append(x.breaker)
                if time.monotonic() >= deadline:
                    raise self._timeout(s, checks, within, signer, others)
                time.sleep(POLL_SECONDS)

    def _timeout(self, s: SentStep, checks: list[dict[str, Any]], within: float, signer: str,
                 others: dict[str, list[str]]) -> ApplyError:
        """Why the wait gave up: no signal at all, or only signals by other keys (said plainly: a relay that
        still signs with the old key is the usual cause, and revoking now would leave no working signer)."""
        gated = ", ".join(Wait.of(s.step).gates)
        hint = ("Check the relay's service and journal on its host (key, fee balance, RPC), then run "
                "`tempoctl apply` again: it resumes at this wait.")
        if not others:
            now = self._timestamps(checks)
            return ApplyError(
                f"no fresh oracle signal within {within:g}s: the old signer was NOT revoked",
                detail=f"oracleLastTimestamp did not advance for {', '.join(c['breaker'] for c in checks)} "
                       f"(still {', '.join(str(n) for n in now)}).\nNot done: {gated}",
                hint=hint,
            )
        before = s.change.before.get("signer") if isinstance(s.change.before, dict) else None
        old = {before} if isinstance(before, str) else set(before or [])
        known = [k for k in others if k != "unknown"]
        by = ", ".join(known) if known else "keys that could not be read"
        who = ("another relay still signs with the old key" if known and set(known) <= old
               else "another relay signs with a key other than the new one")
        lines = [f"  {k}: {len(v)} signal(s) on {', '.join(dict.fromkeys(v))}" for k, v in others.items()]
        if "unknown" in others:
            lines.append("  (unknown: relayed through another contract, so the signature is not in the transaction)")
        return ApplyError(
            f"oracleLastTimestamp advanced, but every new signal was signed by {by}, not the new oracle {signer}: "
            f"{who}; the old signer was NOT revoked",
            detail="Signals that landed during the wait, by signer:\n" + "\n".join(lines) + f"\nNot done: {gated}",
            hint="Stop every relay that still runs with the old key, check the declared relay's service and "
                 "journal on its host (key, fee balance, RPC), then run `tempoctl apply` again: it resumes at "
                 "this wait.",
        )
