"""`tempoctl import` on Teye: whitelist members and admin tiers added from a console are live keys the YAML
does not declare; import writes them into the commented state file and the next plan is empty."""

from __future__ import annotations

from stellar_sdk import scval

from tests.stellar.conftest import Teye
from tests.stellar.test_teye_runbook import _converged, _send_as


def test_import_adopts_out_of_band_whitelist_member_and_admin_tier(teye: Teye) -> None:
    m1, intruder, operator = (k.public_key for k in teye.others[:3])
    folder = teye.write(whitelist=[m1], tiers={teye.admin.public_key: "SuperAdmin"})
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    admin = scval.to_address(teye.admin.public_key)
    _send_as(teye, teye.admin, "add_to_whitelist", admin, scval.to_address(intruder))
    _send_as(teye, teye.admin, "promote_admin", admin, scval.to_address(operator), scval.to_uint32(1))
    path = folder / "teye.yaml"
    original = "# Teye on the emulator; reviewed.\n" + path.read_text().replace(
        f"        - {m1}", f"        - {m1}   # the first customer")
    path.write_text(original)

    printed = teye.ws.run("import", "teye-local")
    assert printed.exit_code == 0, printed.output
    assert intruder in printed.stdout and f"{operator}: OperatorAdmin" in printed.stdout
    assert path.read_text() == original

    r = teye.ws.run("import", "teye-local", "--write")
    assert r.exit_code == 0, r.output
    assert f"+ vision_records.whitelist[{intruder}]" in r.stdout
    assert f"+ vision_records.admin_tier[{operator}]" in r.stdout
    written = path.read_text()
    assert written.startswith("# Teye on the emulator; reviewed.\n")
    assert f"        - {m1}   # the first customer\n        - {intruder}\n" in written
    assert f"      {operator}: OperatorAdmin\n" in written
    assert [ln for ln in original.splitlines() if ln not in written.splitlines()] == []
    _converged(teye)
