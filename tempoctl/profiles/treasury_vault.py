"""Profile `tempovault/treasury-vault`: approved tokens and strategies, and the fee configuration.

The whitelists are plain mappings (not enumerable), so each declared key is read with its getter
(`approvedTokens(address)`, `approvedStrategies(address)`); `setApproved*` emits on every call, so we read
first and send only what changes. All setters need ADMIN (0x00) on the governance contract.
"""

from __future__ import annotations

from collections.abc import Iterable

from tempoctl.desired.models import TreasuryVaultContract
from tempoctl.plan.model import Action, Change
from tempoctl.profiles.base import Call, ObserveContext, ObserveGen, PlanContext, PlanItem
from tempoctl.profiles.signer_roles import observe_signer_roles

LISTS = (
    ("approved_tokens", "approved_token", "approvedTokens", "setApprovedToken"),
    ("approved_strategies", "approved_strategy", "approvedStrategies", "setApprovedStrategy"),
)


class TreasuryVaultProfile:
    name = "tempovault/treasury-vault"
    provider = "evm"

    def observe(self, ctx: ObserveContext, name: str, contract: TreasuryVaultContract) -> ObserveGen:
        addr = contract.address
        keyed: list[tuple[str, Call]] = []
        for field, attr, getter, _ in LISTS:
            for item in getattr(contract, field) or []:
                keyed.append((f"{name}.{attr}[{item}]", Call(addr, f"{getter}(address)(bool)", (item,))))
        fixed = [Call(addr, "governance()(address)"), Call(addr, "feeTreasury()(address)"),
                 Call(addr, "performanceFeeBps()(uint16)"), Call(addr, "managementFeeBps()(uint16)")]
        res = yield fixed + [c for _, c in keyed]
        for (key, _), r in zip(keyed, res[len(fixed):]):
            if r.ok:
                ctx.observed.values[key] = bool(r.value)
        if contract.fee_config is not None and all(r.ok for r in res[1:4]):
            ctx.observed.values[f"{name}.fee_config"] = {
                "treasury": res[1].value, "performance_bps": int(res[2].value), "management_bps": int(res[3].value)}
        if res[0].ok:
            ctx.observed.facts.setdefault("governance", {})[name] = res[0].value
            yield from observe_signer_roles(ctx, res[0].value, ["ADMIN"])

    def plan(self, ctx: PlanContext, name: str, contract: TreasuryVaultContract) -> Iterable[PlanItem]:
        values, env, addr = ctx.observed.values, ctx.env, contract.address
        governance = ctx.observed.facts.get("governance", {}).get(name, "")
        for field, attr, _, setter in LISTS:
            for i, item in enumerate(getattr(contract, field) or []):
                key = f"{name}.{attr}[{item}]"
                if values.get(key, True):
                    continue
                signer, dep = ctx.signer_for(governance, "ADMIN", contract.signer)
                yield Change(
                    address=key, action=Action.CREATE, before=False, after=True,
                    reason=env.where("contracts", name, field, i),
                    steps=[ctx.step(name, addr, f"{setter}(address,bool)", (item, True), signer, f"{setter}({item}, true)")],
                    depends_on=[dep] if dep else [],
                )
        want, have = contract.fee_config, values.get(f"{name}.fee_config")
        if want is not None and have is not None:
            target = want.model_dump()
            differ = [k for k in target if target[k] != have[k]]
            if differ:
                signer, dep = ctx.signer_for(governance, "ADMIN", contract.signer)
                yield Change(
                    address=f"{name}.fee_config", action=Action.UPDATE,
                    before={k: have[k] for k in differ}, after={k: target[k] for k in differ},
                    reason=env.where("contracts", name, "fee_config"),
                    steps=[ctx.step(name, addr, "setFeeConfig(address,uint16,uint16)",
                                    (target["treasury"], target["performance_bps"], target["management_bps"]), signer,
                                    f"setFeeConfig({target['treasury']}, {target['performance_bps']}, {target['management_bps']})")],
                    depends_on=[dep] if dep else [],
                )
