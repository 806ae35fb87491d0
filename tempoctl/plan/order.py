"""Ordering (DESIGN §5): the rules are explicit `depends_on` edges, then a stable topological sort.

Each profile adds its own rules through its `order_edges` hook (the role rules — fund before grant, grants
before revokes, a signer's own role revoked last — are `access-control`'s: tempoctl/profiles/access_control/
ordering.py), and may place its changes with `phase`; here are only what any plan has: a wait step gates the
changes it names, and among independent changes the order is phase (create, update, delete by default) then the
order the profiles produced them, so plans are stable across runs. A cycle is a refused plan.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from tempoctl.core.steps import Wait
from tempoctl.errors import SafetyError
from tempoctl.observed.observation import ObservedValues
from tempoctl.plan.model import Action, Change
from tempoctl.profiles.base import OrderContext
from tempoctl.profiles.catalog import folder_profiles


def _phase(change: Change) -> int:
    for profile in folder_profiles():
        phase = profile.phase(change)
        if phase is not None:
            return phase
    if change.action == Action.CREATE:
        return 1
    if change.action in (Action.UPDATE, Action.REPLACE):
        return 2
    return 3


def add_ordering_edges(changes: list[Change], signer_addresses: Mapping[str, str],
                       role_admins: Mapping[tuple[str, str], str] | None = None, *,
                       observed: ObservedValues | None = None) -> None:
    """Add the implicit dependencies to each change's `depends_on` (in place): every profile's ordering rules
    (`order_edges`: the role rules are access-control's), then the gates of wait steps.

    `role_admins` maps (contract, role) to the name of the role's live admin role (ADMIN when absent); without
    it, a profile reads the live admins from `observed`.
    """
    octx = OrderContext(signer_addresses=signer_addresses, role_admins=role_admins, observed=observed)
    for profile in folder_profiles():
        profile.order_edges(changes, octx)
    by_addr = {c.address: c for c in changes}
    # A wait step gates the changes it names (the fresh oracle signal gates the old signer's revoke).
    for c in changes:
        for s in c.steps:
            for gated in (Wait.of(s).gates if s.kind == Wait.KIND else ()):
                if gated in by_addr:
                    _dep(by_addr[gated], c.address)
    for c in changes:
        c.depends_on = [d for d in dict.fromkeys(c.depends_on) if d in by_addr and d != c.address]


def _dep(change: Change, on: str) -> None:
    if on not in change.depends_on:
        change.depends_on.append(on)


def order(changes: list[Change]) -> list[Change]:
    """Stable topological order by (phase, original position); a cycle is a refused plan."""
    index = {c.address: i for i, c in enumerate(changes)}
    waiting = {c.address: set(c.depends_on) for c in changes}
    users: dict[str, list[str]] = {}
    for c in changes:
        for d in c.depends_on:
            users.setdefault(d, []).append(c.address)
    by_addr = {c.address: c for c in changes}
    ready = [(_phase(c), index[c.address], c.address) for c in changes if not waiting[c.address]]
    heapq.heapify(ready)
    out: list[Change] = []
    while ready:
        _, _, addr = heapq.heappop(ready)
        out.append(by_addr[addr])
        for u in users.get(addr, []):
            waiting[u].discard(addr)
            if not waiting[u]:
                heapq.heappush(ready, (_phase(by_addr[u]), index[u], u))
    if len(out) != len(changes):
        stuck = sorted(a for a, w in waiting.items() if w)
        raise SafetyError("the plan's changes depend on each other in a cycle", detail="\n".join(stuck))
    return out
