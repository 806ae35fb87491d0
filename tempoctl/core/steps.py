"""Typed views of a plan step's fields, one per step kind: what builders write and executors read.

A `Step` (tempoctl.plan.model) stores its kind-specific fields as the plain dict the saved plan has, so a
plan file round-trips byte for byte and the rebuild comparison sees every key, even one a tampered file
added. These views are how code reads and writes those dicts: `to_fields()` produces exactly the keys, in
the order, the plan format has; `of(step)` reads them back with their types checked, so an executor says
which field of which step is wrong instead of failing with a KeyError deep inside a send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tempoctl.errors import TempoctlError


class StepFieldError(TempoctlError):
    """A step's fields are not what its kind needs (a plan written by another tool, or edited by hand)."""


class StepLike(Protocol):
    """What a view reads: `tempoctl.plan.model.Step` (kept out of the import, core depends on nothing)."""

    kind: str
    fields: dict[str, Any]


def _need(kind: str, d: Mapping[str, Any], key: str, typ: type | tuple[type, ...]) -> Any:
    v = d.get(key)
    if not isinstance(v, typ) or isinstance(v, bool) and typ is int:
        raise StepFieldError(f"a {kind} step has no valid `{key}` (found {type(v).__name__})")
    return v


def _opt(kind: str, d: Mapping[str, Any], key: str, typ: type | tuple[type, ...]) -> Any:
    return None if d.get(key) is None else _need(kind, d, key, typ)


def _check_kind(step: StepLike, kinds: tuple[str, ...]) -> Mapping[str, Any]:
    if step.kind not in kinds:
        raise StepFieldError(f"expected a {' or '.join(kinds)} step, got {step.kind}")
    return step.fields


@dataclass(frozen=True)
class EvmTx:
    """An `evm_transaction`: `function` is the canonical signature, `data` the 0x calldata, `sender` the
    declared signer's address (`from`), `via: safe` routes it to a Safe batch, `record` is what the
    managed-key record learns once it succeeds."""

    KIND = "evm_transaction"

    network: str
    chain_id: int
    to: str
    function: str
    args: list[Any]
    data: str
    sender: str | None
    value: str = "0"
    via: str | None = None
    record: dict[str, str] | None = None

    @property
    def via_safe(self) -> bool:
        return self.via == "safe"

    @property
    def calldata(self) -> bytes:
        return bytes.fromhex(self.data[2:])

    def to_fields(self) -> dict[str, Any]:
        d: dict[str, Any] = {"network": self.network, "chain_id": self.chain_id, "to": self.to,
                             "function": self.function, "args": self.args, "data": self.data, "value": self.value,
                             "from": self.sender}
        if self.via is not None:
            d["via"] = self.via
        if self.record:
            d["record"] = self.record
        return d

    @classmethod
    def from_fields(cls, d: Mapping[str, Any]) -> EvmTx:
        k = cls.KIND
        return cls(network=_need(k, d, "network", str), chain_id=_need(k, d, "chain_id", int),
                   to=_need(k, d, "to", str), function=str(d.get("function") or ""), args=list(d.get("args") or []),
                   data=_need(k, d, "data", str), sender=_opt(k, d, "from", str), value=str(d.get("value", "0")),
                   via=_opt(k, d, "via", str), record=_opt(k, d, "record", dict))

    @classmethod
    def of(cls, step: StepLike) -> EvmTx:
        return cls.from_fields(_check_kind(step, (cls.KIND,)))


SOROBAN_TX_KINDS = ("soroban_invocation", "soroban_extend_ttl")


@dataclass(frozen=True)
class SorobanTx:
    """A `soroban_invocation` (a contract call with plain JSON args) or `soroban_extend_ttl` (function
    `ExtendFootprintTTL`/`RestoreFootprint` over `keys`, base64 ledger keys; older plans name only the
    instance) sent by the `source` account. `xdr` is the envelope assembled at plan time (not approved, never
    read by apply)."""

    network: str
    passphrase: str
    contract: str
    function: str
    args: list[dict[str, Any]]
    source: str | None
    record: dict[str, str] | None = None
    extend_to: int | None = None
    keys: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Keys beyond these (a footprint step's `what`), kept so a step reads back as it was written."""

    def to_fields(self) -> dict[str, Any]:
        d: dict[str, Any] = {"network": self.network, "passphrase": self.passphrase, "contract": self.contract,
                             "function": self.function, "args": self.args, "source": self.source}
        if self.keys is not None:
            d["keys"] = self.keys
        if self.record:
            d["record"] = self.record
        if self.extend_to is not None:
            d["extend_to"] = self.extend_to
        d.update(self.extra)
        return d

    @classmethod
    def from_fields(cls, d: Mapping[str, Any]) -> SorobanTx:
        k = "soroban"
        known = {"network", "passphrase", "contract", "function", "args", "source", "record", "extend_to", "keys"}
        return cls(network=_need(k, d, "network", str), passphrase=_need(k, d, "passphrase", str),
                   contract=str(d.get("contract") or ""), function=_need(k, d, "function", str),
                   args=list(d.get("args") or []), source=_opt(k, d, "source", str),
                   record=_opt(k, d, "record", dict), extend_to=_opt(k, d, "extend_to", int),
                   keys=_opt(k, d, "keys", list), extra={x: v for x, v in d.items() if x not in known})

    @classmethod
    def of(cls, step: StepLike) -> SorobanTx:
        return cls.from_fields(_check_kind(step, SOROBAN_TX_KINDS))


@dataclass(frozen=True)
class SorobanVerify:
    """A `soroban_verify`: before a contract ID is adopted, check it exists, runs the pinned wasm, is
    initialised and has the declared admin."""

    KIND = "soroban_verify"

    network: str
    contract: str
    name: str
    wasm_sha256: str | None
    admin: str | None

    def to_fields(self) -> dict[str, Any]:
        return {"network": self.network, "contract": self.contract, "name": self.name,
                "wasm_sha256": self.wasm_sha256, "admin": self.admin}

    @classmethod
    def of(cls, step: StepLike) -> SorobanVerify:
        d, k = _check_kind(step, (cls.KIND,)), cls.KIND
        return cls(network=_need(k, d, "network", str), contract=_need(k, d, "contract", str),
                   name=_need(k, d, "name", str), wasm_sha256=_opt(k, d, "wasm_sha256", str),
                   admin=_opt(k, d, "admin", str))


@dataclass(frozen=True)
class HostCommand:
    """A `host_command` on one host: `op` is write_env (`path`, `set`, `owner`, `mode`), enable, disable,
    disable-runtime, start, stop or restart (`unit`, `single_instance`, `settle`)."""

    KIND = "host_command"

    host: str
    op: str
    unit: str | None = None
    path: str | None = None
    set: dict[str, Any] | None = None
    owner: str | None = None
    mode: str | None = None
    single_instance: bool = False
    settle: Any = None

    def to_fields(self) -> dict[str, Any]:
        d: dict[str, Any] = {"host": self.host, "op": self.op}
        if self.op == "write_env":
            d.update(path=self.path, set=self.set, owner=self.owner, mode=self.mode)
            return d
        d["unit"] = self.unit
        if self.starts:
            d["single_instance"] = self.single_instance
            if self.settle is not None:
                d["settle"] = self.settle
        return d

    @classmethod
    def of(cls, step: StepLike) -> HostCommand:
        d, k = _check_kind(step, (cls.KIND,)), cls.KIND
        return cls(host=_need(k, d, "host", str), op=_need(k, d, "op", str), unit=_opt(k, d, "unit", str),
                   path=_opt(k, d, "path", str), set=_opt(k, d, "set", dict), owner=_opt(k, d, "owner", str),
                   mode=_opt(k, d, "mode", str), single_instance=bool(d.get("single_instance")),
                   settle=d.get("settle"))

    @property
    def starts(self) -> bool:
        return self.op in ("start", "restart")


@dataclass(frozen=True)
class Wait:
    """A `wait` step: poll `condition` (only `oracle_signal`: a fresh signal by `signer` on one of `checks`
    within `within` seconds) before the changes it `gates` may run."""

    KIND = "wait"

    network: str
    condition: str
    checks: list[dict[str, Any]]
    within: float
    signer: str | None
    gates: list[str]

    def to_fields(self) -> dict[str, Any]:
        return {"network": self.network, "condition": self.condition, "checks": self.checks,
                "within": self.within, "signer": self.signer, "gates": self.gates}

    @classmethod
    def of(cls, step: StepLike) -> Wait:
        d, k = _check_kind(step, (cls.KIND,)), cls.KIND
        return cls(network=str(d.get("network") or ""), condition=str(d.get("condition")),
                   checks=list(d.get("checks") or []), within=float(_need(k, d, "within", (int, float))),
                   signer=_opt(k, d, "signer", str), gates=[str(g) for g in d.get("gates") or []])


@dataclass(frozen=True)
class BackupSchedule:
    """A `backup_schedule`: install (`value`, the schedule, and `installs`, the files) or remove (`value`
    None) the crontab block or timer `key` of backup `backup` on `host` for `user`."""

    KIND = "backup_schedule"

    host: str
    backup: str
    key: str
    user: str | None
    value: Any
    installs: dict[str, Any] | None = None

    def to_fields(self) -> dict[str, Any]:
        d: dict[str, Any] = {"host": self.host, "backup": self.backup, "key": self.key, "user": self.user,
                             "value": self.value}
        if self.installs is not None:
            d["installs"] = self.installs
        return d

    @classmethod
    def of(cls, step: StepLike) -> BackupSchedule:
        d, k = _check_kind(step, (cls.KIND,)), cls.KIND
        return cls(host=_need(k, d, "host", str), backup=_need(k, d, "backup", str), key=_need(k, d, "key", str),
                   user=_opt(k, d, "user", str), value=d.get("value"), installs=_opt(k, d, "installs", dict))


@dataclass(frozen=True)
class DescriptorWrite:
    """A `descriptor_write`: write `document` to `path` (local), keeping the old one at `previous`."""

    KIND = "descriptor_write"

    path: str
    previous: str
    document: dict[str, Any]
    host: str = ""

    def to_fields(self) -> dict[str, Any]:
        return {"host": self.host, "path": self.path, "previous": self.previous, "document": self.document}

    @classmethod
    def of(cls, step: StepLike) -> DescriptorWrite:
        d, k = _check_kind(step, (cls.KIND,)), cls.KIND
        return cls(path=_need(k, d, "path", str), previous=_need(k, d, "previous", str),
                   document=_need(k, d, "document", dict), host=str(d.get("host") or ""))


@dataclass(frozen=True)
class HostFileWrite:
    """A `host_file`: write the declared content of `hosts.<host>.files[index]` to `path`; `sha256` pins the
    content the plan showed (apply refuses another), `installs` is what the plan shows of it (never a secret)."""

    KIND = "host_file"

    host: str
    path: str
    index: int
    sha256: str
    mode: str | None
    owner: str | None
    installs: Any = None

    def to_fields(self) -> dict[str, Any]:
        return {"host": self.host, "path": self.path, "index": self.index, "sha256": self.sha256,
                "mode": self.mode, "owner": self.owner, "installs": self.installs}

    @classmethod
    def of(cls, step: StepLike) -> HostFileWrite:
        d, k = _check_kind(step, (cls.KIND,)), cls.KIND
        return cls(host=_need(k, d, "host", str), path=_need(k, d, "path", str), index=_need(k, d, "index", int),
                   sha256=_need(k, d, "sha256", str), mode=_opt(k, d, "mode", str), owner=_opt(k, d, "owner", str),
                   installs=d.get("installs"))


def group_of(step: StepLike) -> str:
    """The network or host a step belongs to: the runner hands each (kind, group) to one executor."""
    return str(step.fields.get("network") or step.fields.get("host") or "")
