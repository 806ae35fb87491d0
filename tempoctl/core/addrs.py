"""Resource addresses (DESIGN §4) as typed values, like Terraform's `addrs`: profiles build them, the engine
takes them apart through `parse`, and `str()` gives the exact text plans, `--target`, journals and metrics use.

The text form is `<name>.<attribute>` or `<name>.<attribute>[<key>]`; role addresses have a role name inside
the attribute (`governance.role.ORACLE[0x…]`, `governance.role_admin.ORACLE`). YAML names may contain dots
but never `[`, attributes and role names never contain either, so an address is read from the right: the
key is what follows the first `[`, the attribute what follows the last dot before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def _split_key(text: str) -> tuple[str, str | None]:
    """`a.b[k]` → (`a.b`, `k`); `a.b` → (`a.b`, None)."""
    if text.endswith("]") and "[" in text:
        head, _, key = text[:-1].partition("[")
        return head, key
    return text, None


def _role_part(head: str, attribute: str) -> tuple[str, str] | None:
    """`governance.role.ORACLE` with attribute `role` → (`governance`, `ORACLE`)."""
    rest, dot, role = head.rpartition(".")
    marker = "." + attribute
    if not dot or not role or not rest.endswith(marker) or len(rest) == len(marker):
        return None
    return rest[: -len(marker)], role


@dataclass(frozen=True)
class RoleMember:
    """Membership of `member` in `role` on an access-control contract (create = grant, delete = revoke)."""

    contract: str
    role: str
    member: str

    def __str__(self) -> str:
        return f"{self.contract}.role.{self.role}[{self.member}]"

    @property
    def name(self) -> str:
        return self.contract

    @property
    def role_set(self) -> RoleSet:
        return RoleSet(self.contract, self.role)

    @property
    def role_admin(self) -> RoleAdmin:
        return RoleAdmin(self.contract, self.role)

    @classmethod
    def parse(cls, text: str) -> RoleMember | None:
        head, key = _split_key(text)
        parts = _role_part(head, "role") if key else None
        return cls(parts[0], parts[1], key) if parts and key else None


@dataclass(frozen=True)
class RoleSet:
    """The observed member set of a role (a value address; planned changes are per member)."""

    contract: str
    role: str

    def __str__(self) -> str:
        return f"{self.contract}.role.{self.role}"

    @property
    def name(self) -> str:
        return self.contract

    def member(self, member: str) -> RoleMember:
        return RoleMember(self.contract, self.role, member)

    @classmethod
    def parse(cls, text: str) -> RoleSet | None:
        head, key = _split_key(text)
        parts = _role_part(head, "role") if key is None else None
        return cls(*parts) if parts else None


@dataclass(frozen=True)
class RoleAdmin:
    """The admin role of a role (update = setRoleAdmin)."""

    contract: str
    role: str

    def __str__(self) -> str:
        return f"{self.contract}.role_admin.{self.role}"

    @property
    def name(self) -> str:
        return self.contract

    @classmethod
    def parse(cls, text: str) -> RoleAdmin | None:
        head, key = _split_key(text)
        parts = _role_part(head, "role_admin") if key is None else None
        return cls(*parts) if parts else None


@dataclass(frozen=True)
class RoleId:
    """The bytes32 id of a role on a contract that is not access-control (a timelock's PROPOSER, …), kept as a
    plan input: `timelock.role_id.PROPOSER`."""

    contract: str
    role: str

    def __str__(self) -> str:
        return f"{self.contract}.role_id.{self.role}"

    @property
    def name(self) -> str:
        return self.contract

    @classmethod
    def parse(cls, text: str) -> RoleId | None:
        head, key = _split_key(text)
        parts = _role_part(head, "role_id") if key is None else None
        return cls(*parts) if parts else None


@dataclass(frozen=True)
class Attribute:
    """Any other address: `risk.paused`, `risk.circuit_breaker[pathUSD-AlphaUSD]`, `oracle.fee_balance[0x…]`,
    `legacy_risk.setting[oracle]`, `vision_records.admin_tier[G…]`, `vault-1.service[unit]`,
    `tempovault-db.freshness` …: the YAML name, the attribute and an optional key."""

    name: str
    attribute: str
    key: str | None = None

    def __str__(self) -> str:
        return f"{self.name}.{self.attribute}" + (f"[{self.key}]" if self.key is not None else "")

    @property
    def scope(self) -> Attribute:
        """The keyless attribute this keyed address belongs to (`vision_records.whitelist`)."""
        return Attribute(self.name, self.attribute)

    def at(self, key: str) -> Attribute:
        return Attribute(self.name, self.attribute, key)

    @classmethod
    def parse(cls, text: str) -> Attribute | None:
        head, key = _split_key(text)
        name, dot, attribute = head.rpartition(".")
        return cls(name, attribute, key) if dot and name and attribute else None


Address = RoleMember | RoleSet | RoleAdmin | RoleId | Attribute
"""Every address kind; `parse_address` returns the most specific one."""


def parse_address(text: str) -> Address | None:
    """The typed address `text` spells (role kinds first), or None when it is not an address at all."""
    return (RoleMember.parse(text) or RoleSet.parse(text) or RoleAdmin.parse(text) or RoleId.parse(text)
            or Attribute.parse(text))


def attribute(name: str, attribute: str, key: str | None = None) -> str:
    """The text of `Attribute(name, attribute, key)`: the form profiles use for value keys."""
    return str(Attribute(name, attribute, key))


def keyed(addresses: Iterable[str], name: str, attribute: str) -> list[tuple[str, str]]:
    """(address, key) of every `<name>.<attribute>[<key>]` among `addresses`, sorted by address: the members,
    tiers or approvals a source read, to be compared with the declared ones."""
    out = []
    for text in addresses:
        a = Attribute.parse(text)
        if a is not None and a.key is not None and a.name == name and a.attribute == attribute:
            out.append((text, a.key))
    return sorted(out)


def matches_target(address: str, target: str) -> bool:
    """`governance` matches all of it, `governance.role.ORACLE` every member, an exact address itself."""
    return address == target or address.startswith((target + ".", target + "["))


def target_prefixes(address: str) -> list[str]:
    """`governance.role.ORACLE[0x…]` → itself, governance, governance.role, governance.role.ORACLE: every
    form a `--target` may take for it."""
    out = [address]
    for i, ch in enumerate(address):
        if ch in ".[" and i:
            out.append(address[:i])
    return out
