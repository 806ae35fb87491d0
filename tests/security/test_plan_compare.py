"""`plan_differences`: every way an approved plan can differ from its rebuild is found and named (pure)."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from tempoctl.plan.compare import plan_differences
from tempoctl.plan.model import Plan, Step
from tests import render_plans as rp

OLD = "governance.role.ORACLE[0xd9028C36e945319f87aa2E869749C70e702644ee]"
NEW = "governance.role.ORACLE[0xD7c37217De9DE47A8DAe64e220446873d8556497]"


def test_a_rebuild_of_the_same_plan_differs_in_nothing() -> None:
    saved, rebuilt = rp.roles_plan(), rp.roles_plan()
    for c in rebuilt.changes:  # gas moves with every block; an assembled XDR carries a sequence number
        for s in c.steps:
            s.simulation = None
            s.fields["xdr"] = "AAAA-other"
    assert plan_differences(saved, rebuilt) == []


def _reorder(p: Plan) -> None:
    p.changes.reverse()


def _extra_step(p: Plan) -> None:
    p.changes[0].steps.append(copy.deepcopy(p.changes[0].steps[0]))


def _depends(p: Plan) -> None:
    p.changes[2].depends_on = []


def _signer(p: Plan) -> None:
    p.changes[0].steps[0].signer = "emergency"


def _safe(p: Plan) -> None:  # the sample's grant goes to a Safe batch; the edit sends it directly
    del p.changes[0].steps[0].fields["via"]


def _kind(p: Plan) -> None:
    s = p.changes[0].steps[0]
    p.changes[0].steps[0] = Step(kind="host_command", display=s.display, signer=s.signer, fields=dict(s.fields))


def _targets(p: Plan) -> None:
    p.targets = ["governance"]


def _before(p: Plan) -> None:
    p.changes[1].before = True


@pytest.mark.parametrize(("edit", "needle"), [
    (_reorder, "change order differs from position 1"),
    (_extra_step, f"{NEW}: steps[1]: saved {{"),
    (_depends, f"{OLD}: depends_on[0]: saved (absent), rebuilt \"{NEW}\""),
    (_signer, f"{NEW}: steps[0].signer: saved \"emergency\", rebuilt"),
    (_safe, f"{NEW}: steps[0].via: saved (absent), rebuilt \"safe\""),
    (_kind, f"{NEW}: steps[0].kind: saved \"host_command\", rebuilt \"evm_transaction\""),
    (_targets, "targets: saved [\"governance\"], rebuilt []"),
    (_before, "risk.circuit_breaker[legacy-pair]: before: saved true, rebuilt {\"broken\": false"),
], ids=["order", "step-count", "depends_on", "signer", "safe-routing", "kind", "targets", "before"])
def test_each_difference_is_named(edit: Callable[[Plan], None], needle: str) -> None:
    saved = rp.roles_plan()
    edit(saved)
    found = plan_differences(saved, rp.roles_plan())
    assert any(needle in line for line in found), found


def test_a_duplicated_change_is_counted() -> None:
    saved = rp.roles_plan()
    saved.changes.append(copy.deepcopy(saved.changes[0]))
    assert f"{NEW}: 2 time(s) in the saved plan, 1 in the rebuilt plan" in plan_differences(saved, rp.roles_plan())


def test_a_saved_plan_with_masked_secrets_matches_its_unmasked_rebuild(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The file holds masked values, the rebuild plaintext: both are compared in their public form."""
    from tempoctl.plan.planfile import load_plan, save_plan

    save_plan(rp.risk_plan(), tmp_path / "p")
    assert plan_differences(load_plan(tmp_path / "p"), rp.risk_plan()) == []
