"""After a fork run: observe the forks again and compute the plan against them (DESIGN §7's "re-plan after
apply must be empty", shown before apply).

Only the EVM state is read again (from the forks); everything else (hosts, Stellar) is taken from the plan's
own observation, so the diff sees the world as it would be right after apply. The report keeps only changes
on forked networks: the rest of the plan is not simulated, so its absence from the fork proves nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from tempoctl.core.addrs import parse_address
from tempoctl.core.steps import EvmTx
from tempoctl.desired import DesiredEnvironment
from tempoctl.observed.observation import _TYPED_FACTS, ObservedValues
from tempoctl.plan.model import Change


def _merged(original: ObservedValues, fresh: ObservedValues, forked_contracts: set[str]) -> ObservedValues:
    """The plan's observation with every value and helper observation the fork read put in place of the live
    one; a live value of a forked contract that the fork did not read again (gone on the fork) is dropped, not
    kept. Typed mappings (role names, signer roles, …) are merged key by key; lists are the fork's."""

    def contract_of(address: str) -> str | None:
        a = parse_address(address)
        return a.name if a is not None else None

    values = {k: v for k, v in original.values.items() if contract_of(k) not in forked_contracts}
    values.update(fresh.values)
    typed: dict[str, Any] = {}
    for f in dataclasses.fields(ObservedValues):
        if f.name in ("values", "facts", "diagnostics"):
            continue
        old, new = getattr(original, f.name), getattr(fresh, f.name)
        typed[f.name] = {**old, **new} if isinstance(old, dict) and isinstance(new, dict) else new
    if typed["fee_token_decimals"] is None:
        typed["fee_token_decimals"] = original.fee_token_decimals
    untyped = {k: v for k, v in {**original.facts, **fresh.facts}.items() if k not in _TYPED_FACTS}
    return ObservedValues(values=values, facts=untyped, **typed)


def remaining_changes(env: DesiredEnvironment, obs: Any, fork_clients: dict[str, Any],
                      select: Callable[[list[Change]], list[Change]] | None = None) -> dict[str, Any]:
    """Re-read the EVM state from the forks and list the changes a plan would still make on those networks
    (`select`: the plan's `--target` filter, so a targeted plan is judged on its targets only).

    Returns:
        {"networks": {name: block observed}, "changes": [{"address", "action", "steps": [display…]}]}; an empty
        `changes` means "After this plan: no changes" for the forked networks.
    """
    from tempoctl.diff import compute
    from tempoctl.observed.engine import EvmSource
    from tempoctl.observed.observation import Observation, ObservationError, ReadOptions
    from tempoctl.plan.order import order

    fresh = Observation(observed=ObservedValues(), clients=dict(obs.clients) | fork_clients, cwd=obs.cwd)
    EvmSource().read(env, fresh, ReadOptions())
    errors = fresh.observed.errors
    if errors:
        lines = [f"{env.where(*d.path)}: {d.message}" for d in errors]
        raise ObservationError("the fork, after running the plan, no longer matches the declared contract interfaces",
                               detail="\n".join(lines))
    forked = set(fork_clients)
    contracts = {n for n, c in env.state.contracts.items() if getattr(c, "network", None) in forked}
    diff = compute(env, _merged(obs.observed, fresh.observed, contracts))
    left = [c for c in order(diff.changes)
            if any(s.kind == EvmTx.KIND and EvmTx.of(s).network in forked for s in c.steps)]
    if select is not None:
        left = select(left)
    return {
        "networks": {n: int(fresh.pins[n]["block"]) for n in forked if "block" in fresh.pins.get(n, {})},
        "changes": [{"address": c.address, "action": c.action.value, "steps": [s.display for s in c.steps]}
                    for c in left],
    }
