"""Executors: one small plug-in per kind of step (EVM transaction, Soroban invocation, host command, wait).

The runner groups the steps of a wave by (kind, group) — group is the step's network or host — and hands
each group to the executor made by `EXECUTORS[kind](actx, group)`. An executor checks everything it needs
before anything is sent (`prepare`: keys present, addresses right), then sends a wave back to back
(`send_wave`, journal before send) and waits for it (`await_wave`). Adding a kind of step is adding a
factory here; the runner does not change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tempoctl.apply.journal import Journal
from tempoctl.desired import DesiredEnvironment
from tempoctl.observed.observation import Observation
from tempoctl.plan.model import Change, Step


@dataclass
class SentStep:
    """One step that ran. `pending` means it was handed to someone else (a multisig, an offline signer)
    and is not done yet; `failed` that its transaction was included but failed on chain (nothing changed
    but the nonce and the fee); `finished` that its outcome is known: an executor whose `await_wave` still
    has to confirm a step (a receipt, a unit becoming active, a fresh signal) sends it unfinished and
    finishes it there, so a stop report never calls a step done that was only started. `summary` is the
    one line the operator sees."""

    change: Change
    step: Step
    tx_hash: str | None = None
    nonce: int | None = None
    receipt: dict[str, Any] | None = None
    summary: str = ""
    pending: bool = False
    failed: bool = False
    finished: bool = True


@dataclass
class ApplyContext:
    """What executors may use: the environment, the fresh observation (its clients), key material access
    (`environ`, `prompt`), the journal, and where to write files (`cwd`)."""

    env: DesiredEnvironment
    fresh: Observation
    journal: Journal
    environ: Mapping[str, str]
    echo: Callable[[str], None] = print
    prompt: Callable[[str], str] | None = None
    cwd: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Executor(Protocol):
    def prepare(self, items: list[tuple[Change, Step]]) -> None:
        """Check, before anything of the apply is sent, that every step of this group can be run."""
        ...

    def send_wave(self, items: list[tuple[Change, Step]]) -> list[SentStep]:
        """Run one wave's steps of this group back to back; return what was sent or done."""
        ...

    def await_wave(self, sent: list[SentStep]) -> None:
        """Wait until the wave's steps are final; raise `ApplyError` for a failure."""
        ...


ExecutorFactory = Callable[[ApplyContext, str], Executor]


def _evm(actx: ApplyContext, group: str) -> Executor:
    # Keyed signers send; `via: safe` signers' steps go to a Safe Transaction Builder batch (apply/safe.py).
    from tempoctl.apply.safe import make_evm_router

    return make_evm_router(actx, group)


def _host(actx: ApplyContext, group: str) -> Executor:
    from tempoctl.apply.host import HostExecutor

    return HostExecutor(actx, group)


def _descriptor(actx: ApplyContext, group: str) -> Executor:
    from tempoctl.apply.host import DescriptorExecutor

    return DescriptorExecutor(actx)


def _wait(actx: ApplyContext, group: str) -> Executor:
    from tempoctl.apply.wait import WaitExecutor

    return WaitExecutor(actx, group)


def _stellar(actx: ApplyContext, group: str) -> Executor:
    from tempoctl.apply.stellar import make_stellar_executor

    return make_stellar_executor(actx, group)


def _record_stellar_keys(actx: ApplyContext) -> None:
    from tempoctl.apply.stellar import record_declared_keys

    record_declared_keys(actx)


EXECUTORS: dict[str, ExecutorFactory] = {
    "evm_transaction": _evm,
    "soroban_invocation": _stellar,
    "soroban_extend_ttl": _stellar,
    "soroban_verify": _stellar,
    "host_command": _host,
    "descriptor_write": _descriptor,
    "wait": _wait,
}

def _record_vault_approvals(actx: ApplyContext) -> None:
    from tempoctl.observed.record import ManagedRecord
    from tempoctl.profiles.treasury_vault import record_approvals

    record = actx.fresh.extra.get("managed_record")
    if isinstance(record, ManagedRecord):
        record_approvals(actx.env, actx.fresh.observed, record)


AFTER_APPLY: list[Callable[[ApplyContext], None]] = [_record_stellar_keys, _record_vault_approvals]
"""Run after an apply that completed (also one with nothing to change): bookkeeping, never chain writes."""


def _backup_schedule(actx: ApplyContext, group: str) -> Executor:
    from tempoctl.apply.backups import make_backup_schedule_executor

    return make_backup_schedule_executor(actx, group)


EXECUTORS["backup_schedule"] = _backup_schedule


def group_of(step: Step) -> str:
    """The network or host a step belongs to: steps of one group share an executor (nonces, a session)."""
    return str(step.fields.get("network") or step.fields.get("host") or "")
