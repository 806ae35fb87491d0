"""What a Terraform user and a CI job rely on (issue 10, items 2, 6, 7, 8 and the stale check's state files):
plan files recognised by content, exit 2 meaning only "changes/drift", `--target` typos caught, contracts
without code refused, a running apply's lock not released by mistake."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest

from tempoctl.backend import open_backend
from tempoctl.backend.holder import LockHolder, process_started
from tests.conftest import Workspace
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.local_state import write_local_state

# --- plan files by content ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tfplan", "plan.out"])
def test_a_plan_file_of_any_name_shows_and_applies(chain, workspace: Workspace, name: str) -> None:  # type: ignore[no-untyped-def]
    write_local_state(workspace.root / "state" / "local", chain)
    r = workspace.run("plan", "local", "--out", name)
    assert r.exit_code == 0, r.output
    assert f"tempoctl apply {name}" in r.output
    shown = workspace.run("show", name, "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["summary"]["create"] == 7
    r = workspace.run("apply", name)
    assert r.exit_code == 0, r.output + r.stderr
    assert "Re-plan after apply: no changes" in r.output


@pytest.mark.parametrize("content", ["hello\n", "environment: local\nnetworks: {}\n", '{"a": 1}\n'])
def test_a_file_that_is_not_a_plan_is_a_clear_error(workspace: Workspace, content: str) -> None:
    (workspace.root / "notes.txt").write_text(content)
    for cmd in (("apply", "notes.txt"), ("show", "notes.txt")):
        r = workspace.run(*cmd)
        assert r.exit_code == 1, r.output
        assert "notes.txt" in r.stderr
        assert "is not a tempoctl plan" in r.stderr or "not valid JSON" in r.stderr
        assert "no environment" not in r.stderr and "Traceback" not in r.output


def test_completion_offers_plans_by_content(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    from tempoctl.cli.completion import complete_env_or_plan
    from tempoctl.plan.model import Plan
    from tempoctl.plan.planfile import save_plan

    plan = Plan(environment="local", created_at="2026-01-01T00:00:00+00:00", tool_version="0")
    save_plan(plan, workspace.root / "tfplan")
    save_plan(plan, workspace.root / "plans" / "local.json")
    (workspace.root / "plans" / "local-admin-safe-batch.json").write_text('{"version": "1.0", "transactions": []}')
    (workspace.root / "plans" / "tx.xdr").write_text("AAAA\n")
    (workspace.root / "state" / "local").mkdir(parents=True)
    monkeypatch.chdir(workspace.root)
    offered = [c.value for c in complete_env_or_plan(None, None, "")]  # type: ignore[arg-type]
    assert offered == ["local", "tfplan", "plans/local.json"]
    assert [c.value for c in complete_env_or_plan(None, None, "plans/")] == ["plans/local.json"]  # type: ignore[arg-type]


# --- exit codes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [("plan", "--nope"), ("drift", "--format", "yaml"), ("lock", "release"),
                                  ("--bogus", "plan"), ("apply", "--lock-timeout")])
def test_usage_errors_exit_1_never_2(workspace: Workspace, args: tuple[str, ...]) -> None:
    r = workspace.run(*args)
    assert r.exit_code == 1, (r.exit_code, r.output)
    assert "Error:" in r.stderr and "Traceback" not in r.output


def test_a_target_that_matches_nothing_is_an_error_with_suggestions(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    write_local_state(workspace.root / "state" / "local", chain)
    r = workspace.run("plan", "local", "--target", "governance.role.ORACEL")
    assert r.exit_code == 1, r.output
    assert "--target matches no resource address" in r.stderr
    assert "did you mean governance.role.ORACLE" in r.stderr
    r = workspace.run("plan", "local", "--target", "govrnance", "--detailed-exitcode")
    assert r.exit_code == 1 and "did you mean governance" in r.stderr
    r = workspace.run("apply", "local", "--auto-approve", "--target", "riks")
    assert r.exit_code == 1 and "did you mean risk" in r.stderr
    # A real target with nothing to change is still "No changes", exit 0.
    assert workspace.run("apply", "local", "--auto-approve").exit_code == 0
    r = workspace.run("plan", "local", "--target", "governance", "--detailed-exitcode")
    assert r.exit_code == 0 and "No changes" in r.output


# --- no code at a contract address -------------------------------------------------------------------------


def test_a_contract_address_without_code_is_refused_at_plan(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    folder = write_local_state(workspace.root / "state" / "local", chain)
    yaml = folder / "tempovault.yaml"
    nobody = A[9]  # an account with a balance and no code
    yaml.write_text(yaml.read_text().replace(chain.governance, nobody)
                    .replace("    unlisted_members: revoke", "    unlisted_members: revoke\n    from_block: 0", 1))
    for cmd in (("plan", "local"), ("apply", "local", "--auto-approve"), ("drift", "local")):
        r = workspace.run(*cmd)
        assert r.exit_code == 1, r.output
        assert f"no contract code at {nobody} on anvil (block " in r.stderr, r.stderr
        assert "tempovault.yaml:" in r.stderr and "not enumerable" not in r.output + r.stderr


def test_the_code_check_costs_no_round_trip(chain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tempoctl.desired import load_environment
    from tempoctl.observed.evm.client import EvmClient
    from tempoctl.plan.build import PlanOptions, build_plan

    env = load_environment(write_local_state(tmp_path / "local", chain))
    client = EvmClient(chain.url)
    _, obs = build_plan(env, PlanOptions(simulate=False), clients={"anvil": client})
    # chain id + block + 5 observation rounds (the vault's approval-log scan is the fifth), exactly as with
    # the eth_getCode requests taken out of the engine (measured): every contract's eth_getCode rides in the
    # first round's batch.
    assert obs.round_trips == 5 and client.round_trips == 7


# --- lock release ------------------------------------------------------------------------------------------


def test_lock_release_refuses_a_holder_still_running_on_this_host(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    write_local_state(workspace.root / "state" / "local", chain)
    running = subprocess.Popen(["sleep", "600"])
    try:
        holder = LockHolder("local", "0123456789ab", "ops", socket.gethostname(), running.pid,
                            process_started(running.pid), "apply local", "2026-11-23T10:00:00Z")
        with open_backend("sqlite:///.tempoctl/local.db", workspace.root) as b:
            b._write_holder(holder)
        r = workspace.run("lock", "release", "local", "--id", "0123456789ab", "--yes")
        assert r.exit_code == 1, r.output
        assert f"still running on this host (pid {running.pid}" in r.stderr and "--force" in r.stderr
        assert "0123456789ab" in workspace.run("lock", "status", "local").output
        r = workspace.run("lock", "release", "local", "--id", "0123456789ab", "--yes", "--force")
        assert r.exit_code == 0, r.output
        assert "in-flight transactions" in r.stderr and "Released lock 0123456789ab" in r.output
    finally:
        running.kill()
        running.wait()
    # A pid reused by another process (different start time) does not count as the holder.
    with open_backend("sqlite:///.tempoctl/local.db", workspace.root) as b:
        b._write_holder(LockHolder("local", "0123456789ac", "ops", socket.gethostname(), 1, "123",
                                   "apply local", "2026-11-23T10:00:00Z"))
    r = workspace.run("lock", "release", "local", "--id", "0123456789ac", "--yes")
    assert r.exit_code == 0, r.output


# --- the stale check's state files -------------------------------------------------------------------------


def test_a_saved_plan_is_stale_when_the_state_files_changed(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    """An edit of the state files that does not change the plan itself (a comment here; a signer's key
    reference or a backend in real life) still makes the saved plan stale: it was reviewed against other
    files. Only the state-digest comparison catches this one, so removing it fails this test."""
    folder = write_local_state(workspace.root / "state" / "local", chain)
    assert workspace.run("plan", "local", "--out", "plans/local.json").exit_code == 0
    with (folder / "tempovault.yaml").open("a") as fh:
        fh.write("# reviewed by nobody\n")
    r = workspace.run("apply", "plans/local.json", "--auto-approve")
    assert r.exit_code == 1, r.output
    assert "Saved plan is stale" in r.stderr
    assert "the state files of local changed since the plan was made" in r.stderr
