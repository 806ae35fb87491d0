"""Issue 13: what cannot be read as declared is a typed diagnostic returned with the observation (not an
untyped `facts["errors"]` entry), and the plan stops with every one of them, each at its file:line:col."""

from __future__ import annotations

from tempoctl.core.diags import Severity
from tempoctl.observed.observation import ObservedValues
from tests.conftest import Workspace
from tests.support.anvil import DEV_ADDRESSES as A


def test_typed_fields_and_their_old_facts_keys_are_one_object() -> None:
    legacy = ObservedValues(facts={"role_names": {"0x00": "ADMIN"}, "notes": ["read earlier"]})
    legacy.role_names["0x01"] = "ORACLE"
    legacy.notes.append("and now")
    assert legacy.facts["role_names"] == {"0x00": "ADMIN", "0x01": "ORACLE"}
    assert legacy.facts["notes"] == ["read earlier", "and now"]
    fresh = ObservedValues()
    fresh.mark_unread("vault-1", "its host is not in the trusted base")
    assert fresh.unread == ["vault-1"] and fresh.notes == ["vault-1: not read: its host is not in the trusted base"]
    fresh.error(("contracts", "plain"), "plain is not enumerable", address="plain")
    [d] = fresh.errors
    assert (d.severity, d.path, d.address) == (Severity.ERROR, ("contracts", "plain"), "plain")
    assert "errors" not in fresh.facts
    # A reader written before `error()` still stops the plan.
    fresh.facts.setdefault("errors", []).append((("contracts", "old"), "old has no getter"))
    assert [(d.path, d.message) for d in fresh.errors[1:]] == [(("contracts", "old"), "old has no getter")]


def test_every_read_problem_is_reported_at_its_declaration(anvil, chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    """PlainRoles has no getter for a made-up role and is not enumerable: without `from_block:` both problems
    are reported together, each pointing at its line, and no plan is printed."""
    from tests.support.contracts import deploy
    from tests.support.local_state import write_local_state

    plain = deploy(anvil.url, "PlainRoles", A[0])
    folder = write_local_state(workspace.root / "state" / "local", chain)
    (folder / "plain.yaml").write_text(f"""contracts:
  plain:
    network: anvil
    address: "{plain}"
    profile: access-control
    signer: admin
    roles:
      ADMIN: ["{A[0]}"]
      AUDITOR: ["{A[1]}"]
""")
    r = workspace.run("plan", "local", "--target", "plain")
    assert r.exit_code != 0
    out = r.output + r.stderr
    assert "live state does not match the declared contract interfaces" in out
    assert "state/local/plain.yaml:9:16: " in out and "has no AUDITOR_ROLE() getter" in out
    assert "state/local/plain.yaml:3:5: " in out and "is not enumerable" in out
    assert "No changes" not in out and "Traceback" not in out
