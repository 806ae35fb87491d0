"""Profile `tempovault/treasury-vault`: approved tokens and strategies, and the fee configuration.

The whitelists are plain mappings (not enumerable), so a declared list is an exact set only as far as we can
find the approvals it does not name. Candidates are the declared addresses, every address tempoctl approved
before (the environment's managed-key record, scope `<contract>.approved_token` / `.approved_strategy`) and,
with `from_block` (the vault's deployment block), every address the indexed `TokenApproved` /
`StrategyApproved` events name from there. Each is confirmed with its getter (`approvedTokens(address)`,
`approvedStrategies(address)`) in the same batch as the rest, at the pinned block. A live approval the list
does not name is revoked (`setApproved*(x, false)`), reported as drift, or ignored, per `unlisted_approvals`.
Without `from_block` an approval made outside tempoctl cannot be found: the plan says so once per vault.

Apply records an address once its approval is mined and after every apply for all declared ones, and forgets
it once its revocation is mined (or it is found neither declared nor approved). `setApproved*` emits on every
call, so we read first and send only what changes. All setters need ADMIN (0x00) on the governance contract.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from tempoctl.core.addrs import attribute, keyed
from tempoctl.observed.observation import ObservedValues
from tempoctl.observed.record import ManagedRecord
from tempoctl.plan.model import Action, Change, DriftItem
from tempoctl.profiles.base import Call, EvmFolderProfile, ObserveContext, ObserveGen, PlanContext, PlanItem
from tempoctl.profiles.signer_roles import observe_signer_roles

if TYPE_CHECKING:
    from tempoctl.desired import DesiredEnvironment
from tempoctl.profiles.treasury_vault.model import TreasuryVaultContract

# (YAML list, address attribute, getter, setter, topic0 of the setter's event: reference §5.5)
LISTS = (
    ("approved_tokens", "approved_token", "approvedTokens", "setApprovedToken",
     bytes.fromhex("54aee4f020b814c26f556399a354577e068193a82445e919505b00b9848512a5")),  # TokenApproved(address,bool)
    ("approved_strategies", "approved_strategy", "approvedStrategies", "setApprovedStrategy",
     bytes.fromhex("d09d1712710f1ad78ddeb81f627e7f577a06d1333ac3e694d0485f82c5f2fe38")),  # StrategyApproved(address,bool)
)
TOPICS = {topic: attr for _, attr, _, _, topic in LISTS}


def _logged(ctx: ObserveContext, contract: TreasuryVaultContract) -> dict[str, set[str]]:
    """attribute -> every address a TokenApproved/StrategyApproved event names (candidates to confirm)."""
    from tempoctl.observed.evm.abi import checksum
    from tempoctl.observed.evm.logs import fetch_logs

    found: dict[str, set[str]] = {attr: set() for _, attr, _, _, _ in LISTS}
    if contract.from_block is None or contract.unlisted_approvals == "ignore":
        return found
    for log in fetch_logs(ctx.client, contract.address, [list(TOPICS)], contract.from_block, ctx.block):
        topics = [bytes.fromhex(str(t)[2:]) for t in log.get("topics", [])]
        if len(topics) >= 2 and topics[0] in TOPICS:
            found[TOPICS[topics[0]]].add(checksum(topics[1][-20:]))
    return found


NO_LOGS_NOTE = ("{name}: approvals made outside tempoctl cannot be found without `from_block` (the whitelists are "
                "not enumerable): only those tempoctl approved are revoked when the lists drop them. Declare "
                "`from_block:` (the vault's deployment block) to find the others from TokenApproved/StrategyApproved "
                "logs.")


def scope(name: str, attr: str) -> str:
    """The managed-key record's scope of one whitelist of one vault: `vault.approved_token`."""
    return attribute(name, attr)


def _recorded(ctx: ObserveContext, name: str, attr: str) -> set[str]:
    """Addresses tempoctl approved on this whitelist before (the environment's managed-key record)."""
    if ctx.record is None:
        return set()
    return {k for k in ctx.record.known(scope(name, attr)) if k.startswith("0x") and len(k) == 42}


def record_approvals(env: DesiredEnvironment, observed: ObservedValues, record: ManagedRecord) -> None:
    """After an apply: every address a vault's declared lists name is tempoctl-managed (dropping it from the
    YAML later plans its revocation, with or without `from_block`), and a recorded one that is neither
    declared nor approved any more (revoked in a Safe batch or from a console) is forgotten."""
    unapproved: dict[str, list[str]] = observed.unapproved_records
    for name, c in env.state.contracts.items():
        if not isinstance(c, TreasuryVaultContract):
            continue
        for field, attr, *_ in LISTS:
            declared = getattr(c, field)
            if declared is None:
                continue
            record.save(scopes={scope(name, attr): set(declared)})
            record.forget(scope(name, attr), (a for a in unapproved.get(scope(name, attr), []) if a not in declared))


class TreasuryVaultProfile(EvmFolderProfile):
    name = "tempovault/treasury-vault"

    def after_apply(self, env: DesiredEnvironment, observed: ObservedValues, record: ManagedRecord) -> None:
        """The approvals this apply made (or confirmed) are tempoctl-managed from now on."""
        record_approvals(env, observed, record)

    def observe(self, ctx: ObserveContext, name: str, contract: TreasuryVaultContract) -> ObserveGen:
        addr = contract.address
        logged = _logged(ctx, contract)
        lists = [(field, attr, getter) for field, attr, getter, _, _ in LISTS if getattr(contract, field) is not None]
        if lists and contract.unlisted_approvals != "ignore" and contract.from_block is None:
            ctx.observed.notes.append(NO_LOGS_NOTE.format(name=name))
        reads: list[tuple[str, str, str, bool, Call]] = []
        for field, attr, getter in lists:  # a list not declared is not managed: neither read nor revoked
            declared = getattr(contract, field)
            recorded = _recorded(ctx, name, attr) if contract.unlisted_approvals != "ignore" else set()
            for item in dict.fromkeys([*declared, *sorted(logged[attr] | recorded)]):
                reads.append((attribute(name, attr, item), attr, item, item in declared,
                              Call(addr, f"{getter}(address)(bool)", (item,))))
        fixed = [Call(addr, "governance()(address)"), Call(addr, "feeTreasury()(address)"),
                 Call(addr, "performanceFeeBps()(uint16)"), Call(addr, "managementFeeBps()(uint16)")]
        res = yield fixed + [c for *_, c in reads]
        for (key, attr, item, declared, _), r in zip(reads, res[len(fixed):]):
            # An undeclared candidate is kept only while it is approved: one the logs or the record name that
            # is no longer approved is not live state (and, if recorded, apply forgets it).
            if r.ok and (declared or r.value):
                ctx.observed.values[key] = bool(r.value)
            elif r.ok:
                ctx.observed.unapproved_records.setdefault(scope(name, attr), []).append(item)
        if contract.fee_config is not None and all(r.ok for r in res[1:4]):
            ctx.observed.values[attribute(name, "fee_config")] = {
                "treasury": res[1].value, "performance_bps": int(res[2].value), "management_bps": int(res[3].value)}
        if res[0].ok:
            ctx.observed.governance[name] = res[0].value
            yield from observe_signer_roles(ctx, res[0].value, ["ADMIN"])

    def plan(self, ctx: PlanContext, name: str, contract: TreasuryVaultContract) -> Iterable[PlanItem]:
        values, env, addr = ctx.observed.values, ctx.env, contract.address
        governance = ctx.observed.governance.get(name, "")
        for field, attr, _, setter, _ in LISTS:
            declared = getattr(contract, field)
            if declared is None:
                continue
            for i, item in enumerate(declared):
                key = attribute(name, attr, item)
                if values.get(key, True):
                    continue
                signer, dep = ctx.signer_for(governance, "ADMIN", contract.signer)
                yield Change(
                    address=key, action=Action.CREATE, before=False, after=True,
                    reason=env.where("contracts", name, field, i),
                    steps=[ctx.step(name, addr, f"{setter}(address,bool)", (item, True), signer, f"{setter}({item}, true)",
                                    record={"scope": scope(name, attr), "key": item, "op": "remember"})],
                    depends_on=[dep] if dep else [],
                )
            unlisted = sorted(i for k, i in keyed(values, name, attr) if values[k] is True)
            for item in (i for i in unlisted if i not in declared):
                key = attribute(name, attr, item)
                if contract.unlisted_approvals == "warn":
                    yield DriftItem(address=key, kind="unlisted_approval", expected=False, actual=True,
                                    message=f"{item} is approved on {name} but not declared "
                                            "(unlisted_approvals: warn)")
                    continue
                signer, dep = ctx.signer_for(governance, "ADMIN", contract.signer)
                yield Change(
                    address=key, action=Action.DELETE, before=True, after=False, reason="not declared",
                    steps=[ctx.step(name, addr, f"{setter}(address,bool)", (item, False), signer,
                                    f"{setter}({item}, false)",
                                    record={"scope": scope(name, attr), "key": item, "op": "forget"})],
                    depends_on=[dep] if dep else [],
                )
        want, have = contract.fee_config, values.get(attribute(name, "fee_config"))
        if want is not None and have is not None:
            target = want.model_dump()
            differ = [k for k in target if target[k] != have[k]]
            if differ:
                signer, dep = ctx.signer_for(governance, "ADMIN", contract.signer)
                yield Change(
                    address=attribute(name, "fee_config"), action=Action.UPDATE,
                    before={k: have[k] for k in differ}, after={k: target[k] for k in differ},
                    reason=env.where("contracts", name, "fee_config"),
                    steps=[ctx.step(name, addr, "setFeeConfig(address,uint16,uint16)",
                                    (target["treasury"], target["performance_bps"], target["management_bps"]), signer,
                                    f"setFeeConfig({target['treasury']}, {target['performance_bps']}, {target['management_bps']})")],
                    depends_on=[dep] if dep else [],
                )
