"""Ordering rules of DESIGN §5, made explicit as `depends_on` edges and then a stable topological sort.

Rules: fund before grant (a new oracle is paid before it gets ORACLE); grants before revokes of the same
role (never a moment with fewer holders than needed); the revocation of a signer's own role after every
other step that signer sends and may need that role for — any role, not only admin roles: apply sends a
wave's transactions together, and only an edge (not the phase order below) guarantees the step is mined
before the role is gone. A grant, revoke or setRoleAdmin needs a known role (the live admin of the role, or
ADMIN), so it waits only for the revocation of that role; that also keeps a signer's own revocations from
waiting on each other. Among independent changes the order is phase (fund, grant, update, revoke) then the
order the profiles produced them, so plans are stable across runs.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from tempoctl.errors import SafetyError
from tempoctl.plan.addresses import ROLE_ADMIN
from tempoctl.plan.addresses import ROLE_MEMBER as _ROLE
from tempoctl.plan.model import Action, Change


def _phase(change: Change) -> int:
    if ".fee_balance[" in change.address:
        return 0
    if change.action == Action.CREATE:
        return 1
    if change.action in (Action.UPDATE, Action.REPLACE):
        return 2
    return 3


def add_ordering_edges(changes: list[Change], signer_addresses: Mapping[str, str],
                       role_admins: Mapping[tuple[str, str], str] | None = None) -> None:
    """Add the implicit dependencies to each change's `depends_on` (in place).

    `role_admins` maps (contract, role) to the name of the role's live admin role (ADMIN when absent): a
    signer's own revocation goes after every other step that signer sends, unless that step is known not to
    need the revoked role.
    """
    by_addr = {c.address: c for c in changes}
    funding: dict[str, str] = {}  # member → its fee_balance change: a lookup, not a scan per grant (1,000² at 1,000)
    for a in by_addr:
        i = a.rfind(".fee_balance[")
        if i >= 0 and a.endswith("]"):
            funding.setdefault(a[i + len(".fee_balance["):-1], a)
    grants: dict[tuple[str, str], list[str]] = {}
    for c in changes:
        m = _ROLE.match(c.address)
        if m and c.action == Action.CREATE:
            grants.setdefault((m["contract"], m["role"]), []).append(c.address)
            fund = funding.get(m["member"])
            if fund:
                _dep(c, fund)
    address_to_signer = {a: n for n, a in signer_addresses.items()}
    for c in changes:
        m = _ROLE.match(c.address)
        if not m or c.action != Action.DELETE:
            continue
        for g in grants.get((m["contract"], m["role"]), []):
            _dep(c, g)
        own = address_to_signer.get(m["member"])
        if own:
            for other in changes:
                if (other is not c and any(s.signer == own for s in other.steps)
                        and _may_need(other, m["contract"], m["role"], role_admins or {}, by_addr)):
                    _dep(c, other.address)
    # A wait step gates the changes it names (the fresh oracle signal gates the old signer's revoke).
    for c in changes:
        for s in c.steps:
            for gated in s.fields.get("gates", ()):
                if gated in by_addr:
                    _dep(by_addr[gated], c.address)
    for c in changes:
        c.depends_on = [d for d in dict.fromkeys(c.depends_on) if d in by_addr and d != c.address]


def _may_need(change: Change, contract: str, role: str, role_admins: Mapping[tuple[str, str], str],
              by_addr: Mapping[str, Change]) -> bool:
    """Whether `change`'s steps may need `role` on `contract`. Only role changes say what they need (a
    grant or revoke: its role's admin, or the new admin when it waits for a setRoleAdmin; a setRoleAdmin:
    ADMIN); any other step may need any role its signer holds."""
    m = _ROLE.match(change.address)
    if m:
        needs = {role_admins.get((m["contract"], m["role"]), "ADMIN")}
        new_admin = by_addr.get(f"{m['contract']}.role_admin.{m['role']}")
        if new_admin is not None and new_admin.address in change.depends_on and isinstance(new_admin.after, str):
            needs = {new_admin.after}
        return m["contract"] == contract and role in needs
    a = ROLE_ADMIN.match(change.address)
    if a:
        return a["contract"] == contract and role == "ADMIN"
    return True


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
