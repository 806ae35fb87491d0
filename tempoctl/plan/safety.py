"""Safety rules of DESIGN §8 checked on a computed plan, before anything is shown as applicable.

Never leave ADMIN (0x00) or any role that administers another role with zero holders: that freezes role
management for good (reference §18). The check uses the observed member sets, so it holds even for
holders the YAML does not list.
"""

from __future__ import annotations

from tempoctl.core.addrs import RoleAdmin, RoleMember, RoleSet
from tempoctl.errors import SafetyError
from tempoctl.plan.model import Action, Change
from tempoctl.profiles.base import ObservedValues


def check_lockout(changes: list[Change], observed: ObservedValues) -> None:
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
