"""The plug-in interfaces contract profiles implement (pyinfra's facts vs operations): one per chain.

A profile does two separate things:

* reading is a *fact*. An EVM profile's `observe` is a generator that yields batches of read-only calls and
  records what it found into `ObservedValues`, keyed by resource address; the engine merges the batches of
  every contract into one JSON-RPC batch per round, so round trips grow with the number of rounds, never with
  the number of items. A Stellar profile's `read` is called by the Stellar source with a client and a pinned
  ledger, and reads ledger entries itself.
* `plan` is an *operation*: a pure function of the desired contract and the observed values that returns
  the changes needed (and drift it will not correct). It never reads the chain.

The two chains read so differently that one protocol would make each profile refuse the other's method;
separate protocols (`EvmProfile`, `StellarProfile`) let the type checker hold each source to its own.
Adding a profile means writing one module with a class that satisfies one of them and registering it in
`tempoctl.profiles.EVM_PROFILES` or `STELLAR_PROFILES`; the engine does not change.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tempoctl.observed.observation import ObservedValues
from tempoctl.observed.record import ManagedRecord
from tempoctl.plan.model import Change, DriftItem

if TYPE_CHECKING:
    from tempoctl.apply.context import ExecutorFactory
    from tempoctl.desired import DesiredEnvironment


@dataclass(frozen=True)
class Call:
    """One read-only contract call, by signature as operators write it: `hasRole(bytes32,address)(bool)`."""

    to: str
    sig: str
    args: tuple[Any, ...] = ()
    sender: str | None = None


@dataclass(frozen=True)
class Result:
    """The outcome of a `Call`: `value` is the single decoded output (a tuple when there are several)."""

    ok: bool
    value: Any = None
    revert: bytes = b""


ObserveGen = Generator[list[Call], list[Result], None]


@dataclass
class ObserveContext:
    """What a profile's observation may use: the environment, the network's name and pinned block, a
    client for the few reads that cannot go through a call batch (event logs), and the record of keys
    tempoctl has managed (`tempoctl.observed.record.ManagedRecord`) for what is not enumerable on chain."""

    env: DesiredEnvironment
    network: str
    chain_id: int
    block: int
    client: Any
    observed: ObservedValues
    record: Any = None


@dataclass
class StellarReadContext:
    """What a Stellar profile's `read` may use: the network's name and passphrase, its client, the ledger every
    read is pinned to, where to record observed values, and the record of keys tempoctl has managed (tiers and
    whitelist members are not enumerable on chain, so readers read declared ∪ recorded keys)."""

    env: DesiredEnvironment
    network: str
    passphrase: str
    client: Any
    ledger: int
    observed: ObservedValues
    record: ManagedRecord


@dataclass
class PlanContext:
    """What a profile's planner may use. `step` builds an EVM transaction step (encodes calldata)."""

    env: DesiredEnvironment
    observed: ObservedValues
    step: Callable[..., Any]
    signer_for: Callable[[str, str, str | None], tuple[str | None, str | None]]
    role_names: Mapping[str, str]


PlanItem = Change | DriftItem


class EvmProfile(Protocol):
    """A kind of EVM contract tempoctl knows how to read and change, read through the EVM engine's call batches."""

    name: str

    def observe(self, ctx: ObserveContext, name: str, contract: Any) -> ObserveGen:
        """Yield batches of calls; record observed values under `ctx.observed` by resource address."""
        ...

    def plan(self, ctx: PlanContext, name: str, contract: Any) -> Iterable[PlanItem]:
        """Return the changes (and uncorrected drift) that bring live state to `contract`."""
        ...


class EvmFolderProfile(EvmProfile, Protocol):
    """The plug-in of a profile folder (`tempoctl/profiles/<name>/`, see `tempoctl.profiles.folder`).
    Besides reading and planning (`EvmProfile`) it owns its import of undeclared live state
    (`import_undeclared`) and any executor for a step kind of its own (`executors`). A folder profile
    subclasses this protocol explicitly, so the hooks it does not need keep the defaults below, which do
    nothing by design."""

    executors: Mapping[str, ExecutorFactory] = {}

    def import_probe(self, ictx: ImportContext, name: str, contract: Any) -> Any:
        """Before `tempoctl import` observes: the contract as it should be read to find undeclared state (e.g.
        with undeclared roles added so their holders are read too). The default reads it as declared."""
        return contract

    def import_undeclared(self, ictx: ImportContext, name: str, declared: Any, read_as: Any) -> None:
        """After observing: report, through `ictx.found`, live state of `name` that the YAML does not declare
        (`read_as` is what `import_probe` returned). The default finds none."""
        return

    def declared_holders(self, env: DesiredEnvironment, name: str, contract: Any, role: str) -> list[tuple[str, str]]:
        """(member, address of the change that grants it) for every member the YAML gives `role` on this
        contract: the engine picks a signer for a step needing `role` among them when no live holder is
        declared. The default: this profile has no roles."""
        return []

    def order_edges(self, changes: list[Change], octx: OrderContext) -> None:
        """Add this profile's ordering rules as `depends_on` edges to the plan's changes (all of them, other
        profiles' included, in place). The default adds none: a profile's own edges are set in `plan`."""
        return

    def phase(self, change: Change) -> int | None:
        """Where an independent change goes among others (0 first; the engine's default is create 1, update 2,
        delete 3), for changes this profile knows; None leaves it to the default."""
        return None

    def check_plan(self, changes: list[Change], observed: ObservedValues) -> None:
        """A safety rule over the whole ordered plan: raise `SafetyError` to refuse it. The default has none."""
        return

    def after_apply(self, env: DesiredEnvironment, observed: ObservedValues, record: ManagedRecord) -> None:
        """After an apply that completed: bookkeeping in the managed-key record (never a chain write). The
        default keeps none."""
        return


@dataclass
class ImportContext:
    """What a profile's import hooks may use: the environment, a batched read at a block on a network (the
    import command's clients: a profile never connects), the observation once made (None in `import_probe`),
    the first block to scan logs from, where to report what it finds, and a note for the operator."""

    env: DesiredEnvironment
    read: Callable[[str, list[Call], int | str], list[Result]]
    client: Callable[[str], Any]
    found: ImportFound
    note: Callable[[str], None]
    from_block: int = 0
    observed: ObservedValues | None = None
    pins: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass
class OrderContext:
    """What a profile's ordering rules may use: the declared signers' addresses, the live admin role of each
    (contract, role) when the caller knows it, and the observation."""

    signer_addresses: Mapping[str, str]
    role_admins: Mapping[tuple[str, str], str] | None = None
    observed: ObservedValues | None = None


class ImportFound(Protocol):
    """Where a profile's import hook reports a live item the YAML does not declare: its resource address,
    the YAML path it goes under, and the value to merge there (lists are merged member by member)."""

    def __call__(self, address: str, path: tuple[str, ...], value: Any) -> None:
        ...


class StellarProfile(Protocol):
    """A kind of Soroban contract tempoctl knows how to read and change, read by the Stellar source."""

    name: str

    def read(self, ctx: StellarReadContext, name: str, contract: Any) -> None:
        """Read the contract at `ctx.ledger`; record observed values under `ctx.observed` by resource address."""
        ...

    def plan(self, ctx: PlanContext, name: str, contract: Any) -> Iterable[PlanItem]:
        """Return the changes (and uncorrected drift) that bring live state to `contract`."""
        ...


class StellarFolderProfile(StellarProfile, Protocol):
    """The plug-in of a Stellar profile folder: besides reading and planning it may report undeclared live
    state to `tempoctl import` (the default finds none)."""

    def import_undeclared(self, ictx: ImportContext, name: str, declared: Any, read_as: Any) -> None:
        return


Profile = EvmProfile | StellarProfile
"""What the planner needs of any contract profile: `name` and `plan`, which both protocols have alike."""


class EnvPlanner(Protocol):
    """Plans something that is not one contract (the oracle, hosts, backups): pure, like a profile's plan."""

    name: str

    def plan(self, ctx: PlanContext) -> Iterable[PlanItem]:
        ...


__all__ = [
    "Call",
    "EnvPlanner",
    "EvmFolderProfile",
    "EvmProfile",
    "ImportContext",
    "ImportFound",
    "ObserveContext",
    "ObserveGen",
    "ObservedValues",
    "OrderContext",
    "PlanContext",
    "PlanItem",
    "Profile",
    "Result",
    "StellarProfile",
    "StellarReadContext",
]
