"""The invocation scan can only see what the RPC still holds. When drift has not run for longer than the RPC's
retention window (~7 days on public RPCs), the ledgers in between are gone: tempoctl says which ledgers it could
not scan, instead of silently calling the contract clean, and still finds what happened inside the window."""

from __future__ import annotations

from stellar_sdk import scval

from tests.stellar.conftest import Teye
from tests.stellar.test_teye_runbook import _plan_json, _send_as

WINDOW = 50  # ledgers of history the emulator keeps during the test (its session default stays 120,960)


def _add_to_whitelist(teye: Teye, who: str) -> None:
    _send_as(teye, teye.admin, "add_to_whitelist", scval.to_address(teye.admin.public_key), scval.to_address(who))


def test_ledgers_past_the_retention_window_are_named_and_later_changes_still_found(teye: Teye) -> None:
    member, lost, recent = (k.public_key for k in teye.others[:3])
    teye.write(whitelist=[member])
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    with teye.emu.paused():  # ledgers close every 0.1 s; drift only reads, so hold the clock for exact numbers
        res = teye.ws.run("drift", "teye-local")
        assert res.exit_code == 0, res.output
        scanned_to = teye.emu.ledger  # the scan cursor drift just recorded

    with teye.emu.retention_window(WINDOW):
        _add_to_whitelist(teye, lost)  # out of band, then nobody runs drift for longer than the window
        teye.emu.advance(2 * WINDOW)
        _add_to_whitelist(teye, recent)  # out of band, inside the window
        with teye.emu.paused():  # reads only from here: exact ledger numbers
            oldest = teye.emu.ledger - WINDOW + 1
            assert teye.emu.state.oldest == oldest

            res = teye.ws.run("drift", "teye-local")
            assert res.exit_code == 2, res.output
            assert (f"ledgers {scanned_to + 1}–{oldest - 1} are past the RPC's retention window and were not scanned "
                    "for out-of-band changes; run drift more often than the window") in res.output
            assert f"vision_records.whitelist[{recent}]" in res.output
            assert lost not in res.output  # what the note warns about: nothing names it any more

            plan = _plan_json(teye)  # drift moved the cursor on: the plan scans from there, keeps what drift found
            assert [(c["address"], c["action"]) for c in plan["changes"]] == [
                (f"vision_records.whitelist[{recent}]", "delete")]
            assert not any("retention window" in n for n in plan["notes"]), plan["notes"]
    assert teye.contract.view("is_whitelisted", lost) is True
