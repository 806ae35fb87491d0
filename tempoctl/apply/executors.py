"""Executors: one small plug-in per kind of step (EVM transaction, Soroban invocation, host command, wait).

The runner groups the steps of a wave by (kind, group) — group is the step's network or host — and hands
each group to the executor made by `EXECUTORS[kind](actx, group)`. An executor checks everything it needs
before anything is sent (`prepare`: keys present, addresses right), then sends a wave back to back
(`send_wave`, journal before send) and waits for it (`await_wave`). Adding a kind of step is adding a
factory here; the runner does not change.

This module is the registry: it imports the executor modules (lazily, so a plan never loads signing code) and
nothing imports it but the runner; the types both sides share are in `apply/context.py`.
"""

from __future__ import annotations

from collections.abc import Callable

from tempoctl.apply.context import ApplyContext, Executor, ExecutorFactory


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

def _profiles_after_apply(actx: ApplyContext) -> None:
    """Each profile folder's bookkeeping in the managed-key record (e.g. the vault approvals it made)."""
    from tempoctl.observed.record import ManagedRecord
    from tempoctl.profiles.catalog import folder_profiles

    record = actx.fresh.extra.get("managed_record")
    if isinstance(record, ManagedRecord):
        for profile in folder_profiles():
            profile.after_apply(actx.env, actx.fresh.observed, record)


AFTER_APPLY: list[Callable[[ApplyContext], None]] = [_record_stellar_keys, _profiles_after_apply]
"""Run after an apply that completed (also one with nothing to change): bookkeeping, never chain writes."""


def _backup_schedule(actx: ApplyContext, group: str) -> Executor:
    from tempoctl.apply.backups import make_backup_schedule_executor

    return make_backup_schedule_executor(actx, group)


EXECUTORS["backup_schedule"] = _backup_schedule


def _host_file(actx: ApplyContext, group: str) -> Executor:
    from tempoctl.apply.host_files import make_host_file_executor

    return make_host_file_executor(actx, group)


EXECUTORS["host_file"] = _host_file


def _folder_executors() -> dict[str, ExecutorFactory]:
    """Executors the profile folders contribute for step kinds of their own (never a built-in kind)."""
    from tempoctl.profiles.catalog import folder_profiles

    out: dict[str, ExecutorFactory] = {}
    for profile in folder_profiles():
        for kind, factory in profile.executors.items():
            if kind not in EXECUTORS and kind not in out:
                out[kind] = factory
    return out


EXECUTORS.update(_folder_executors())
