"""The plan as plain data (Terraform's `plans` package): what will change, why, and how apply will do it.

A `Plan` is computed by `tempoctl.plan.build`, saved as JSON by `tempoctl.plan.planfile`, rendered by
`tempoctl.plan.render.*` and executed by `tempoctl.apply`. Apply acts on `action`, `before`, `after` and
`steps`; `reason` is for people only. `to_dict()` is the JSON document of DESIGN §5.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

FORMAT_VERSION = "1"


GLYPHS = {"create": "+", "update": "~", "delete": "-", "replace": "±"}
"""What the text renderer shows for each action (by its JSON value)."""


class Action(str, enum.Enum):
    """What a change does to one resource address; the glyph is what the text renderer shows."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"

    @property
    def glyph(self) -> str:
        return GLYPHS[self.value]


@dataclass
class Simulation:
    """Result of simulating one step as its real signer.

    status: ``ok`` (gas or fee known), ``revert`` (with the decoded `error`), ``skipped`` (not simulable:
    a Safe step, a host command, a step that depends on an earlier one) or ``error`` (RPC failure).
    """

    status: str
    gas: int | None = None
    fee: int | None = None
    error: str | None = None
    sender: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Simulation:
        return cls(**d)


@dataclass
class ForkStep:
    """What one step did when the plan ran every step in order on a local anvil fork (`plan --fork`).

    status: ``ok``, ``revert`` (decoded `error`), ``error`` (could not be sent) or ``not_simulated`` (a
    Soroban, host or wait step, or a network not forked). `gas` is anvil's gas used (anvil has no Tempo
    fee-token precompile: fees there are not Tempo's). `events` are the decoded logs of the step's
    transaction. Review evidence only: never part of the fingerprint or of what apply compares.
    """

    status: str
    block: int | None = None
    gas: int | None = None
    events: list[str] = field(default_factory=list)
    error: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None and v != []}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ForkStep:
        return cls(status=str(d.get("status", "")), block=d.get("block"), gas=d.get("gas"),
                   events=[str(e) for e in d.get("events", [])], error=d.get("error"), note=d.get("note"))


@dataclass
class Step:
    """One thing apply does.

    kind: ``evm_transaction`` (fields: network, chain_id, to, function, args, data, value),
    ``soroban_invocation`` (network, contract, function, args, xdr), ``host_command``, ``wait``.
    `signer` names a signer of the YAML (or None for host steps); `display` is the human form of the call
    (``grantRole(ORACLE, 0xD7c3…)``). `simulation` is filled in at plan time.
    """

    kind: str
    display: str
    signer: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    simulation: Simulation | None = None
    fork: ForkStep | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "display": self.display, "signer": self.signer}
        d.update(self.fields)
        if self.simulation is not None:
            d["simulation"] = self.simulation.to_dict()
        if self.fork is not None:
            d["fork"] = self.fork.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Step:
        d = dict(d)
        sim = d.pop("simulation", None)
        fork = d.pop("fork", None)
        return cls(
            kind=d.pop("kind"),
            display=d.pop("display"),
            signer=d.pop("signer", None),
            fields=d,
            simulation=Simulation.from_dict(sim) if sim else None,
            fork=ForkStep.from_dict(fork) if isinstance(fork, dict) else None,
        )


@dataclass
class Change:
    """One resource address moving from `before` to `after`.

    `reason` is the YAML `file:line:col` that asks for the change, or ``not declared`` for a holder the
    YAML does not list. `depends_on` lists addresses of changes that must be applied first. `pending`
    marks a change handed to a multisig (awaiting execution). `sensitive` values render as a hash: only
    the `sensitive_keys` of a dict-shaped before/after when those are named (an env file with one secret
    still shows its plain settings), otherwise the whole value.
    """

    address: str
    action: Action
    before: Any
    after: Any
    reason: str
    steps: list[Step] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    note: str | None = None
    sensitive: bool = False
    pending: bool = False
    sensitive_keys: list[str] = field(default_factory=list)

    @property
    def simulation(self) -> list[Simulation]:
        return [s.simulation for s in self.steps if s.simulation is not None]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "address": self.address,
            "action": self.action.value,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "steps": [s.to_dict() for s in self.steps],
            "simulation": [s.to_dict() for s in self.simulation],
            "depends_on": list(self.depends_on),
        }
        if self.note:
            d["note"] = self.note
        if self.sensitive:
            d["sensitive"] = True
            if self.sensitive_keys:
                d["sensitive_keys"] = list(self.sensitive_keys)
        if self.pending:
            d["pending"] = True
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Change:
        return cls(
            address=d["address"],
            action=Action(d["action"]),
            before=d.get("before"),
            after=d.get("after"),
            reason=d.get("reason", ""),
            steps=[Step.from_dict(s) for s in d.get("steps", [])],
            depends_on=list(d.get("depends_on", [])),
            note=d.get("note"),
            sensitive=bool(d.get("sensitive", False)),
            pending=bool(d.get("pending", False)),
            sensitive_keys=[str(k) for k in d.get("sensitive_keys", [])],
        )


@dataclass
class DriftItem:
    """Something live that differs from the YAML but that this plan will not change (warn, checks)."""

    address: str
    kind: str
    expected: Any
    actual: Any
    message: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DriftItem:
        return cls(**d)


@dataclass
class Plan:
    """An ordered list of changes computed from one environment's desired and observed state.

    `observed` pins each network (chain_id/passphrase, block/ledger, block hash). `inputs` holds every
    observed value the plan was computed from, by resource address, so that apply can refuse a stale plan.
    `fingerprint` covers what a reviewer approves (environment, changes, inputs, state digest) and not
    timestamps, block numbers or gas figures, so a re-plan of the same situation has the same fingerprint.
    `policy` (the policies' verdict) is not covered either: apply judges the rebuilt plan again itself.
    """

    environment: str
    created_at: str
    tool_version: str
    observed: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    drift: list[DriftItem] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    state_digest: str = ""
    targets: list[str] = field(default_factory=list)
    policy: dict[str, Any] | None = None  # what policies/*.rego said (tempoctl.policy.PolicyReport.to_dict())
    notes: list[str] = field(default_factory=list)
    fork: dict[str, Any] | None = None
    """`plan --fork`: {"networks": {name: {"block", "steps", "ok", "revert", …}}, "gas": label, "after":
    {"networks": [...], "changes": [{"address", "action"}…]}}. Review evidence, outside the fingerprint."""

    @property
    def summary(self) -> dict[str, int]:
        counts = {a.value: 0 for a in Action}
        for c in self.changes:
            counts[c.action.value] += 1
        return counts

    @property
    def empty(self) -> bool:
        return not self.changes

    def fingerprint(self) -> str:
        def strip(c: Change) -> dict[str, Any]:
            d = c.to_dict()
            d.pop("simulation", None)
            for s in d["steps"]:
                s.pop("simulation", None)
                s.pop("fork", None)
            return d

        body = {
            "environment": self.environment,
            "changes": [strip(c) for c in self.changes],
            "inputs": self.inputs,
            "state_digest": self.state_digest,
            "targets": self.targets,
        }
        raw = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
        return "sha256:" + hashlib.sha256(raw).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        doc = self._document()
        if self.fork is not None:
            doc["fork"] = self.fork
            doc["fingerprint"] = doc.pop("fingerprint")  # stays last, as before
        return doc

    def _document(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "tool": {"name": "tempoctl", "version": self.tool_version},
            "environment": self.environment,
            "created_at": self.created_at,
            "observed": self.observed,
            "changes": [c.to_dict() for c in self.changes],
            "drift": [d.to_dict() for d in self.drift],
            "summary": self.summary,
            "inputs": self.inputs,
            "state_digest": self.state_digest,
            "targets": list(self.targets),
            "notes": list(self.notes),
            "fingerprint": self.fingerprint(),
            **({"policy": self.policy} if self.policy is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Plan:
        return cls(
            environment=d["environment"],
            created_at=d["created_at"],
            tool_version=d.get("tool", {}).get("version", ""),
            observed=d.get("observed", {}),
            changes=[Change.from_dict(c) for c in d.get("changes", [])],
            drift=[DriftItem.from_dict(x) for x in d.get("drift", [])],
            inputs=d.get("inputs", {}),
            state_digest=d.get("state_digest", ""),
            targets=list(d.get("targets", [])),
            policy=d["policy"] if isinstance(d.get("policy"), dict) else None,
            notes=list(d.get("notes", [])),
            fork=d["fork"] if isinstance(d.get("fork"), dict) else None,
        )
