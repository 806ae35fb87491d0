"""The `access-control` contract block (OpenZeppelin AccessControl)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tempoctl.desired.base import EvmContract, Model
from tempoctl.desired.types import Bytes32, EvmAddress


class RoleSpec(Model):
    """A role declared with an explicit id (for contracts without a `<NAME>_ROLE()` getter)."""

    id: Bytes32
    members: list[EvmAddress] = Field(default_factory=list)
    admin: str | None = None


class AccessControlContract(EvmContract):
    """OpenZeppelin AccessControl(Enumerable): exact member sets per role."""

    profile: Literal["access-control"]
    roles: dict[str, list[EvmAddress] | RoleSpec] = Field(default_factory=dict)
    role_admins: dict[str, str] = Field(
        default_factory=dict, description="role name -> name of the role that administers it (setRoleAdmin)."
    )
    unlisted_members: Literal["revoke", "warn", "ignore"] = "revoke"
    from_block: int | None = Field(
        default=None,
        ge=0,
        description="First block to replay RoleGranted/RoleRevoked logs from, for contracts that are not "
        "enumerable.",
    )
