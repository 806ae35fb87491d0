"""Diff: pure `compute(desired, observed) -> changes + drift`, delegating each contract to its profile.

Nothing here reads the chain; everything it needs was recorded by `tempoctl.observed`. It also decides
which declared signer sends each step (the holder of the role the contract function requires).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.models import EvmNetwork
from tempoctl.diff.steps import evm_step
from tempoctl.plan.model import Change, DriftItem
from tempoctl.profiles.base import ObservedValues, PlanContext
from tempoctl.profiles.catalog import folder_of
from tempoctl.profiles.registry import ENV_PLANNERS, REGISTRY


@dataclass
class DiffResult:
    changes: list[Change] = field(default_factory=list)
    drift: list[DriftItem] = field(default_factory=list)

    def add(self, items: Iterable[Change | DriftItem]) -> None:
        for item in items:
            if isinstance(item, Change):
                self.changes.append(item)
            else:
                self.drift.append(item)


def _desired_holders(env: DesiredEnvironment, governance: str, role: str) -> list[tuple[str, str]]:
    """(signer, grant address) for signers the YAML makes holders of `role` on the contract at `governance`,
    as its profile declares them (`declared_holders`)."""
    out: list[tuple[str, str]] = []
    for cname, c in env.state.contracts.items():
        folder = folder_of(c.profile)
        plugin = folder.profile() if folder is not None else None
        if plugin is None or getattr(c, "address", None) != governance:
            continue
        grants = dict(plugin.declared_holders(env, cname, c, role))
        out += [(sname, grants[s.address]) for sname, s in env.state.signers.items() if s.address in grants]
    return out


def signer_chooser(env: DesiredEnvironment, observed: ObservedValues) -> Any:
    """Return `signer_for(governance, role, declared) -> (signer name | None, depends_on address | None)`."""
    holders: dict[tuple[str, str], list[str]] = observed.signer_roles

    def signer_for(governance: str, role: str, declared: str | None) -> tuple[str | None, str | None]:
        if declared:
            return declared, None
        live = holders.get((governance, role), [])
        if live:
            # Prefer a key the tool can send with over a multisig, to keep routine changes routine.
            keyed = [n for n in live if env.state.signers[n].via != "safe"]
            return (keyed or live)[0], None
        planned = _desired_holders(env, governance, role)
        return planned[0] if planned else (None, None)

    return signer_for


def compute(env: DesiredEnvironment, observed: ObservedValues) -> DiffResult:
    """Every change and uncorrected drift item of `env`, unordered: contract profiles, then env planners."""
    role_names: dict[str, str] = dict(observed.role_names)
    out = DiffResult()

    def step(contract: str, to: str, function: str, args: tuple[Any, ...], signer: str | None, display: str,
             record: dict[str, str] | None = None) -> Any:
        net_name = env.state.contracts[env.state.oracle.contract if contract == "oracle" and env.state.oracle else contract].network
        net = env.state.networks[net_name]
        assert isinstance(net, EvmNetwork)
        via = env.state.signers[signer].via if signer in env.state.signers else None
        return evm_step(net_name, net.chain_id, to, function, args, signer, display, via=via,
                        sender=env.state.signers[signer].address if signer in env.state.signers else None,
                        record=record)

    ctx = PlanContext(env=env, observed=observed, step=step, signer_for=signer_chooser(env, observed), role_names=role_names)
    for cname, contract in env.state.contracts.items():
        profile = REGISTRY.get(contract.profile)
        if profile is None:
            continue
        out.add(profile.plan(ctx, cname, contract))
    for planner in ENV_PLANNERS:
        out.add(planner.plan(ctx))
    return out
