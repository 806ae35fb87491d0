"""The ordering and safety rules of role changes (DESIGN §5, §8), owned by the `access-control` profile and
run by the engine through its hooks (`order_edges`, `phase`, `check_plan`) over the whole plan.

Ordering: fund before grant (a new oracle is paid before it gets ORACLE, so its funding change goes first
among independent changes too); grants before revokes of the same role (never a moment with fewer holders than
needed); the revocation of a signer's own role after every other step that signer sends and may need that role
for — any role, not only admin roles: apply sends a wave's transactions together, and only an edge (not the
phase order) guarantees the step is mined before the role is gone. A grant, revoke or setRoleAdmin needs a
known role (the live admin of the role, or ADMIN), so it waits only for the revocation of that role; that also
keeps a signer's own revocations from waiting on each other.

Safety: never leave ADMIN (0x00) or any role that administers another role with zero holders: that freezes
role management for good (reference §18). The check uses the observed member sets, so it holds even for
holders the YAML does not list.
"""

from __future__ import annotations

from collections.abc import Mapping

from tempoctl.core.addrs import Attribute, RoleAdmin, RoleMember, RoleSet, parse_address
from tempoctl.errors import SafetyError
from tempoctl.observed.observation import ObservedValues
from tempoctl.plan.model import Action, Change


def is_funding(address: str) -> bool:
    """The oracle block's fee-token top-up (`<oracle>.fee_balance[<member>]`) of a member about to be granted a
    role."""
    return _funded_member(address) is not None


def _funded_member(address: str) -> str | None:
    a = parse_address(address)
    return a.key if isinstance(a, Attribute) and a.attribute == "fee_balance" else None


def live_role_admins(observed: ObservedValues) -> dict[tuple[str, str], str]:
    """(contract, role) -> the name of the role's live admin role, from the observed `<c>.role_admin.<ROLE>`."""
    names = observed.role_names
    out: dict[tuple[str, str], str] = {}
    for key, value in observed.values.items():
        a = RoleAdmin.parse(key)
        if a:
            out[(a.contract, a.role)] = names.get(value, value)
    return out


def add_role_edges(changes: list[Change], signer_addresses: Mapping[str, str],
                   role_admins: Mapping[tuple[str, str], str]) -> None:
    """Add fund → grant, grant → revoke and own-role-last edges to `changes` (in place)."""
    by_addr = {c.address: c for c in changes}
    funding: dict[str, str] = {}  # member → its fee_balance change: a lookup, not a scan per grant (1,000² at 1,000)
    for address in by_addr:
        member = _funded_member(address)
        if member is not None:
            funding.setdefault(member, address)
    grants: dict[tuple[str, str], list[str]] = {}
    for c in changes:
        m = RoleMember.parse(c.address)
        if m and c.action == Action.CREATE:
            grants.setdefault((m.contract, m.role), []).append(c.address)
            fund = funding.get(m.member)
            if fund:
                _dep(c, fund)
    address_to_signer = {a: n for n, a in signer_addresses.items()}
    for c in changes:
        m = RoleMember.parse(c.address)
        if not m or c.action != Action.DELETE:
            continue
        for g in grants.get((m.contract, m.role), []):
            _dep(c, g)
        own = address_to_signer.get(m.member)
        if own:
            for other in changes:
                if (other is not c and any(s.signer == own for s in other.steps)
                        and _may_need(other, m.contract, m.role, role_admins, by_addr)):
                    _dep(c, other.address)


def _may_need(change: Change, contract: str, role: str, role_admins: Mapping[tuple[str, str], str],
              by_addr: Mapping[str, Change]) -> bool:
    """Whether `change`'s steps may need `role` on `contract`. Only role changes say what they need (a
    grant or revoke: its role's admin, or the new admin when it waits for a setRoleAdmin; a setRoleAdmin:
    ADMIN); any other step may need any role its signer holds."""
    m = RoleMember.parse(change.address)
    if m:
        needs = {role_admins.get((m.contract, m.role), "ADMIN")}
        new_admin = by_addr.get(str(m.role_admin))
        if new_admin is not None and new_admin.address in change.depends_on and isinstance(new_admin.after, str):
            needs = {new_admin.after}
        return m.contract == contract and role in needs
    a = RoleAdmin.parse(change.address)
    if a:
        return a.contract == contract and role == "ADMIN"
    return True


def _dep(change: Change, on: str) -> None:
    if on not in change.depends_on:
        change.depends_on.append(on)


def check_lockout(changes: list[Change], observed: ObservedValues) -> None:
    """Refuse a plan that leaves ADMIN or any role-admin role with no holder."""
    values = observed.values
    final: dict[tuple[str, str], set[str]] = {}
    for key, members in values.items():
        s = RoleSet.parse(key)
        if s:
            final[(s.contract, s.role)] = set(members)
    admin_roles: dict[str, set[str]] = {}
    names: dict[str, str] = observed.role_names
    for key, admin_id in values.items():
        a = RoleAdmin.parse(key)
        if a:
            admin_roles.setdefault(a.contract, {"ADMIN"}).add(names.get(admin_id, admin_id))
    for c in changes:
        m = RoleMember.parse(c.address)
        if m and (m.contract, m.role) in final:
            held = final[(m.contract, m.role)]
            (held.add if c.action == Action.CREATE else held.discard)(m.member)
        rm = RoleAdmin.parse(c.address)
        if rm and isinstance(c.after, str):
            admin_roles.setdefault(rm.contract, {"ADMIN"}).add(c.after)
    problems = []
    for contract, roles in sorted(admin_roles.items()):
        for role in sorted(roles):
            holders = final.get((contract, role))
            if holders is not None and not holders:
                problems.append(f"{contract}: {role} administers roles and would be left with no holder")
    for (contract, role), holders in sorted(final.items()):
        if role == "ADMIN" and not holders and f"{contract}: ADMIN administers roles and would be left with no holder" not in problems:
            problems.append(f"{contract}: ADMIN would be left with no holder")
    if problems:
        raise SafetyError(
            "refusing a plan that would lock out role administration",
            detail="\n".join(problems),
            hint="Declare at least one holder for every admin role (grants are applied before revokes).",
        )
