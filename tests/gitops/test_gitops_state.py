"""`tempoctl gitops pending|check` and `apply --gitops-main` on a real git repository and a SQLite backend: the
first run, the applied commit recorded and never moved back, other environments' commits not in the way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.srv = root.parent / "srv"
        self.srv.mkdir()
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=self.root,
                              capture_output=True, text=True, check=True).stdout.strip()

    def write(self, env: str, mode: str) -> str:
        folder = self.root / "state" / env
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "environment.yaml").write_text(
            f"environment: {env}\nbackend: sqlite:///{self.root.parent}/backend.db\nhosts:\n  app:\n"
            f"    connection: local\n    roots: [\"{self.srv}\"]\n    env_files:\n      {self.srv / (env + '.env')}:\n        values:\n"
            f'          MODE: "{mode}"\n')
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", f"{env} {mode}")
        return self.git("rev-parse", "HEAD")

    def tempoctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        # Not a CI job, even when the suite itself runs in one (SQLite is fine here; see the last test).
        env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
        return subprocess.run([sys.executable, "-m", "tempoctl", "--no-color", *args], cwd=self.root, env=env,
                              capture_output=True, text=True, check=False)

    def pending(self) -> list[str]:
        r = self.tempoctl("gitops", "pending")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    (tmp_path / "repo").mkdir()
    return Repo(tmp_path / "repo")


def test_first_run_then_only_what_changed_since_the_applied_commit(repo: Repo) -> None:
    repo.write("a", "one")
    repo.write("b", "one")
    first = repo.tempoctl("gitops", "pending")
    assert json.loads(first.stdout) == ["a", "b"] and "no applied commit recorded yet" in first.stderr
    for env in ("a", "b"):
        r = repo.tempoctl("apply", env, "--auto-approve", "--gitops-main", "main")
        assert r.returncode == 0 and "GitOps: recorded" in r.stdout, r.stdout + r.stderr
    assert repo.pending() == []
    repo.write("b", "two")
    repo.write("a", "one")  # rewritten identical: no change to a's folder
    assert repo.pending() == ["b"]


def test_check_refuses_a_folder_main_changed_or_removed(repo: Repo) -> None:
    old = repo.write("a", "one")
    repo.write("a", "two")
    repo.git("checkout", "-q", "--detach", old)
    r = repo.tempoctl("gitops", "check", "a", "--main", "main")
    assert r.returncode == 1 and "is not what main says now; nothing is sent" in r.stderr
    repo.git("checkout", "-q", "main")
    repo.git("rm", "-rq", "state/a")
    repo.git("commit", "-qm", "remove a")
    repo.git("checkout", "-q", "--detach", old)
    r = repo.tempoctl("gitops", "check", "a", "--main", "main")
    assert r.returncode == 1 and "was removed on main" in r.stderr


def test_another_environments_commit_is_not_in_the_way(repo: Repo) -> None:
    first = repo.write("a", "one")
    repo.write("b", "one")  # main moved on, but not for a
    repo.git("checkout", "-q", "--detach", first)
    r = repo.tempoctl("apply", "a", "--auto-approve", "--gitops-main", "main")
    assert r.returncode == 0, r.stdout + r.stderr
    assert (repo.srv / "a.env").read_text() == "MODE=one\n"


def test_the_backend_refuses_an_older_commit_even_without_a_fetch(repo: Repo) -> None:
    old = repo.write("a", "one")
    new = repo.write("a", "two")
    assert repo.tempoctl("apply", "a", "--auto-approve", "--gitops-main", "main").returncode == 0
    repo.git("checkout", "-q", "--detach", old)
    # An old workflow that "checks" against its own commit instead of a fetched main: only the record stands.
    r = repo.tempoctl("apply", "a", "--auto-approve", "--gitops-main", old)
    assert r.returncode == 1 and f"older than the applied commit {new[:12]}" in r.stderr, r.stdout + r.stderr
    assert (repo.srv / "a.env").read_text() == "MODE=two\n"
    repo.git("checkout", "-q", "main")
    assert repo.pending() == []


def test_a_ci_job_refuses_a_backend_that_dies_with_it(repo: Repo) -> None:
    repo.write("a", "one")
    env = {**os.environ, "GITHUB_ACTIONS": "true"}
    for args in (("gitops", "check", "a", "--main", "main"), ("apply", "a", "--auto-approve", "--gitops-main", "main")):
        r = subprocess.run([sys.executable, "-m", "tempoctl", "--no-color", *args], cwd=repo.root, env=env,
                           capture_output=True, text=True, check=False)
        assert r.returncode == 1 and "GitOps needs the shared PostgreSQL backend" in r.stderr, r.stderr
    assert not (repo.srv / "a.env").exists()
