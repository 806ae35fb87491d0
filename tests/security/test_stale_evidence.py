"""What counts as the same evidence when apply re-reads what a saved plan used (DESIGN §7).

The read-only plan job on main cannot create the env-file comparison key, so its plan says a secret "was not
compared" (`(sensitive)`); apply, which creates the key, sees `unchanged` or `changed`. Not comparing decided
nothing, so that alone is not staleness — a secret found changed plans a write the saved plan lacks, and the
rebuild comparison refuses that. Everything else still has to match exactly."""

from __future__ import annotations

from tempoctl.apply.runner import _same_evidence

NOT_COMPARED = {"mode": "0644", "values": {"API_TOKEN": "(sensitive)", "MODE": "(sensitive) changed"}}


def test_a_secret_not_compared_at_plan_time_is_the_same_evidence_once_compared() -> None:
    for now in ("(sensitive) unchanged", "(sensitive) changed", "(sensitive)"):
        assert _same_evidence(NOT_COMPARED, {**NOT_COMPARED, "values": {**NOT_COMPARED["values"], "API_TOKEN": now}})


def test_every_other_difference_is_still_stale() -> None:
    compared = {**NOT_COMPARED, "values": {**NOT_COMPARED["values"], "API_TOKEN": "(sensitive) unchanged"}}
    flipped = {**compared, "values": {**compared["values"], "API_TOKEN": "(sensitive) changed"}}
    assert not _same_evidence(compared, flipped)  # a compared verdict that moved is staleness
    assert not _same_evidence(NOT_COMPARED, {**NOT_COMPARED, "mode": "0600"})
    assert not _same_evidence(NOT_COMPARED, {**NOT_COMPARED, "values": {"MODE": "(sensitive) changed"}})
    assert not _same_evidence({"values": {"PUBLIC": "(sensitive)"}}, {"values": {"PUBLIC": "plain"}})
    assert not _same_evidence([1, 2], [1, 2, 3]) and _same_evidence([1, {"a": "x"}], [1, {"a": "x"}])
