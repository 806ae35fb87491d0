"""Issue 13: each step kind has a typed view (tempoctl/core/steps.py) that builders write and executors read.

The saved plan keeps the plain field dict, so these views must write exactly the keys, in exactly the order,
the plan format has (a plan file is byte-identical to before) and read back every step the planners make.
The planner table cases are the corpus: every step of every case goes through its view and back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tempoctl.core.steps import (
    BackupSchedule,
    DescriptorWrite,
    EvmTx,
    HostCommand,
    SorobanTx,
    SorobanVerify,
    StepFieldError,
    Wait,
)
from tempoctl.diff.steps import evm_step
from tempoctl.errors import TempoctlError
from tempoctl.plan.model import Change, Step
from tests.planners import test_planner_cases as evm_cases
from tests.planners import test_stellar_host_cases as other_cases

WRITERS: dict[str, Any] = {"evm_transaction": EvmTx, "soroban_invocation": SorobanTx, "soroban_extend_ttl": SorobanTx,
                           "soroban_verify": SorobanVerify, "wait": Wait, "backup_schedule": BackupSchedule,
                           "descriptor_write": DescriptorWrite, "host_command": HostCommand}


def _round_trip(step: Step) -> None:
    view = WRITERS[step.kind].of(step)
    written = view.to_fields()
    assert list(written.items()) == list(step.fields.items()), step.kind  # same keys, same order, same values


def _steps(items: Any) -> list[Step]:
    return [s for c in items if isinstance(c, Change) for s in c.steps]


@pytest.mark.parametrize("path", [p for p in sorted(evm_cases.CASES.glob("*/*.yaml"))], ids=lambda p: p.stem)
def test_every_evm_case_step_reads_back_through_its_view(path: Path, tmp_path: Path) -> None:
    case = evm_cases.load_case(path)
    try:
        changes, _, _ = evm_cases.plan_case(tmp_path, case)
    except TempoctlError:
        pytest.skip("a refused case plans no steps")
    for step in _steps(changes):
        _round_trip(step)


def test_every_soroban_host_and_backup_step_reads_back_through_its_view(tmp_path: Path) -> None:
    kinds: set[str] = set()
    for i, path in enumerate(sorted(other_cases.CASES.glob("*/*.yaml"))):
        items, _ = other_cases.run_case(path, tmp_path / str(i))
        if isinstance(items, TempoctlError):
            continue
        for step in _steps(items):
            _round_trip(step)
            kinds.add(step.kind)
    # The corpus must cover the kinds it claims to, or this test checks less than it says.
    assert {"soroban_invocation", "soroban_extend_ttl", "host_command", "backup_schedule"} <= kinds


def test_a_safe_step_keeps_via_and_record_last() -> None:
    step = evm_step("tempo", 42431, "0x" + "11" * 20, "setPaused(bool)", (True,), "ops", "setPaused(true)",
                    via="safe", sender="0x" + "22" * 20, record={"scope": "v.approved_token", "key": "k", "op": "remember"})
    assert list(step.fields) == ["network", "chain_id", "to", "function", "args", "data", "value", "from", "via", "record"]
    tx = EvmTx.of(step)
    assert tx.via_safe and tx.calldata[:4].hex() == step.fields["data"][2:10]


def test_a_broken_step_names_the_field_instead_of_a_key_error() -> None:
    step = Step(kind="evm_transaction", display="x", fields={"network": "tempo", "chain_id": 1, "to": 7, "data": "0x"})
    with pytest.raises(StepFieldError, match="no valid `to`"):
        EvmTx.of(step)
    with pytest.raises(StepFieldError, match="expected a wait step"):
        Wait.of(step)
