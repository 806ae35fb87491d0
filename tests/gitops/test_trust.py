"""The GitOps trust chain, attacked through the committed workflows (run by tests/gitops/runner.py against a
real git origin, the GitHub API stand-in, anvil and a shared PostgreSQL backend): nothing a pull request
controls authorizes an apply, no replay, no missed merge, no secret in pull-request jobs, env-file secrets
on main. Each test is an attack from the issue (tracker 11) and failed on the workflows before it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.gitops.runner import Actions, Environment, Run
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.anvil import DEV_KEYS
from tests.support.contracts import call, role_id, web3_of
from tests.support.github_recorder import BOT, serve
from tests.support.local_state import write_local_state
from tests.support.postgres import Postgres

KEYS = {"LOCAL_ADMIN_KEY": DEV_KEYS[0], "LOCAL_RISK_OFFICER_KEY": DEV_KEYS[1], "LOCAL_EMERGENCY_KEY": DEV_KEYS[2]}
API_TOKEN = "env-file-secret-0123456789abcdef"
BACKEND_VAR = "${TEMPOCTL_BACKEND:-sqlite:///.tempoctl/local.db}"
TRUSTED_BASE = "--trusted-base" in subprocess.run([sys.executable, "-m", "tempoctl", "validate", "--help"],
                                                  capture_output=True, text=True, check=False).stdout


@dataclass
class World:
    actions: Actions
    origin: Path
    chain: Any
    srv: Path
    next_pr: int = 7

    def git(self, *args: str, cwd: Path | None = None) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                              cwd=cwd or self.origin, capture_output=True, text=True, check=True).stdout.strip()

    def head(self) -> str:
        return self.git("rev-parse", "main")

    def open_pr(self, files: dict[str, str | None], *, plan: bool = True, fork: bool = False) -> tuple[int, str, Run | None]:
        """A branch off main with `files` changed (None deletes); plan.yml runs on it like GitHub would."""
        number = self.next_pr
        self.next_pr += 1
        base = self.head()
        self.git("checkout", "-q", "-b", f"pr{number}", "main")
        for rel, text in files.items():
            path = self.origin / rel
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        self.git("add", "-A")
        self.git("commit", "-qm", f"pr {number}")
        head = self.git("rev-parse", "HEAD")
        self.git("checkout", "-q", "main")
        run = None
        if plan:
            repo = {"full_name": "someone/fork" if fork else self.actions.gh.repo, "fork": fork}
            event = {"pull_request": {"number": number, "base": {"sha": base}, "head": {"sha": head, "repo": repo}},
                     "repository": {"full_name": self.actions.gh.repo}}
            run = self.actions.run("plan.yml", "pull_request", event, head, fork=fork)
        return number, head, run

    def merge(self, number: int) -> tuple[str, str]:
        """Merge PR `number` into main (a merge commit); returns (before, merge commit)."""
        before = self.head()
        self.git("merge", "-q", "--no-ff", "-m", f"Merge pull request #{number}", f"pr{number}")
        sha = self.head()
        self.actions.gh.commit_pulls[sha] = [{"number": number, "merged_at": "2026-12-04T12:00:00Z",
                                              "merge_commit_sha": sha}]
        return before, sha

    def push(self, before: str, sha: str, approve: Any = None, rerun_of: Run | None = None) -> Run:
        event = {"before": before, "after": sha, "ref": "refs/heads/main"}
        return self.actions.run("apply.yml", "push", event, sha, approve=approve or approve_all, rerun_of=rerun_of)

    def state(self, rel: str) -> str:
        return (self.origin / rel).read_text()


def approve_all(run: Run, job: str, env: str) -> bool:
    return True


def careful_reviewer(seen: list[str]) -> Any:
    """Approves a deployment only when this run itself (trusted code on main) published the plan to approve."""
    def approve(run: Run, job: str, env: str) -> bool:
        published = run.published()
        seen.append(published)
        return bool(re.search(r"fingerprint `sha256:[0-9a-f]{64}`", published))
    return approve


def env_file_env(name: str, srv: Path, value: str, *, secret: bool = False) -> str:
    token = "\n          API_TOKEN: {secret: env:API_TOKEN}" if secret else ""
    return (f"environment: {name}\nbackend: {BACKEND_VAR}\nhosts:\n  app:\n    connection: local\n"
            f"    roots: [\"{srv}\"]\n    env_files:\n      {srv / (name + '.env')}:\n        values:\n          MODE: \"{value}\"{token}\n")


@pytest.fixture
def world(chain: Any, postgres: Postgres, tmp_path: Path) -> Iterator[World]:
    origin = tmp_path / "origin"
    write_local_state(origin / "state" / "local", chain)
    env_yaml = origin / "state" / "local" / "environment.yaml"
    env_yaml.write_text(env_yaml.read_text().replace("backend: sqlite:///.tempoctl/local.db", f"backend: {BACKEND_VAR}"))
    srv = tmp_path / "srv"
    srv.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=origin, check=True)
    backend = postgres.url(postgres.create_database())
    main_secrets = {"TEMPOCTL_BACKEND": backend, "API_TOKEN": API_TOKEN}
    import os

    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "LOCAL_", "TEMPOCTL_", "PG"))}
    base_env.update(postgres.env())
    base_env["HOME"] = str(tmp_path / "home")
    if not TRUSTED_BASE:  # until tempoctl has --trusted-base (issue 7), the PR job plans without it, saying so
        base_env["TEMPOCTL_GITOPS_ALLOW_NO_TRUSTED_BASE"] = "1"
    with serve(page_size=2) as gh:
        actions = Actions(origin=origin, gh=gh, workdir=tmp_path / "runs", base_env=base_env,
                          repo_secrets={"TEMPOCTL_BACKEND": backend},
                          environments={
                              # Signer keys (and what apply needs) only behind required reviewers, on main.
                              "local": Environment({**KEYS, "TEMPOCTL_SECRETS": json.dumps({**KEYS, **main_secrets})},
                                                   reviewers=True),
                              **{n: Environment({"TEMPOCTL_SECRETS": json.dumps(main_secrets)}, reviewers=True)
                                 for n in ("a", "b", "c")},
                              # What plan and drift jobs on main read with: backend, env-file secrets.
                              "tempoctl-main": Environment({"TEMPOCTL_SECRETS": json.dumps(main_secrets)}),
                          })
        w = World(actions, origin, chain, srv)
        w.git("add", "-A")
        w.git("commit", "-qm", "base")
        # The chain already matches main (applied by hand before GitOps), so each PR's plan is just its change.
        converge = subprocess.run([sys.executable, "-m", "tempoctl", "--no-color", "apply", "local", "--auto-approve"],
                                  cwd=origin, env={**base_env, **KEYS, "TEMPOCTL_BACKEND": f"sqlite:///{tmp_path}/by-hand.db"},
                                  capture_output=True, text=True, check=False)
        assert converge.returncode == 0, converge.stdout + converge.stderr
        yield w


def _oracle(w: World, who: str) -> bool:
    return bool(call(w.chain.url, w.chain.governance, "GovernanceRoles", "hasRole", role_id("ORACLE"), who))


def _paused(w: World) -> bool:
    return bool(call(w.chain.url, w.chain.risk, "RiskController", "paused"))


def _bot(w: World, number: int) -> list[dict[str, Any]]:
    return [c for c in w.actions.gh.comments.get(number, []) if c["user"]["login"] == BOT]


def _logs(run: Run) -> str:
    return "\n".join(j.log for j in run.jobs.values())


def _with_pause(w: World, paused: bool) -> str:
    text = w.state("state/local/tempovault.yaml")
    return re.sub(r"paused: (true|false)", f"paused: {'true' if paused else 'false'}", text, count=1)


# --- 1. a spoofed marker in an error comment --------------------------------------------------------------
def test_spoofed_marker_in_an_error_comment_is_inert(world: World) -> None:
    w = world
    spoof = "<!-- tempoctl-plan: local --> <!-- tempoctl-fingerprint: sha256:" + "1" * 64 + " -->"
    number, _, run = w.open_pr({"state/local/tempovault.yaml": _with_pause(w, True),
                                "state/scratch/environment.yaml": f"environment: scratch\n\"{spoof}\": 1\n"})
    assert run is not None
    scratch = next(c for c in _bot(w, number) if "scratch" in c["body"].split("\n", 1)[0])
    assert scratch["body"].split("\n", 1)[0] == "<!-- tempoctl-plan: scratch -->"
    # The echoed key is escaped: the bot's comment carries no marker but its own first line.
    assert "<!--" not in scratch["body"].split("\n", 1)[1]
    [local] = [c for c in _bot(w, number) if "<!-- tempoctl-plan: local -->" in c["body"]]
    assert local["body"].startswith("<!-- tempoctl-plan: local -->\n")
    before, sha = w.merge(number)
    push = w.push(before, sha)
    assert _paused(w), _logs(push)  # applied: what was approved on main, whatever the PR's comments say
    [applied] = [c for c in _bot(w, number) if c["body"].startswith("<!-- tempoctl-apply: local -->\n")]
    assert "✅ Applied" in applied["body"] and "1" * 64 not in applied["body"]
    assert push.jobs["apply"].status == "failure"  # the scratch leg: its plan failed, so it has nothing to apply


# --- 2. an edited bot comment -----------------------------------------------------------------------------
def test_an_edited_bot_comment_authorizes_nothing(world: World) -> None:
    w = world
    number, _, _ = w.open_pr({"state/local/tempovault.yaml": _with_pause(w, True)})
    [comment] = [c for c in _bot(w, number) if c["body"].startswith("<!-- tempoctl-plan: local -->")]
    # A collaborator rewrites the bot's comment: "no changes", any fingerprint they like.
    comment["body"] = "<!-- tempoctl-plan: local -->\n### tempoctl plan — local\n\n**No changes.**\n"
    seen: list[str] = []
    before, sha = w.merge(number)
    push = w.push(before, sha, approve=careful_reviewer(seen))
    # The person approving saw the real plan, published by the workflow on main, and that is what ran.
    assert seen and "paused" in seen[0] and "No changes" not in seen[0], _logs(push)
    assert _paused(w), _logs(push)


# --- 3. a forged artifact of a pull-request run -------------------------------------------------------------
def test_a_forged_pull_request_artifact_is_never_applied(world: World, tmp_path: Path) -> None:
    w = world
    number, _, pr_run = w.open_pr({"state/local/tempovault.yaml": _with_pause(w, True)})
    assert pr_run is not None
    # The pull request's own code (it controls plan.yml and ci/) uploads a plan of its choosing: grant ORACLE
    # to an attacker, "fingerprint" and all.
    forged = tmp_path / "forged"
    forged.mkdir()
    (forged / "local.json").write_text(json.dumps({"environment": "local", "fingerprint": "sha256:" + "2" * 64,
                                                   "changes": [{"address": f"governance.role.ORACLE[{A[9]}]"}]}))
    w.actions.artifacts.setdefault(pr_run.id, {})["tempoctl-plan-local"] = forged
    w.actions.gh.add_comment(number, "<!-- tempoctl-plan: local -->\n**No changes.**\n"
                             "<!-- tempoctl-fingerprint: sha256:" + "2" * 64 + " -->", BOT)
    seen: list[str] = []
    before, sha = w.merge(number)
    push = w.push(before, sha, approve=careful_reviewer(seen))
    assert _paused(w), _logs(push)
    assert not _oracle(w, A[9])
    assert "2" * 64 not in "\n".join(seen)


# --- 4. a re-run of an old commit's apply after main changed the environment -------------------------------
def test_rerun_of_an_old_apply_sends_nothing(world: World) -> None:
    w = world
    first_pr, _, _ = w.open_pr({"state/local/tempovault.yaml": _with_pause(w, True)})
    before1, first = w.merge(first_pr)
    run1 = w.push(before1, first)
    assert _paused(w), _logs(run1)
    number, _, _ = w.open_pr({"state/local/tempovault.yaml": _with_pause(w, False)})
    before2, second = w.merge(number)
    run2 = w.push(before2, second)
    assert not _paused(w), _logs(run2)

    block = web3_of(w.chain.url).eth.block_number
    rerun = w.push(before1, first, rerun_of=run1)  # "Re-run all jobs" of the first merge's run
    assert not _paused(w), "a re-run of an old run must not re-apply the old state"
    assert web3_of(w.chain.url).eth.block_number == block, "nothing may be sent"
    assert "is not what main says" in _logs(rerun), _logs(rerun)
    assert "is not what main says" in rerun.published()  # said where the person looking at the run sees it
    [kept] = [c for c in _bot(w, first_pr) if c["body"].startswith("<!-- tempoctl-apply: local -->\n")]
    assert "✅ Applied" in kept["body"]  # the merged PR keeps the record of what its own run did


def test_rerun_of_only_the_apply_job_is_refused_by_tempoctl(world: World) -> None:
    """Even without the plan job's check (an old workflow, a re-run of one job), the backend refuses."""
    w = world
    number, _, _ = w.open_pr({"state/local/tempovault.yaml": _with_pause(w, True)})
    before, first = w.merge(number)
    assert w.push(before, first).jobs["apply"].status == "success"
    number, _, _ = w.open_pr({"state/local/tempovault.yaml": _with_pause(w, False)})
    before2, second = w.merge(number)
    w.push(before2, second)
    assert not _paused(w)
    # The first commit's checkout, applied with --gitops-main against a main that has not been fetched (the
    # old commit itself): only the backend's record of the applied commit stands in the way.
    ws = w.actions.workdir / "manual"
    w.git("clone", "-q", str(w.origin), str(ws), cwd=w.actions.workdir)
    w.git("checkout", "-q", "--detach", first, cwd=ws)
    env = dict(w.actions.base_env, TEMPOCTL_BACKEND=json.loads(w.actions.environments["local"].secrets["TEMPOCTL_SECRETS"])["TEMPOCTL_BACKEND"], **KEYS)
    plan = subprocess.run([sys.executable, "-m", "tempoctl", "--no-color", "plan", "local", "--out", "p.json"], cwd=ws,
                          env=env, capture_output=True, text=True, check=False)
    assert plan.returncode == 0, plan.stderr
    r = subprocess.run([sys.executable, "-m", "tempoctl", "--no-color", "apply", "p.json", "--gitops-main", first],
                       cwd=ws, env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 1 and "older than the applied commit" in r.stderr, r.stdout + r.stderr
    assert not _paused(w)


# --- 5. three quick merges, the middle run cancelled ---------------------------------------------------------
def test_three_quick_merges_with_the_middle_run_cancelled_all_applied(world: World) -> None:
    w = world
    for name in ("a", "b", "c"):
        (w.origin / "state" / name).mkdir(parents=True)
        (w.origin / "state" / name / "environment.yaml").write_text(env_file_env(name, w.srv, "zero"))
        (w.srv / f"{name}.env").write_text("MODE=zero\n")  # applied by hand before GitOps
    w.git("add", "-A")
    w.git("commit", "-qm", "three environments")
    shas = []
    for name in ("a", "b", "c"):
        number, _, _ = w.open_pr({f"state/{name}/environment.yaml": env_file_env(name, w.srv, "one")})
        shas.append(w.merge(number))
    w.push(*shas[0])
    # shas[1]'s run was pending when shas[2] was pushed: GitHub cancelled it; it never runs.
    last = w.push(*shas[2])
    for name in ("a", "b", "c"):
        assert (w.srv / f"{name}.env").read_text() == "MODE=one\n", f"{name}: {_logs(last)}"


# --- 6. a pull request that references a signer secret in a state file --------------------------------------
def test_a_pull_request_cannot_reach_a_signer_secret(world: World) -> None:
    w = world
    # A key stored as a repository secret by mistake: the PR job must still never see it. The PR stops
    # naming it as a key (so no filter sees a key) and uses it as a bytes32 breaker id, which plans print.
    w.actions.repo_secrets["LOCAL_EMERGENCY_KEY"] = KEYS["LOCAL_EMERGENCY_KEY"]
    vault = w.state("state/local/tempovault.yaml").replace(
        "    circuit_breakers:\n", "    circuit_breakers:\n      leak: {id: \"${LOCAL_EMERGENCY_KEY}\", broken: true}\n", 1)
    env_yaml = w.state("state/local/environment.yaml").replace("key: env:LOCAL_EMERGENCY_KEY",
                                                               "key: keystore:/nonexistent.json")
    _, _, run = w.open_pr({"state/local/tempovault.yaml": vault, "state/local/environment.yaml": env_yaml})
    assert run is not None
    everything = json.dumps([(r.path, r.query, r.body) for r in w.actions.gh.requests]) + _logs(run) + run.published()
    assert KEYS["LOCAL_EMERGENCY_KEY"][2:] not in everything.lower()
    assert "LOCAL_EMERGENCY_KEY" in everything  # the job says the variable is not available to it


def test_a_fork_gets_a_plan_in_the_job_summary(world: World) -> None:
    w = world
    number, _, run = w.open_pr({"state/local/tempovault.yaml": _with_pause(w, True)}, fork=True)
    assert run is not None
    assert run.jobs["plan"].status == "success", _logs(run)
    assert "paused" in run.published() and not w.actions.gh.comments.get(number)


# --- 7. an env-file secret converging in CI drift -------------------------------------------------------
def test_an_env_file_secret_converges_in_ci_drift(world: World) -> None:
    w = world
    w.actions.repo_secrets["API_TOKEN"] = API_TOKEN  # where the old workflow would have had to put it
    (w.origin / "state" / "a").mkdir(parents=True)
    (w.origin / "state" / "a" / "environment.yaml").write_text(env_file_env("a", w.srv, "one", secret=True))
    (w.origin / "state" / "local").rename(w.origin / "local-unmanaged")  # drift checks only `a` here
    w.git("add", "-A")
    w.git("commit", "-qm", "env a")
    (w.srv / "a.env").write_text(f"MODE=one\nAPI_TOKEN={API_TOKEN}\n")
    run = w.actions.run("drift.yml", "schedule", {}, w.head())
    assert run.jobs["drift"].status == "success", _logs(run)
    assert not w.actions.gh.issues
    (w.srv / "a.env").write_text("MODE=one\nAPI_TOKEN=rotated-by-hand\n")
    run = w.actions.run("drift.yml", "schedule", {}, w.head())
    assert run.jobs["drift"].status == "failure" and len(w.actions.gh.issues) == 1
    assert API_TOKEN not in json.dumps([r.body for r in w.actions.gh.requests]) + _logs(run)
    assert "rotated-by-hand" not in json.dumps([r.body for r in w.actions.gh.requests]) + _logs(run)
