"""Profile `access-control`: exact member sets of OpenZeppelin AccessControl(Enumerable) roles.

Reads: role ids from `<NAME>_ROLE()` getters (or a declared `{id: …}`), members with `getRoleMembers`
(OZ ≥ 5.1), falling back to `getRoleMemberCount` + `getRoleMember(i)`, and, for contracts that do not
advertise IAccessControlEnumerable over ERC-165, rebuilt from RoleGranted/RoleRevoked logs and confirmed
with `hasRole`. Changes: grant (create), revoke (delete, `unlisted_members: revoke`), setRoleAdmin
(update) for every declared role whose live admin is not the declared one (`role_admins`, a RoleSpec's
`admin`, else ADMIN). Grants and revokes are signed by a holder of the role's live admin and go before a
change of that admin (after it, as a holder of the new admin, when no declared signer holds the live one).
The `oracle` block, when it names this contract, declares its role's membership as exactly {oracle.address}.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tempoctl.core.addrs import RoleAdmin, RoleMember, RoleSet
from tempoctl.plan.model import Action, Change, DriftItem
from tempoctl.profiles.access_control.model import AccessControlContract, RoleSpec
from tempoctl.profiles.access_control.roles import declared_roles
from tempoctl.profiles.base import (
    Call,
    EvmFolderProfile,
    ImportContext,
    ObserveContext,
    ObservedValues,
    ObserveGen,
    OrderContext,
    PlanContext,
    PlanItem,
)
from tempoctl.profiles.signer_roles import as_hex32, observe_role_ids, observe_signer_roles

IACCESS_CONTROL_ENUMERABLE = bytes.fromhex("5a05180f")


def _role_names(contract: AccessControlContract, name: str, env: Any) -> list[str]:
    names = list(declared_roles(env, name, contract))
    for role, admin in contract.role_admins.items():
        names += [role, admin]
    names += [spec.admin for spec in contract.roles.values() if isinstance(spec, RoleSpec) and spec.admin]
    return list(dict.fromkeys(["ADMIN", *names]))


class AccessControlProfile(EvmFolderProfile):
    name = "access-control"

    def declared_holders(self, env: Any, name: str, contract: AccessControlContract, role: str) -> list[tuple[str, str]]:
        members = declared_roles(env, name, contract).get(role, ([], (), ""))[0]
        return [(m, str(RoleMember(name, role, m))) for m in members]

    def order_edges(self, changes: list[Change], octx: OrderContext) -> None:
        from tempoctl.profiles.access_control.ordering import add_role_edges, live_role_admins

        admins = octx.role_admins
        if admins is None:
            admins = live_role_admins(octx.observed) if octx.observed is not None else {}
        add_role_edges(changes, octx.signer_addresses, admins)

    def phase(self, change: Change) -> int | None:
        from tempoctl.profiles.access_control.ordering import is_funding

        return 0 if is_funding(change.address) else None

    def check_plan(self, changes: list[Change], observed: ObservedValues) -> None:
        from tempoctl.profiles.access_control.ordering import check_lockout

        check_lockout(changes, observed)

    def import_probe(self, ictx: ImportContext, name: str, contract: AccessControlContract) -> Any:
        from tempoctl.profiles.access_control.importing import probe

        return probe(ictx, name, contract)

    def import_undeclared(self, ictx: ImportContext, name: str, declared: AccessControlContract, read_as: Any) -> None:
        from tempoctl.profiles.access_control.importing import undeclared

        undeclared(ictx, name, declared, read_as)

    def observe(self, ctx: ObserveContext, name: str, contract: AccessControlContract) -> ObserveGen:
        addr = contract.address
        ids: dict[tuple[str, str], str] = ctx.observed.role_ids
        for role, spec in contract.roles.items():
            if isinstance(spec, RoleSpec):
                ids[(addr, role)] = spec.id
        roles = _role_names(contract, name, ctx.env)
        probe = yield [
            Call(addr, "supportsInterface(bytes4)(bool)", (IACCESS_CONTROL_ENUMERABLE,)),
        ]
        enumerable = bool(probe[0].ok and probe[0].value)
        yield from observe_role_ids(ctx, addr, roles)
        missing = [r for r in roles if (addr, r) not in ids]
        if missing:
            ctx.observed.error(
                ("contracts", name, "roles", missing[0]),
                f"{name} ({addr}) has no {missing[0]}_ROLE() getter; declare the role as {{id: 0x…, members: […]}}")
        known = [r for r in roles if (addr, r) in ids]
        role_id = {r: ids[(addr, r)] for r in known}
        ctx.observed.role_names.update({v: k for k, v in role_id.items()})

        calls = [Call(addr, "getRoleAdmin(bytes32)(bytes32)", (bytes.fromhex(role_id[r][2:]),)) for r in known]
        if enumerable:
            calls += [Call(addr, "getRoleMembers(bytes32)(address[])", (bytes.fromhex(role_id[r][2:]),)) for r in known]
        results = yield calls
        admins = {r: as_hex32(res.value) if res.ok else None for r, res in zip(known, results)}
        members: dict[str, set[str]] = {}
        if enumerable:
            need_count = []
            for r, res in zip(known, results[len(known):]):
                if res.ok:
                    members[r] = set(res.value)
                else:
                    need_count.append(r)
            if need_count:
                members.update((yield from self._count_and_index(addr, need_count, role_id)))
        else:
            members = yield from self._from_logs(ctx, name, contract, known, role_id)

        declared = declared_roles(ctx.env, name, contract)
        for r in known:
            if r in declared or r == "ADMIN":
                ctx.observed.values[str(RoleSet(name, r))] = sorted(members.get(r, set()))
            if admins.get(r) is not None:
                ctx.observed.values[str(RoleAdmin(name, r))] = admins[r]
        yield from observe_signer_roles(ctx, addr, known)

    def _count_and_index(self, addr: str, roles: list[str], role_id: dict[str, str]) -> Any:
        counts = yield [Call(addr, "getRoleMemberCount(bytes32)(uint256)", (bytes.fromhex(role_id[r][2:]),)) for r in roles]
        index_calls = [
            (r, Call(addr, "getRoleMember(bytes32,uint256)(address)", (bytes.fromhex(role_id[r][2:]), i)))
            for r, c in zip(roles, counts) if c.ok for i in range(int(c.value))
        ]
        found: dict[str, set[str]] = {r: set() for r in roles}
        if index_calls:
            res = yield [c for _, c in index_calls]
            for (r, _), x in zip(index_calls, res):
                if x.ok:
                    found[r].add(x.value)
        return found

    def _from_logs(self, ctx: ObserveContext, name: str, contract: AccessControlContract, known: list[str], role_id: dict[str, str]) -> Any:
        from tempoctl.observed.evm.logs import replay_role_events

        if contract.from_block is None:
            ctx.observed.error(
                ("contracts", name), (f"{name} ({contract.address}) is not enumerable (no IAccessControlEnumerable); "
                 "declare `from_block:` (its deployment block) so members can be rebuilt from RoleGranted/RoleRevoked logs"))
            return {}
        replay = replay_role_events(ctx.client, contract.address, contract.from_block, ctx.block)
        by_id = {as_hex32(k): set(v) for k, v in replay.members.items()}
        candidates = {r: by_id.get(role_id[r], set()) | set(declared_roles(ctx.env, name, contract).get(r, ([], (), ""))[0]) for r in known}
        pairs = [(r, a) for r in known for a in sorted(candidates[r])]
        confirmed: dict[str, set[str]] = {r: set() for r in known}
        if pairs:
            res = yield [Call(contract.address, "hasRole(bytes32,address)(bool)", (bytes.fromhex(role_id[r][2:]), a)) for r, a in pairs]
            for (r, a), x in zip(pairs, res):
                if x.ok and x.value:
                    confirmed[r].add(a)
        return confirmed

    def plan(self, ctx: PlanContext, name: str, contract: AccessControlContract) -> Iterable[PlanItem]:
        env, values = ctx.env, ctx.observed.values
        ids: dict[tuple[str, str], str] = ctx.observed.role_ids
        addr = contract.address
        declared = declared_roles(env, name, contract)
        admin_changes = {c.address: c for c in self._role_admin_changes(ctx, name, contract, declared)}
        membership: dict[str, list[str]] = {}
        for role, (want, path, policy) in declared.items():
            if (addr, role) not in ids:
                continue
            rid = bytes.fromhex(ids[(addr, role)][2:])
            have = set(values.get(str(RoleSet(name, role)), []))
            admin_role = ctx.role_names.get(values.get(str(RoleAdmin(name, role)), ""), "ADMIN")
            signer, dep = _admin_signer(ctx, addr, admin_role, contract.signer)
            admin_change = admin_changes.get(str(RoleAdmin(name, role)))
            if signer is None and admin_change is not None and isinstance(admin_change.after, str):
                # Nobody can send as the live admin, but this plan gives the role a new one: change the
                # admin first, then grant and revoke as a holder of the new admin role.
                signer, dep = _admin_signer(ctx, addr, admin_change.after, contract.signer)
                dep_after = [admin_change.address]
            else:
                dep_after = []
            for i, member in enumerate(want):
                if member in have:
                    continue
                address = str(RoleMember(name, role, member))
                membership.setdefault(role, []).append(address)
                yield Change(
                    address=address, action=Action.CREATE,
                    before=None, after={"role": role, "member": member},
                    reason=env.where(*path, i) if path[0] == "contracts" else env.where(*path),
                    steps=[ctx.step(name, addr, "grantRole(bytes32,address)", (rid, member), signer,
                                    f"grantRole({role}, {member})")],
                    depends_on=([dep] if dep else []) + dep_after,
                )
            for member in sorted(have - set(want)):
                if policy == "ignore":
                    continue
                address = str(RoleMember(name, role, member))
                if policy == "warn":
                    yield DriftItem(address=address, kind="unlisted_member",
                                    expected=None, actual={"role": role, "member": member},
                                    message=f"{member} holds {role} but is not declared (unlisted_members: warn)")
                    continue
                membership.setdefault(role, []).append(address)
                yield Change(
                    address=address, action=Action.DELETE,
                    before={"role": role, "member": member}, after=None, reason="not declared",
                    steps=[ctx.step(name, addr, "revokeRole(bytes32,address)", (rid, member), signer,
                                    f"revokeRole({role}, {member})")],
                    depends_on=([dep] if dep else []) + dep_after,
                )
            if admin_change is not None and not dep_after:
                # Grants and revokes above are signed as the live admin: they go before its admin changes.
                admin_change.depends_on += membership.get(role, [])
        yield from admin_changes.values()

    def _role_admin_changes(self, ctx: PlanContext, name: str, contract: AccessControlContract,
                            declared: dict[str, tuple[list[str], tuple[Any, ...], str]]) -> Iterable[Change]:
        """setRoleAdmin for every declared role whose live admin is not the declared one: `role_admins`, a
        RoleSpec's `admin`, else ADMIN (OpenZeppelin's default), so removing an entry restores ADMIN."""
        env, values, addr = ctx.env, ctx.observed.values, contract.address
        ids: dict[tuple[str, str], str] = ctx.observed.role_ids
        for role in dict.fromkeys([*declared, *contract.role_admins]):
            admin, where = _declared_admin(name, contract, role)
            if (addr, role) not in ids or (addr, admin) not in ids:
                continue
            live = values.get(str(RoleAdmin(name, role)))
            if live == ids[(addr, admin)] or (live is None and where is None):
                continue
            signer, dep = ctx.signer_for(addr, "ADMIN", contract.signer)
            yield Change(
                address=str(RoleAdmin(name, role)), action=Action.UPDATE,
                before=ctx.role_names.get(live or "", live), after=admin,
                reason=env.where(*where) if where else "not in role_admins: ADMIN administers it by default",
                steps=[ctx.step(name, addr, "setRoleAdmin(bytes32,bytes32)",
                                (bytes.fromhex(ids[(addr, role)][2:]), bytes.fromhex(ids[(addr, admin)][2:])),
                                signer, f"setRoleAdmin({role}, {admin})")],
                depends_on=[dep] if dep else [],
            )


def _declared_admin(name: str, contract: AccessControlContract, role: str) -> tuple[str, tuple[Any, ...] | None]:
    """The admin role the YAML gives `role`, and where it says so (None: nowhere, so ADMIN by default)."""
    if role in contract.role_admins:
        return contract.role_admins[role], ("contracts", name, "role_admins", role)
    spec = contract.roles.get(role)
    if isinstance(spec, RoleSpec) and spec.admin is not None:
        return spec.admin, ("contracts", name, "roles", role, "admin")
    return "ADMIN", None


def _admin_signer(ctx: PlanContext, addr: str, admin_role: str, declared: str | None) -> tuple[str | None, str | None]:
    """Who grants and revokes a role administered by `admin_role`.

    The contract's `signer:` sends ADMIN-gated steps as before. A role administered by another role (after
    `setRoleAdmin(STRATEGIST, RISK_OFFICER)`) is granted by a holder of that role: the contract's signer only
    if it holds it live, else the declared signer that holds it (live, or granted earlier in the plan).
    """
    if admin_role == "ADMIN":
        return ctx.signer_for(addr, "ADMIN", declared)
    holders: list[str] = ctx.observed.signer_roles.get((addr, admin_role), [])
    if declared is not None and declared in holders:
        return declared, None
    return ctx.signer_for(addr, admin_role, None)
