"""`tempoctl import` for `access-control`: role holders the YAML does not list.

Declared roles, ADMIN, and the well-known TempoVault roles whose `<NAME>_ROLE()` getter answers (plus any role
another access-control contract declares) are read, so a role that is held but not declared at all is found too.
The oracle block's role is never imported: the block declares its holder as exactly `oracle.address`.
"""

from __future__ import annotations

from typing import Any

from tempoctl.core.addrs import RoleMember, RoleSet
from tempoctl.profiles.access_control.model import AccessControlContract, RoleSpec
from tempoctl.profiles.access_control.roles import declared_roles
from tempoctl.profiles.base import Call, ImportContext
from tempoctl.profiles.signer_roles import as_hex32, role_getter

# Roles of TempoVault's GovernanceRoles (reference §3).
WELL_KNOWN_ROLES = ("ADMIN", "TREASURY_MANAGER", "RISK_OFFICER", "EMERGENCY", "ORACLE", "STRATEGIST")


def probe(ictx: ImportContext, name: str, contract: AccessControlContract) -> AccessControlContract:
    """`contract` with every probed role it does not declare added as `{id, members: []}`, so the engine reads
    its holders too."""
    names = list(WELL_KNOWN_ROLES)
    for c in ictx.env.state.contracts.values():
        if isinstance(c, AccessControlContract):
            names += [r for r in c.roles if r not in names]
    skip = set(declared_roles(ictx.env, name, contract)) | {"ADMIN"}  # ADMIN is always observed
    asks = [r for r in names if r not in skip]
    results = ictx.read(contract.network, [Call(contract.address, role_getter(r)) for r in asks], "latest")
    extra = {r: RoleSpec(id=as_hex32(res.value), members=[]) for r, res in zip(asks, results) if res.ok}
    if not extra:
        return contract
    return contract.model_copy(update={"roles": {**contract.roles, **extra}})


def undeclared(ictx: ImportContext, name: str, contract: AccessControlContract, read_as: Any) -> None:
    values = ictx.observed.values if ictx.observed is not None else {}
    declared = declared_roles(ictx.env, name, contract)
    probed = [r for r in getattr(read_as, "roles", {}) if r not in contract.roles]
    oracle = ictx.env.state.oracle
    oracle_role = oracle.role if oracle is not None and oracle.contract == name else None
    for role in dict.fromkeys(["ADMIN", *declared, *probed]):
        live = values.get(str(RoleSet(name, role)))
        if live is None:
            continue
        want = declared[role][0] if role in declared else []
        new = [m for m in sorted(live) if m not in want]
        if not new:
            continue
        if role == oracle_role:
            ictx.note(
                f"{name}: {', '.join(new)} hold{'s' if len(new) == 1 else ''} {role}, which the oracle block "
                f"declares as exactly {oracle.address if oracle else '?'}; not imported (the plan revokes it)")
            continue
        spec = contract.roles.get(role)
        path: tuple[str, ...] = ("contracts", name, "roles", role)
        if isinstance(spec, RoleSpec):
            path += ("members",)
        for m in new:
            ictx.found(str(RoleMember(name, role, m)), path, [m])
