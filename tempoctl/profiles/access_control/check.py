"""`tempoctl validate` checks of an `access-control` block beyond its schema."""

from __future__ import annotations

import re
from typing import Any

from tempoctl.desired.translate import did_you_mean
from tempoctl.profiles.access_control.model import AccessControlContract, RoleSpec
from tempoctl.profiles.folder import Validator

ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check(v: Validator, path: tuple[Any, ...], c: Any) -> None:
    """Role names are identifiers, ADMIN is never emptied, no member twice, admins name declared roles."""
    if not isinstance(c, AccessControlContract):
        return
    known = set(c.roles) | {"ADMIN"}
    for role, spec in c.roles.items():
        rpath = (*path, "roles", role)
        if not ROLE_NAME.match(role):
            v.err(rpath, f'role name "{role}" must be an identifier (letters, digits, _)', at_key=True)
        members = spec.members if isinstance(spec, RoleSpec) else spec
        if role == "ADMIN" and not members:
            v.err(rpath, "the ADMIN role must not be empty: nobody could grant or revoke roles again")
        for i, m in enumerate(members):
            if m in members[:i]:
                v.err(
                    (*rpath, i) if not isinstance(spec, RoleSpec) else (*rpath, "members", i),
                    f"{m} is listed twice",
                )
        if isinstance(spec, RoleSpec) and spec.admin is not None and spec.admin not in known:
            v.err((*rpath, "admin"), _unknown_role(spec.admin, known))
    for role, admin in c.role_admins.items():
        if role not in known:
            v.err((*path, "role_admins", role), _unknown_role(role, known), at_key=True)
        if admin not in known:
            v.err((*path, "role_admins", role), _unknown_role(admin, known))


def _unknown_role(role: str, known: set[str]) -> str:
    hint = did_you_mean(role, known)
    return f'unknown role "{role}" ({hint + " " if hint else ""}declared: {", ".join(sorted(known))})'
