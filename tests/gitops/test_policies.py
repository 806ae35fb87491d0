"""Policies (policies/*.rego, issue 16) in the GitOps flow, through the committed workflows (tests/gitops/runner.py,
a real git origin, the GitHub API stand-in, anvil): the pull request's plan job evaluates main's policies
(`--trusted-base`), shows the verdict in its comment and fails on a deny, also when the pull request edits
the policy; a denied change merged anyway is refused by the plan on main, and nothing is applied."""

from __future__ import annotations

import json
import re
import shutil

from tests.gitops.test_trust import World, _bot, _logs, world  # noqa: F401 - the fixture
from tests.policies.support import POLICIES
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.contracts import call, role_id

RULE = "policies/max_revocations.rego"


def _strategist(w: World) -> bool:
    return bool(call(w.chain.url, w.chain.governance, "GovernanceRoles", "hasRole", role_id("STRATEGIST"), A[4]))


def _data(limit: int) -> str:
    data = json.loads((POLICIES / "data.json").read_text())
    data["max_revocations_per_plan"] = limit
    return json.dumps(data)


def test_main_policies_judge_pull_requests_and_the_plan_on_main(world: World) -> None:  # noqa: F811
    w = world
    shutil.copytree(POLICIES, w.origin / "policies")
    (w.origin / "policies" / "data.json").write_text(_data(0))  # production: no revocation at all
    env_yaml = w.origin / "state" / "local" / "environment.yaml"
    env_yaml.write_text(env_yaml.read_text() + "labels: {production: true}\n")
    w.git("add", "-A")
    w.git("commit", "-qm", "policies: no revocations in production")
    revoke = re.sub(r'STRATEGIST: \["0x[0-9a-fA-F]{40}"\]', "STRATEGIST: []", w.state("state/local/tempovault.yaml"))

    # A pull request that revokes a member and loosens the policy in the same change: judged by main's.
    number, _, run = w.open_pr({"state/local/tempovault.yaml": revoke, "policies/data.json": _data(10)})
    assert run is not None and run.jobs["plan"].status == "failure", _logs(run)
    [comment] = _bot(w, number)
    assert "❌ Policy: 1 denied (5 policy files from the trusted base " in comment["body"]
    assert f"{RULE}: production: 1 role revocations in one plan (at most 0): governance.role.STRATEGIST[" \
        in comment["body"]
    assert "apply refuses this plan while any deny rule holds" in comment["body"]

    # The same revocation alone, merged anyway: main's plan job refuses it and nothing is applied.
    number, _, run = w.open_pr({"state/local/tempovault.yaml": revoke})
    assert run is not None and run.jobs["plan"].status == "failure"
    before, sha = w.merge(number)
    run = w.push(before, sha)
    assert run.jobs["plan"].status == "failure", _logs(run)
    assert "apply" not in run.jobs or run.jobs["apply"].status != "success"
    assert "Policies deny the plan on main" in run.published()
    assert _strategist(w)  # still holds STRATEGIST: nothing was sent
