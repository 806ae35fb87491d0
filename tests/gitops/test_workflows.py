"""The workflows: actionlint passes, and the properties the GitOps flow relies on hold in the YAML (which
jobs can see keys, what triggers what, every shell step calls a script that exists)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.gitops.conftest import REPO, SCRIPTS

WORKFLOWS = REPO / ".github" / "workflows"


def _load(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((WORKFLOWS / name).read_text())  # type: ignore[no-any-return]


def _actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if not found:
        pytest.fail("actionlint is not installed: run `make setup` (the test extra installs it)")
    return found


def test_actionlint_passes_on_every_workflow() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"plan.yml", "apply.yml", "drift.yml", "test.yml"}
    r = subprocess.run([_actionlint(), "-no-color", *map(str, files)], cwd=REPO, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text((WORKFLOWS / "plan.yml").read_text().replace("needs.changed.outputs", "needs.chnaged.outputs"))
    r = subprocess.run([_actionlint(), "-no-color", str(broken)], capture_output=True, text=True, check=False)
    assert r.returncode == 1 and "chnaged" in r.stdout


def test_triggers_and_credentials() -> None:
    plan, apply, drift = _load("plan.yml"), _load("apply.yml"), _load("drift.yml")
    assert plan["on"]["pull_request"]["paths"] == ["state/**"]
    assert apply["on"]["push"] == {"branches": ["main"], "paths": ["state/**"]}
    assert "schedule" in drift["on"]
    # Keys are GitHub-environment secrets: only the apply job enters an environment, so plan and drift
    # jobs never hold a key; apply's environment is the tempoctl environment (reviewers for production).
    for wf in (plan, drift):
        assert all("environment" not in job for job in wf["jobs"].values())
    assert apply["jobs"]["apply"]["environment"] == {"name": "${{ matrix.environment }}"}
    assert apply["jobs"]["apply"]["concurrency"]["cancel-in-progress"] is False
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert drift["permissions"] == {"contents": "read", "issues": "write"}


def test_shell_steps_call_repository_scripts() -> None:
    for name in ("plan.yml", "apply.yml", "drift.yml"):
        for job in _load(name)["jobs"].values():
            for step in job["steps"]:
                if "run" not in step:
                    continue
                run = step["run"].strip()
                assert "\n" not in run, f"{name}: keep shell steps one line; put logic in ci/gitops/"
                if "ci/gitops/" in run:
                    script = run.split("ci/gitops/", 1)[1].split()[0]
                    assert (SCRIPTS / script).is_file(), f"{name} calls a missing script {script}"
                else:
                    assert run.startswith("python -m pip install"), run


def test_changed_environments_from_git(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path,
                              capture_output=True, text=True, check=True).stdout.strip()

    for env in ("prod", "staging", "dev"):
        (tmp_path / "state" / env).mkdir(parents=True)
        (tmp_path / "state" / env / "environment.yaml").write_text(f"environment: {env}\n")
    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-qm", "base")
    base = git("rev-parse", "HEAD")
    (tmp_path / "state" / "staging" / "roles.yaml").write_text("contracts: {}\n")
    shutil.rmtree(tmp_path / "state" / "dev")
    (tmp_path / "README.md").write_text("x\n")
    git("add", "-A")
    git("commit", "-qm", "change")

    def run(*args: str) -> list[str]:
        out = tmp_path / "out"
        r = subprocess.run([sys.executable, str(SCRIPTS / "changed_envs.py"), *args], cwd=tmp_path,
                           capture_output=True, text=True, check=False, env={"GITHUB_OUTPUT": str(out), "PATH": "/usr/bin:/bin"})
        assert r.returncode == 0, r.stderr
        assert out.read_text().splitlines()[-1] == "environments=" + r.stdout.strip()
        return json.loads(r.stdout)  # type: ignore[no-any-return]

    assert run("--base", base, "--head", "HEAD") == ["staging"]
    assert run("--base", base, "--head", "HEAD", "--keep-removed") == ["dev", "staging"]
    assert run("--all") == ["prod", "staging"]
    assert run("--base", "0" * 40, "--head", "HEAD") == ["staging"]  # a new branch: the head commit's changes


def test_plan_and_drift_runs_get_no_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(SCRIPTS))
    from common import child_environ  # type: ignore[import-not-found]

    folder = tmp_path / "state" / "prod"
    folder.mkdir(parents=True)
    (folder / "environment.yaml").write_text(
        "networks:\n  tempo: {type: evm, chain_id: 1, rpc_url: '${TEMPO_RPC_URL}'}\n"
        "signers:\n  ops: {network: tempo, address: '0x0', key: env:OPS_KEY}\nbackend: ${TEMPOCTL_BACKEND:-x}\n")
    secrets = {"TEMPO_RPC_URL": "https://rpc.example/k", "OPS_KEY": "0xkey", "TEMPOCTL_KEYSTORE_PASSWORD": "pw",
               "UNRELATED": "u", "github_token": "t"}
    base = {"PATH": "/bin", "OPS_KEY": "0xset-on-the-runner", "GITHUB_TOKEN": "t", "TEMPOCTL_SECRETS": json.dumps(secrets)}
    read_only = child_environ(folder, with_keys=False, base=base)
    assert read_only == {"PATH": "/bin", "TEMPO_RPC_URL": "https://rpc.example/k"}
    signing = child_environ(folder, with_keys=True, base=base)
    assert signing["OPS_KEY"] == "0xkey" and signing["TEMPOCTL_KEYSTORE_PASSWORD"] == "pw"
    assert "UNRELATED" not in signing and "GITHUB_TOKEN" not in signing and "TEMPOCTL_SECRETS" not in signing
