"""`tempoctl import`: adopt live state that was changed by hand, on a real anvil. The operator relies on
three things: it finds what is live and undeclared, `--write` touches nothing else in a commented file, and
the next plan is empty."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from tempoctl.desired.edit import EditError, merge_yaml
from tests.conftest import Workspace
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.anvil import DEV_KEYS
from tests.support.contracts import grant_role, send
from tests.support.local_state import tempovault_yaml, write_local_state

TRIPPED = "0x" + "ab" * 32
RESET = "0x" + "cd" * 32


def _commented(yaml: str) -> str:
    """The local state as an operator keeps it: a header, comments between and after keys, a block list."""
    text = "# TempoVault on the local devnet.\n# Reviewed by the ops team; keep the comments.\n\n" + yaml
    text = text.replace(f'      ADMIN: ["{A[0]}"]', f'      ADMIN: ["{A[0]}"]   # the deployer, for now')
    text = text.replace(f'      TREASURY_MANAGER: ["{A[3]}"]\n', "")  # held live, not declared at all
    text = text.replace(f'      STRATEGIST: ["{A[4]}"]',
                        f'      # strategists rotate monthly\n      STRATEGIST:\n        - "{A[4]}"   # desk A')
    text = text.replace("    paused: false", "    paused: false          # EMERGENCY unpauses")
    return text


def test_import_writes_undeclared_state_and_next_plan_is_empty(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    folder = write_local_state(workspace.root / "state" / "local", chain)
    assert workspace.run("apply", "local", "--auto-approve").exit_code == 0
    # By hand, from a console: a second admin, an extra strategist, a breaker tripped and another reset.
    grant_role(chain.url, chain.governance, "ADMIN", A[7])
    grant_role(chain.url, chain.governance, "STRATEGIST", A[8])
    for fn, pid in (("triggerCircuitBreaker", TRIPPED), ("triggerCircuitBreaker", RESET),
                    ("resetCircuitBreaker", RESET)):
        send(chain.url, chain.risk, "RiskController", fn, bytes.fromhex(pid[2:]), key=DEV_KEYS[1])
    original = _commented((folder / "tempovault.yaml").read_text())
    (folder / "tempovault.yaml").write_text(original)
    env_before = (folder / "environment.yaml").read_bytes()

    printed = workspace.run("import", "local")
    assert printed.exit_code == 0, printed.output
    assert (folder / "tempovault.yaml").read_text() == original  # printing writes nothing
    for expected in (A[7], A[8], A[3], TRIPPED, "TREASURY_MANAGER:", "broken: true"):
        assert expected in printed.stdout
    assert RESET not in printed.stdout  # tripped once, reset since: nothing live to import

    r = workspace.run("import", "local", "--write")
    assert r.exit_code == 0, r.output
    for address in (f"governance.role.ADMIN[{A[7]}]", f"governance.role.STRATEGIST[{A[8]}]",
                    f"governance.role.TREASURY_MANAGER[{A[3]}]", f"risk.circuit_breaker[pair-{'ab' * 4}]"):
        assert f"+ {address}" in r.stdout
    written = (folder / "tempovault.yaml").read_text()
    assert (folder / "environment.yaml").read_bytes() == env_before

    # Every line of the original survives byte for byte, in order, except the one flow list that grew.
    old, new = original.splitlines(), written.splitlines()
    ops = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    replaced = [(old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag == "replace"]
    assert all(tag in ("equal", "insert", "replace") for tag, *_ in ops)
    assert replaced == [([f'      ADMIN: ["{A[0]}"]   # the deployer, for now'],
                         [f'      ADMIN: ["{A[0]}", "{A[7]}"]   # the deployer, for now'])]
    inserted = [ln for tag, _, _, j1, j2 in ops if tag == "insert" for ln in new[j1:j2]]
    assert f'        - "{A[8]}"' in inserted
    assert f'      TREASURY_MANAGER: ["{A[3]}"]' in inserted
    assert any(TRIPPED in ln for ln in inserted)

    plan = workspace.run("plan", "local", "--format", "json", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert json.loads(plan.stdout)["changes"] == []
    again = workspace.run("import", "local")
    assert again.exit_code == 0 and "nothing to import" in again.stdout


def test_import_leaves_a_second_oracle_to_the_plan(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    """The oracle block says ORACLE is held by exactly one address: import cannot declare a second one."""
    write_local_state(workspace.root / "state" / "local", chain)
    grant_role(chain.url, chain.governance, "ORACLE", A[9])
    r = workspace.run("import", "local")
    assert r.exit_code == 0, r.output
    assert f"{A[9]} holds ORACLE" in r.stderr and "not imported" in r.stderr
    assert A[9] not in r.stdout
    # The deployer's silent EMERGENCY (reference §3) is live and undeclared: that one is imported.
    assert f'    roles:\n      EMERGENCY: ["{A[0]}"]\n' in r.stdout


def test_merge_keeps_everything_else_and_quotes_addresses() -> None:
    text = "# head\nroles:   # the members\n  ADMIN: ['0xAa']  # one\n\n# tail comment\nother: 1\n"
    out = merge_yaml(text, {"roles": {"ADMIN": ["0xBb"], "NEW": ["0x" + "1" * 40]}, "more": {"k": True}})
    assert out.startswith("# head\nroles:   # the members\n  ADMIN: ['0xAa', \"0xBb\"]  # one\n")
    assert '"0x1111111111111111111111111111111111111111"' in out  # never an integer to YAML 1.2
    assert "# tail comment\nother: 1\n" in out and out.endswith("more:\n  k: true\n")


def test_merge_refuses_a_file_it_cannot_reproduce(tmp_path: Path) -> None:
    odd = "a:\n  b: 1\nc:\n    d: 1\n"  # two- and four-space mappings mixed
    with pytest.raises(EditError, match="formatting cannot be kept"):
        merge_yaml(odd, {"a": {"d": 2}})


def test_write_is_refused_when_the_result_would_not_validate(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    from tempoctl.cli.import_cmd import write_additions
    from tempoctl.errors import ValidationError

    folder = write_local_state(workspace.root / "state" / "local", chain)
    before = (folder / "tempovault.yaml").read_text()
    bad = {folder / "tempovault.yaml": {"contracts": {"governance": {"roles": {"ADMIN": ["not-an-address"]}}}}}
    with pytest.raises(ValidationError):
        write_additions(folder, bad)
    assert (folder / "tempovault.yaml").read_text() == before
    assert tempovault_yaml(chain) == before
