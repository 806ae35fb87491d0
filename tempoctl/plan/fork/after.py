"""After a fork run: observe the forks again and compute the plan against them (DESIGN §7's "re-plan after
apply must be empty", shown before apply).

Only the EVM state is read again (from the forks); everything else (hosts, Stellar) is taken from the plan's
own observation, so the diff sees the world as it would be right after apply. The report keeps only changes
on forked networks: the rest of the plan is not simulated, so its absence from the fork proves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tempoctl.desired import DesiredEnvironment
from tempoctl.plan.model import Change


def _merged(original: Any, fresh: Any, forked_contracts: set[str]) -> Any:
    """The plan's observation with every value and fact the fork read put in place of the live one; a live
    value of a forked contract that the fork did not read again (gone on the fork) is dropped, not kept."""
    from tempoctl.observed.observation import ObservedValues

    def contract_of(address: str) -> str:
        return address.split(".", 1)[0].split("[", 1)[0]

    values = {k: v for k, v in original.values.items() if contract_of(k) not in forked_contracts}
    values.update(fresh.values)
    facts = dict(original.facts)
    for key, value in fresh.facts.items():
        old = facts.get(key)
        facts[key] = {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
    return ObservedValues(values=values, facts=facts)


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
    from tempoctl.profiles.base import ObservedValues

    fresh = Observation(observed=ObservedValues(), clients=dict(obs.clients) | fork_clients, cwd=obs.cwd)
    EvmSource().read(env, fresh, ReadOptions())
    errors = fresh.observed.facts.get("errors", [])
    if errors:
        lines = [f"{env.where(*path)}: {msg}" for path, msg in errors]
        raise ObservationError("the fork, after running the plan, no longer matches the declared contract interfaces",
                               detail="\n".join(lines))
    forked = set(fork_clients)
    contracts = {n for n, c in env.state.contracts.items() if getattr(c, "network", None) in forked}
    diff = compute(env, _merged(obs.observed, fresh.observed, contracts))
    left = [c for c in order(diff.changes)
            if any(s.kind == "evm_transaction" and s.fields.get("network") in forked for s in c.steps)]
    if select is not None:
        left = select(left)
    return {
        "networks": {n: int(fresh.pins[n]["block"]) for n in forked if "block" in fresh.pins.get(n, {})},
        "changes": [{"address": c.address, "action": c.action.value, "steps": [s.display for s in c.steps]}
                    for c in left],
    }
