"""The workflows: actionlint passes, and the properties the GitOps flow relies on hold in the YAML (which
jobs can see keys, what triggers what, every shell step calls a script that exists)."""

from __future__ import annotations

import json
import re
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
    return YAML(typ="safe", pure=True).load((WORKFLOWS / name).read_text())  # type: ignore[no-any-return]


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


# The secrets a pull-request job may name: readable by every PR author with write access (README "GitOps").
READ_ONLY_SECRETS = {"TEMPO_RPC_URL", "STELLAR_RPC_URL"}
_SECRET_REF = re.compile(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)")
_PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+\s*$")


def _jobs(name: str) -> dict[str, Any]:
    return _load(name)["jobs"]  # type: ignore[no-any-return]


def _pr_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    """Every job that a pull request triggers (and so runs the PR's own copy of the workflow)."""
    out = []
    for f in sorted(WORKFLOWS.glob("*.yml")):
        wf = _load(f.name)
        if "pull_request" in wf["on"]:
            out += [(f.name, n, j) for n, j in wf["jobs"].items()]
    return out


def test_the_apply_job_is_what_github_protects() -> None:
    """What GitHub enforces and no stand-in can: the apply job names the protected environment (required
    reviewers, deployment branch main), runs only on push to main, and needs the plan job on main."""
    apply = _load("apply.yml")
    assert apply["on"] == {"push": {"branches": ["main"], "paths": ["state/**"]}}
    job = apply["jobs"]["apply"]
    assert job["environment"] == {"name": "${{ matrix.environment }}"}
    assert set(job["needs"]) == {"pending", "plan"}
    assert "github.event_name == 'push'" in job["if"] and "github.ref == 'refs/heads/main'" in job["if"]
    plan = apply["jobs"]["plan"]
    assert plan["needs"] == "pending" and plan["environment"] == "tempoctl-main"
    assert plan["strategy"]["matrix"] == job["strategy"]["matrix"]
    # The apply job applies this run's saved plan: the artifact of the same run, never another run's.
    [download] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/download-artifact@")]
    assert set(download["with"]) == {"name", "path"}
    assert "apply_approved.py" in next(s["run"] for s in job["steps"] if s.get("id") == "apply")
    assert "--main origin/main" in next(s["run"] for s in job["steps"] if s.get("id") == "apply")
    assert apply["concurrency"]["cancel-in-progress"] is False
    # No workflow reads a pull request's output with the base repository's rights.
    for f in WORKFLOWS.glob("*.yml"):
        assert not {"pull_request_target", "workflow_run"} & set(_load(f.name)["on"]), f.name


def test_pull_request_jobs_get_no_environment_and_only_the_read_only_secrets() -> None:
    pr_jobs = _pr_jobs()
    assert {(f, n) for f, n, _ in pr_jobs} >= {("plan.yml", "changed"), ("plan.yml", "plan")}
    for f, n, job in pr_jobs:
        assert "environment" not in job, f"{f}:{n} must not name a GitHub environment"
        named = set(_SECRET_REF.findall(json.dumps(job)))
        assert named <= READ_ONLY_SECRETS, f"{f}:{n} names {named - READ_ONLY_SECRETS}"
    for f in WORKFLOWS.glob("*.yml"):
        assert "toJSON(secrets)" not in f.read_text(), f.name
        assert "secrets: inherit" not in f.read_text(), f.name
    plan_step = next(s for s in _jobs("plan.yml")["plan"]["steps"] if s.get("id") == "plan")
    assert '--trusted-base "$BASE_SHA"' in plan_step["run"]
    assert plan_step["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"


def test_jobs_on_main_get_env_file_secrets_and_only_apply_gets_keys() -> None:
    """Plan, apply and drift on main get `TEMPOCTL_SECRETS` of their GitHub environment (env-file secrets
    and the backend); only the apply job's environment is one with signer keys."""
    for wf, job_name, env in (("apply.yml", "pending", "tempoctl-main"), ("apply.yml", "plan", "tempoctl-main"),
                              ("drift.yml", "drift", "tempoctl-main"),
                              ("apply.yml", "apply", {"name": "${{ matrix.environment }}"})):
        job = _jobs(wf)[job_name]
        assert job["environment"] == env
        assert set(_SECRET_REF.findall(json.dumps(job))) == {"TEMPOCTL_SECRETS"}, (wf, job_name)


def test_hygiene_pins_credentials_permissions_and_locked_installs() -> None:
    for f in sorted(WORKFLOWS.glob("*.yml")):
        text = f.read_text()
        for line in text.splitlines():
            if re.match(r"^\s*(-\s+)?uses:", line):
                assert _PINNED.match(line), f"{f.name}: pin a full commit SHA with its version: {line.strip()}"
        wf = _load(f.name)
        assert wf["permissions"] == {}, f"{f.name}: no workflow-wide permissions; each job asks for its own"
        for name, job in wf["jobs"].items():
            assert "permissions" in job, f"{f.name}:{name}"
            assert "write-all" not in json.dumps(job.get("permissions"))
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, f"{f.name}:{name}"
                run = str(step.get("run", ""))
                if "pip install" in run:
                    assert ("--require-hashes -r ci/gitops/requirements.lock" in run
                            or run.endswith("--no-deps --no-build-isolation .")), f"{f.name}:{name}: {run}"
    steps = [s.get("run", "") for s in _jobs("apply.yml")["apply"]["steps"]]
    assert "python -m pip install --quiet --require-hashes -r ci/gitops/requirements.lock" in steps
    assert "python -m pip install --quiet --no-deps --no-build-isolation ." in steps


def test_the_lock_file_pins_every_dependency_with_hashes() -> None:
    import tomllib

    lock = (REPO / "ci" / "gitops" / "requirements.lock").read_text()
    def norm(name: str) -> str:  # PEP 503
        return re.sub(r"[-_.]+", "-", name).lower()

    pinned = {norm(m.group(1)) for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", lock, re.MULTILINE)}
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in deps:
        name = norm(re.match(r"[A-Za-z0-9_.-]+", dep).group(0))  # type: ignore[union-attr]
        assert name in pinned, f"{name} is not in ci/gitops/requirements.lock: regenerate it (requirements.in)"
    assert "setuptools" in pinned  # --no-build-isolation builds tempoctl with the locked backend
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", lock.split("\n", 2)[-1])
    assert all("--hash=sha256:" in b for b in blocks if "==" in b)


def test_zizmor_offline_finds_nothing() -> None:
    found = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    if not found:
        pytest.fail("zizmor is not installed: run `make setup` (the test extra installs it)")
    r = subprocess.run([found, "--offline", "--no-progress", str(WORKFLOWS)], cwd=REPO, capture_output=True,
                       text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr


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
        "signers:\n  ops: {network: tempo, address: '0x0', key: env:OPS_KEY}\nbackend: ${TEMPOCTL_BACKEND:-x}\n"
        "hosts:\n  h:\n    env_files:\n      /srv/a.env:\n        values: {TOKEN: {secret: env:API_TOKEN}}\n")
    secrets = {"TEMPO_RPC_URL": "https://rpc.example/k", "OPS_KEY": "0xkey", "API_TOKEN": "tok", "TEMPOCTL_KEYSTORE_PASSWORD": "pw",
               "UNRELATED": "u", "github_token": "t"}
    base = {"PATH": "/bin", "OPS_KEY": "0xset-on-the-runner", "GITHUB_TOKEN": "t", "TEMPOCTL_SECRETS": json.dumps(secrets)}
    read_only = child_environ(folder, with_keys=False, base=base)
    # An env-file secret is not a key: plan and drift on main need it to compare the file.
    assert read_only == {"PATH": "/bin", "TEMPO_RPC_URL": "https://rpc.example/k", "API_TOKEN": "tok"}
    fork = child_environ(folder, with_keys=False, base={"PATH": "/bin", "TEMPO_RPC_URL": ""})
    assert fork == {"PATH": "/bin"}  # a secret a fork does not get is unset, not empty
    signing = child_environ(folder, with_keys=True, base=base)
    assert signing["OPS_KEY"] == "0xkey" and signing["TEMPOCTL_KEYSTORE_PASSWORD"] == "pw"
    assert "UNRELATED" not in signing and "GITHUB_TOKEN" not in signing and "TEMPOCTL_SECRETS" not in signing
