"""The `wait` executor: hold the apply until a condition holds on chain, or stop it (exit 3).

`oracle_signal`: after the relay restarts with the new key, wait until `oracleLastTimestamp(pair)` of any
configured pair advances past what it was when the wait began. Only then may the old oracle be revoked;
if no signal lands within `within` seconds the apply stops there, and the old signer keeps ORACLE.
"""

from __future__ import annotations

import time
from typing import Any

from tempoctl.apply.executors import ApplyContext, SentStep
from tempoctl.errors import ApplyError
from tempoctl.plan.model import Change, Step

POLL_SECONDS = 1.0
_LAST_TS = "oracleLastTimestamp(bytes32)(uint256)"


class WaitExecutor:
    def __init__(self, actx: ApplyContext, network: str) -> None:
        self.actx = actx
        self.network = network

    def _client(self) -> Any:
        client = self.actx.fresh.clients.get(self.network)
        if client is None:
            raise ApplyError(f"wait: no connection to network {self.network}")
        return client

    def _timestamps(self, checks: list[dict[str, Any]]) -> list[int]:
        from tempoctl.observed.evm.abi import parse_signature
        from tempoctl.observed.evm.client import EthCall

        sig = parse_signature(_LAST_TS)
        calls = [EthCall(to=c["contract"], data=sig.encode_call(bytes.fromhex(c["pair"][2:]))) for c in checks]
        out = []
        for res in self._client().call_many(calls, "latest"):
            out.append(int(sig.decode_output(bytes(res.data))[0]) if res.ok else 0)
        return out

    def prepare(self, items: list[tuple[Change, Step]]) -> None:
        for change, step in items:
            if step.fields.get("condition") != "oracle_signal":
                raise ApplyError(f"{change.address}: unknown wait condition {step.fields.get('condition')}")

    def send_wave(self, items: list[tuple[Change, Step]]) -> list[SentStep]:
        sent = []
        for change, step in items:
            checks = list(step.fields["checks"])
            baseline = self._timestamps(checks)
            self.actx.journal.record("intent", address=change.address, display=step.display, baseline=baseline)
            sent.append(SentStep(change, step, receipt={"baseline": baseline}))
        return sent

    def await_wave(self, sent: list[SentStep]) -> None:
        for s in sent:
            checks = list(s.step.fields["checks"])
            within = float(s.step.fields["within"])
            baseline = list((s.receipt or {})["baseline"])
            deadline = time.monotonic() + within
            while True:
                now = self._timestamps(checks)
                fresh = [c["breaker"] for c, b, n in zip(checks, baseline, now) if n > b]
                if fresh:
                    self.actx.journal.record("done", address=s.change.address, fresh=fresh, timestamps=now)
                    s.summary = f"fresh signal on {', '.join(fresh)}"
                    break
                if time.monotonic() >= deadline:
                    gated = ", ".join(s.step.fields.get("gates", []))
                    raise ApplyError(
                        f"no fresh oracle signal within {within:g}s: the old signer was NOT revoked",
                        detail=f"oracleLastTimestamp did not advance for {', '.join(c['breaker'] for c in checks)} "
                               f"(still {', '.join(str(n) for n in now)}).\nNot done: {gated}",
                        hint="Check the relay's service and journal on its host (key, fee balance, RPC), then run "
                             "`tempoctl apply` again: it resumes at this wait.",
                    )
                time.sleep(POLL_SECONDS)
