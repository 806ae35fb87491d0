"""A pull request's plan job may reach the team backend with read-only credentials. The Stellar scan of recent
invocations normally records its progress (cursor, keys seen) in the backend; when that write is refused the
plan is still made from what was read, says the progress was not kept, and the next drift or apply, which
have write access, scans the same ledgers again: an out-of-band change is never lost."""

from __future__ import annotations

import json

import pytest

from tests.stellar.conftest import Teye
from tests.stellar.test_teye_runbook import _send_as
from tests.support.postgres import Postgres


def test_a_read_only_backend_still_plans_and_the_next_drift_rescans(  # type: ignore[no-untyped-def]
        teye: Teye, postgres: Postgres, monkeypatch: pytest.MonkeyPatch) -> None:
    from stellar_sdk import scval

    for k, v in postgres.env().items():
        monkeypatch.setenv(k, v)
    db = postgres.create_database()
    reader = postgres.create_role(f"pr_plan_{db}")
    member, intruder = teye.others[0].public_key, teye.others[3].public_key
    env_file = teye.write(whitelist=[member]) / "environment.yaml"
    writable = env_file.read_text().replace("sqlite:///.tempoctl/teye-local.db", postgres.url(db))
    env_file.write_text(writable)
    assert teye.ws.run("apply", "teye-local", "--auto-approve").exit_code == 0
    _send_as(teye, teye.admin, "add_to_whitelist", scval.to_address(teye.admin.public_key), scval.to_address(intruder))

    postgres.execute(db, f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader}")
    env_file.write_text(writable.replace(postgres.url(db), postgres.url(db, user=reader)))
    res = teye.ws.run("plan", "teye-local", "--format", "json")
    assert res.exit_code == 0, res.output
    plan = json.loads(res.stdout)
    assert [c["address"] for c in plan["changes"]] == [f"vision_records.whitelist[{intruder}]"]
    assert any("not recorded" in n for n in plan["notes"]), plan["notes"]

    env_file.write_text(writable)  # the scheduled drift job, with write access
    res = teye.ws.run("drift", "teye-local")
    assert res.exit_code == 2 and f"vision_records.whitelist[{intruder}]" in res.output, res.output
    assert "not recorded" not in res.output
