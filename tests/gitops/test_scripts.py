"""The GitOps scripts as Actions runs them (real processes, the session's anvil, a recorded GitHub API):
one plan comment per environment edited in place; apply on merge only of the reviewed fingerprint; one drift
issue per environment opened, updated, closed."""

from __future__ import annotations

import json
import re
import shutil

from tests.gitops.conftest import SECRETS, Checkout
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.contracts import call, grant_role, role_id
from tests.support.github_recorder import BOT

PR = 7
PR_EVENT = {"pull_request": {"number": PR}}


def _bot_comments(co: Checkout, number: int = PR) -> list[dict]:  # type: ignore[type-arg]
    return [c for c in co.gh.comments.get(number, []) if c["user"]["login"] == BOT]


def _no_secret_anywhere(co: Checkout, *texts: str) -> None:
    everything = "\n".join(texts) + json.dumps([r.body for r in co.gh.requests])
    for secret in (*SECRETS.values(),):
        assert secret not in everything


def test_plan_posts_one_comment_then_edits_it(checkout: Checkout) -> None:
    co = checkout
    # Someone else's comment carrying the marker and a made-up fingerprint: never edited, never trusted.
    forged = co.gh.add_comment(PR, "<!-- tempoctl-plan: local -->\n<!-- tempoctl-fingerprint: sha256:" + "0" * 64
                               + " -->", "mallory")
    co.gh.add_comment(PR, "LGTM", "alice")

    first = co.run("plan_comment.py", "local", event=PR_EVENT)
    assert first.returncode == 0, first.stderr
    [comment] = _bot_comments(co)
    plan = json.loads((co.root / "plans" / "local.json").read_text())
    assert plan["changes"], "the fresh deployment needs changes"
    assert comment["body"].startswith("<!-- tempoctl-plan: local -->\n### tempoctl plan (pull request) — local")
    assert "Review aid" in comment["body"] and "authorizes nothing" in comment["body"]
    assert f"fingerprint `{plan['fingerprint']}`" in comment["body"]
    assert comment["body"].count("<!--") == 1  # only its own marker line: nothing hidden, nothing to spoof
    assert f"governance.role.ORACLE[{A[6]}]"[:20] in comment["body"]
    assert len(comment["body"]) < 65535
    assert co.outputs()["fingerprint"] == plan["fingerprint"]
    assert plan["fingerprint"] in (co.root / ".summary").read_text()

    second = co.run("plan_comment.py", "local", event=PR_EVENT)
    assert second.returncode == 0, second.stderr
    assert [c["id"] for c in _bot_comments(co)] == [comment["id"]]  # the same comment, edited
    posts = [r for r in co.gh.writes() if r.method == "POST"]
    patches = [r for r in co.gh.writes() if r.method == "PATCH"]
    assert len(posts) == 1 and len(patches) == 1
    assert patches[0].path.endswith(f"/issues/comments/{comment['id']}")
    assert forged["body"].endswith("0" * 64 + " -->") and len(co.gh.comments[PR]) == 3
    _no_secret_anywhere(co, first.stdout, first.stderr, second.stdout, second.stderr,
                        (co.root / "plans" / "local.json").read_text())


def test_a_bot_comment_is_found_only_by_its_exact_first_line(checkout: Checkout) -> None:
    co = checkout
    co.gh.add_comment(PR, "quoting: <!-- tempoctl-plan: local -->\nnot ours", "github-actions[bot]")
    co.gh.add_comment(PR, "<!-- tempoctl-plan: local --> and more\nnot ours either", "github-actions[bot]")
    assert co.run("plan_comment.py", "local", event=PR_EVENT).returncode == 0
    ours = [c for c in _bot_comments(co) if c["body"].startswith("<!-- tempoctl-plan: local -->\n")]
    assert len(ours) == 1 and len(_bot_comments(co)) == 3
    assert [r.method for r in co.gh.writes()] == ["POST"]  # neither look-alike was edited


def test_plan_failure_replaces_the_reviewable_fingerprint(checkout: Checkout) -> None:
    co = checkout
    assert co.run("plan_comment.py", "local", event=PR_EVENT).returncode == 0
    bad = co.root / "state" / "local" / "tempovault.yaml"
    bad.write_text(bad.read_text().replace("maxTickDeviation: 150", "maxTickDeviation: lots"))
    r = co.run("plan_comment.py", "local", event=PR_EVENT)
    assert r.returncode == 1
    [comment] = _bot_comments(co)
    assert "`tempoctl validate` failed" in comment["body"]
    assert "tempovault.yaml:" in comment["body"] and "tempoctl-fingerprint" not in comment["body"]


def test_the_merged_pull_request_is_found_exactly_or_nothing_is_planned(checkout: Checkout) -> None:
    co = checkout
    # A merged PR that merely contains the commit (its merge commit is another one) is not this push's PR.
    co.gh.commit_pulls[co.sha] = [{"number": PR, "merged_at": "2026-11-23T14:00:00Z", "merge_commit_sha": "b2" * 20}]
    for script, extra in (("plan_main.py", ()), ("apply_approved.py", ("plans/local.json",))):
        r = co.run(script, "local", *extra)
        assert r.returncode == 1 and "not the merge commit of exactly one merged pull request" in r.stderr, r.stderr
    assert not co.gh.writes()
    assert not call(co.chain.url, co.chain.governance, "GovernanceRoles", "hasRole", role_id("ORACLE"), A[6])


def test_drift_opens_updates_and_closes_one_issue_per_environment(checkout: Checkout) -> None:
    co = checkout
    other = co.root / "state" / "staging"
    shutil.copytree(co.root / "state" / "local", other)
    env_yaml = other / "environment.yaml"
    env_yaml.write_text(env_yaml.read_text().replace("environment: local", "environment: staging"))

    for name in ("local", "staging"):
        r = co.run("drift_issue.py", name, "--prometheus", f"metrics/{name}.prom")
        assert r.returncode == 2, r.stdout + r.stderr
    assert sorted(i["title"].split(":")[0] for i in co.gh.issues.values()) == ["Drift in local", "Drift in staging"]
    local = next(i for i in co.gh.issues.values() if "tempoctl-drift: local" in i["body"])
    assert local["labels"] == [{"name": "tempoctl-drift"}] and "| `governance.role." in local["body"]
    assert (co.root / "metrics" / "local.prom").read_text().count('tempoctl_drift_check_success{environment="local"} 1')

    r = co.run("drift_issue.py", "local")  # unchanged drift: same issue, body refreshed, nobody notified
    assert r.returncode == 2 and len(co.gh.issues) == 2
    assert not co.gh.comments.get(local["number"])

    grant_role(co.chain.url, co.chain.governance, "ORACLE", A[8])  # more drift: same issue, one comment saying what changed
    assert co.run("drift_issue.py", "local").returncode == 2
    assert len(co.gh.issues) == 2 and f"ORACLE[{A[8]}]" in local["body"]
    [note] = co.gh.comments[local["number"]]
    assert "changed" in note["body"]

    env = {"LOCAL_ADMIN_KEY": SECRETS["LOCAL_ADMIN_KEY"], "LOCAL_RISK_OFFICER_KEY": SECRETS["LOCAL_RISK_OFFICER_KEY"],
           "LOCAL_EMERGENCY_KEY": SECRETS["LOCAL_EMERGENCY_KEY"]}
    from tests.conftest import Workspace

    assert Workspace(co.root, env).run("apply", "local", "--auto-approve").exit_code == 0
    r = co.run("drift_issue.py", "local")
    assert r.returncode == 0, r.stdout + r.stderr
    assert local["state"] == "closed" and "No drift left" in co.gh.comments[local["number"]][-1]["body"]
    staging = next(i for i in co.gh.issues.values() if "tempoctl-drift: staging" in i["body"])
    assert staging["state"] == "open"

    broken = co.root / "state" / "broken"
    shutil.copytree(co.root / "state" / "local", broken)
    (broken / "environment.yaml").write_text(re.sub(r"TEMPOCTL_LOCAL_RPC:-[^}]+", "TEMPOCTL_LOCAL_RPC:-http://127.0.0.1:9",
                                                    (broken / "environment.yaml").read_text())
                                             .replace("environment: local", "environment: broken"))
    before = len(co.gh.writes())
    r = co.run("drift_issue.py", "broken", "--prometheus", "metrics/broken.prom")
    assert r.returncode == 1 and len(co.gh.writes()) == before
    assert 'tempoctl_drift_check_success{environment="broken"} 0' in (co.root / "metrics/broken.prom").read_text()
