"""Policies through the CLI on a real anvil: `plan` shows the verdict in text, JSON and Markdown and exits 1 on a
deny; `apply` (interactive and of a saved plan) refuses a denied plan naming the rule and the change, with
nothing sent (block number and every signer's nonce unchanged); a broken policy is a clear error naming the
file; a pull request that edits a policy or drops the `production` label is still judged by the trusted
base's policies and labels."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.conftest import Workspace
from tests.policies.support import POLICIES
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.local_state import write_local_state

RULE = "policies/max_revocations.rego"
REVOKE = f"governance.role.EMERGENCY[{A[0]}]"  # the fresh deployment's deployer holds EMERGENCY: revoked


def _setup(ws: Workspace, chain, limit: int, production: bool = True) -> Path:  # type: ignore[no-untyped-def]
    folder = write_local_state(ws.root / "state" / "local", chain)
    if production:
        with (folder / "environment.yaml").open("a") as fh:
            fh.write("labels: {production: true}\n")
    shutil.copytree(POLICIES, ws.root / "policies")
    _limit(ws.root, limit)
    return folder


def _limit(root: Path, limit: int) -> None:
    data = json.loads((root / "policies" / "data.json").read_text())
    data["max_revocations_per_plan"] = limit
    (root / "policies" / "data.json").write_text(json.dumps(data))


def _sent_state(anvil) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    return (anvil.rpc("eth_blockNumber"),
            *(anvil.rpc("eth_getTransactionCount", [a, "latest"]) for a in A[:4]))


def test_plan_shows_the_verdict_and_apply_refuses_a_denied_plan(chain, anvil, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    _setup(workspace, chain, limit=0)
    r = workspace.run("plan", "local")
    assert r.exit_code == 1, r.output
    assert "Policy: 1 denied (5 policy files from the working tree)." in r.stdout
    assert f"  deny  {RULE}: production: 1 role revocations in one plan (at most 0): {REVOKE}" in r.stdout
    assert f"{RULE}: deny: production: 1 role revocations" in r.stderr  # the error names the rule and change

    r = workspace.run("plan", "local", "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)  # stdout stays one JSON document, whatever the engine prints
    assert doc["policy"]["source"] == "the working tree"
    assert doc["policy"]["deny"] == [{"policy": RULE, "message": "production: 1 role revocations in one plan "
                                      f"(at most 0): {REVOKE}"}]
    assert doc["policy"]["warn"] == [] and len(doc["policy"]["files"]) == 5

    r = workspace.run("plan", "local", "--format", "markdown")
    assert "**❌ Policy: 1 denied (5 policy files from the working tree).**" in r.stdout
    assert "_apply refuses this plan while any deny rule holds._" in r.stdout

    r = workspace.run("plan", "local", "--out", "plan.json")
    assert r.exit_code == 1 and (workspace.root / "plan.json").is_file()
    before = _sent_state(anvil)
    for args in (("apply", "local", "--auto-approve"), ("apply", "plan.json")):
        r = workspace.run(*args)
        assert r.exit_code == 1, r.output
        assert "policy rule(s) deny this plan of local: apply refuses it, nothing is sent" in r.stderr
        assert f"{RULE}: deny: production: 1 role revocations in one plan (at most 0): {REVOKE}" in r.stderr
        assert "Applying" not in r.stdout
        assert _sent_state(anvil) == before  # nothing sent: no block mined, no nonce used

    _limit(workspace.root, 3)  # the same plan within the limit: applied
    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert "Policy: passed (5 policy files from the working tree)." in r.stdout
    assert _sent_state(anvil) != before


def test_a_broken_policy_is_a_clear_error_naming_the_file(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    _setup(workspace, chain, limit=3)
    (workspace.root / "policies" / "broken.rego").write_text(
        "package tempoctl\n\ndeny contains msg if {\n  msg := \n}\n")
    r = workspace.run("plan", "local", "--format", "json")
    assert r.exit_code == 1
    assert r.stdout == ""  # no half plan, and nothing the engine printed
    assert "Error: policies/broken.rego: the policy cannot be evaluated" in r.stderr
    assert "policies/broken.rego:3:" in r.stderr and "Traceback" not in r.output
    (workspace.root / "policies" / "broken.rego").write_text("package main\n\ndeny contains 1 if { true }\n")
    r = workspace.run("plan", "local")
    assert r.exit_code == 1
    assert "policies/broken.rego: defines neither `deny` nor `warn` in `package tempoctl`" in r.stderr


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.email=t@example.invalid", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


def test_a_pull_request_is_judged_by_the_trusted_base_policies(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    folder = _setup(workspace, chain, limit=0)
    root = workspace.root
    (root / ".gitignore").write_text(".tempoctl/\nhome/\ncrash/\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base: at most 0 revocations in production")
    _git(root, "checkout", "-qb", "pr")
    # The pull request loosens the rule, deletes another policy and drops the production label.
    _limit(root, 10)
    (root / "policies" / "production_admin_safe.rego").unlink()
    env_yaml = folder / "environment.yaml"
    env_yaml.write_text(env_yaml.read_text().replace("labels: {production: true}\n", ""))
    _git(root, "commit", "-qam", "pr: loosen the policy")

    r = workspace.run("plan", "local", "--trusted-base", "main", "--format", "json")
    assert r.exit_code == 1, r.output
    policy = json.loads(r.stdout)["policy"]
    assert policy["source"].startswith("the trusted base main (")
    assert "policies/production_admin_safe.rego" in policy["files"]
    assert [d["policy"] for d in policy["deny"]] == [RULE]
    assert policy["deny"][0]["message"].startswith("production: 1 role revocations in one plan (at most 0)")

    # Without a trusted base the working tree is trusted (an operator's own checkout): the PR's rules apply.
    r = workspace.run("plan", "local", "--format", "json")
    assert r.exit_code == 0, r.output
    policy = json.loads(r.stdout)["policy"]
    assert policy["source"] == "the working tree" and policy["deny"] == [] and len(policy["files"]) == 4
