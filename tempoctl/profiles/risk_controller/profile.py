"""Profile `tempovault/risk-controller`: global pause, circuit breakers by name, and the risk parameters.

Real interface (reference §4): `paused()`/`toggleGlobalPause(bool)` (EMERGENCY), `pairCircuitBroken(bytes32)`
with `triggerCircuitBreaker`/`resetCircuitBreaker` (RISK_OFFICER; neither checks current state, so we read
first and send only what changes), `updateRiskParams` taking all eight fields at once (RISK_OFFICER). There
is no `pause()`, `circuitBroken()` or `setCircuitBreaker()`, whatever the runbook says.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tempoctl.core.addrs import attribute
from tempoctl.plan.model import Action, Change
from tempoctl.profiles.base import (
    Call,
    EvmFolderProfile,
    ImportContext,
    ObserveContext,
    ObserveGen,
    PlanContext,
    PlanItem,
)
from tempoctl.profiles.risk_controller.model import RiskControllerContract, pair_id
from tempoctl.profiles.signer_roles import observe_signer_roles

RISK_FIELDS = (
    ("maxExposurePerPairBps", "uint16"),
    ("maxTickDeviation", "int16"),
    ("maxImbalanceBps", "uint16"),
    ("maxOrderSize", "uint256"),
    ("minReserveBps", "uint16"),
    ("oracleStalenessThreshold", "uint32"),
    ("maxSpreadSanityTicks", "int16"),
    ("minDepthThreshold", "uint256"),
)
RISK_TUPLE = "(" + ",".join(t for _, t in RISK_FIELDS) + ")"


class RiskControllerProfile(EvmFolderProfile):
    name = "tempovault/risk-controller"

    def import_undeclared(self, ictx: ImportContext, name: str, declared: RiskControllerContract, read_as: Any) -> None:
        from tempoctl.profiles.risk_controller.importing import undeclared

        undeclared(ictx, name, declared)

    def observe(self, ctx: ObserveContext, name: str, contract: RiskControllerContract) -> ObserveGen:
        addr = contract.address
        breakers = list(contract.circuit_breakers.items())
        calls = [Call(addr, "governance()(address)"), Call(addr, "paused()(bool)")]
        calls += [Call(addr, "pairCircuitBroken(bytes32)(bool)", (bytes.fromhex(pair_id(b)[2:]),)) for _, b in breakers]
        calls += [Call(addr, f"{f}()({t})") for f, t in RISK_FIELDS]
        # Evidence for the drift metrics (tempoctl_oracle_signal_age_seconds), in the same batch: a fact, so a
        # saved plan never goes stale because a signal arrived.
        calls += [Call(addr, "oracleLastTimestamp(bytes32)(uint256)", (bytes.fromhex(pair_id(b)[2:]),))
                  for _, b in breakers]
        res = yield calls
        self._require(ctx, name, res[0].ok, "governance()")
        governance = res[0].value if res[0].ok else None
        if contract.paused is not None and res[1].ok:
            ctx.observed.values[attribute(name, "paused")] = bool(res[1].value)
        for (bname, _), r in zip(breakers, res[2:2 + len(breakers)]):
            if r.ok:
                ctx.observed.values[attribute(name, "circuit_breaker", bname)] = bool(r.value)
        params = res[2 + len(breakers):2 + len(breakers) + len(RISK_FIELDS)]
        for (bname, _), r in zip(breakers, res[2 + len(breakers) + len(RISK_FIELDS):]):
            if r.ok and int(r.value) > 0:  # 0: the pair never had a signal, so there is no age
                signal = {"timestamp": int(r.value)}
                chain_now = ctx.observed.block_timestamps.get(ctx.network)
                if isinstance(chain_now, int):  # the age in chain time, as the contract measures staleness
                    signal["block_timestamp"] = chain_now
                ctx.observed.oracle_signals[bname] = signal
        if contract.risk_params is not None and all(p.ok for p in params):
            ctx.observed.values[attribute(name, "risk_params")] = {f: int(p.value) for (f, _), p in zip(RISK_FIELDS, params)}
        if governance:
            ctx.observed.governance[name] = governance
            yield from observe_signer_roles(ctx, governance, ["EMERGENCY", "RISK_OFFICER"])

    @staticmethod
    def _require(ctx: ObserveContext, name: str, ok: bool, what: str) -> None:
        if not ok:
            ctx.observed.error(("contracts", name, "address"), f"{name}: {what} failed; is this a TempoVault RiskController?")

    def plan(self, ctx: PlanContext, name: str, contract: RiskControllerContract) -> Iterable[PlanItem]:
        values, env, addr = ctx.observed.values, ctx.env, contract.address
        governance = ctx.observed.governance.get(name, "")
        if contract.paused is not None and attribute(name, "paused") in values and values[attribute(name, "paused")] != contract.paused:
            signer, dep = ctx.signer_for(governance, "EMERGENCY", contract.signer)
            yield Change(
                address=attribute(name, "paused"), action=Action.UPDATE, before=values[attribute(name, "paused")], after=contract.paused,
                reason=env.where("contracts", name, "paused"),
                steps=[ctx.step(name, addr, "toggleGlobalPause(bool)", (contract.paused,), signer,
                                f"toggleGlobalPause({str(contract.paused).lower()})")],
                depends_on=[dep] if dep else [],
            )
        for bname, spec in contract.circuit_breakers.items():
            key = attribute(name, "circuit_breaker", bname)
            if key not in values or values[key] == spec.broken:
                continue
            pid = pair_id(spec)
            fn = "triggerCircuitBreaker" if spec.broken else "resetCircuitBreaker"
            signer, dep = ctx.signer_for(governance, "RISK_OFFICER", contract.signer)
            yield Change(
                address=key, action=Action.UPDATE, before={"broken": values[key]}, after={"broken": spec.broken},
                reason=env.where("contracts", name, "circuit_breakers", bname, "broken"),
                steps=[ctx.step(name, addr, f"{fn}(bytes32)", (bytes.fromhex(pid[2:]),), signer, f"{fn}({pid})")],
                depends_on=[dep] if dep else [],
            )
        want = contract.risk_params
        have = values.get(attribute(name, "risk_params"))
        if want is not None and have is not None:
            target = want.model_dump()
            differ = [f for f, _ in RISK_FIELDS if have[f] != target[f]]
            if differ:
                signer, dep = ctx.signer_for(governance, "RISK_OFFICER", contract.signer)
                args = (tuple(target[f] for f, _ in RISK_FIELDS),)
                yield Change(
                    address=attribute(name, "risk_params"), action=Action.UPDATE,
                    before={f: have[f] for f in differ}, after={f: target[f] for f in differ},
                    reason=env.where("contracts", name, "risk_params", differ[0]),
                    steps=[ctx.step(name, addr, f"updateRiskParams({RISK_TUPLE})", args, signer,
                                    "updateRiskParams(" + ", ".join(f"{f}={target[f]}" for f, _ in RISK_FIELDS) + ")")],
                    depends_on=[dep] if dep else [],
                    note="updateRiskParams sets all eight fields together; only the differing ones are shown",
                )
