"""The roles an `access-control` block declares, with the `oracle` block's role folded in (shared by the
plan, import and the signer choice)."""

from __future__ import annotations

from typing import Any

from tempoctl.profiles.access_control.model import AccessControlContract, RoleSpec


def declared_roles(ctx_env: Any, name: str, contract: AccessControlContract) -> dict[str, tuple[list[str], tuple[Any, ...], str]]:
    """role name -> (members, YAML path of the declaration, unlisted policy), oracle block included."""
    roles: dict[str, tuple[list[str], tuple[Any, ...], str]] = {}
    for role, spec in contract.roles.items():
        members = spec.members if isinstance(spec, RoleSpec) else spec
        roles[role] = (list(members), ("contracts", name, "roles", role), contract.unlisted_members)
    oracle = ctx_env.state.oracle
    if oracle is not None and oracle.contract == name:
        roles[oracle.role] = ([oracle.address], ("oracle", "address"), "revoke")
    return roles
