"""A small stand-in for the GitHub Actions runner, so the tests exercise the committed workflow files and not
only the scripts: it runs a workflow's jobs for one event as GitHub would, against a real git "origin", the
GitHub API stand-in (tests/support/github_recorder.py) and an in-memory artifact store.

Modelled (what the trust chain rests on): job order by `needs` and job/step `if:`; `strategy.matrix` from
`fromJSON(...)`; the secrets a job can see (repository secrets; a GitHub environment's secrets only in a job
that names it; no secrets and a read-only token for a fork's pull request); environment protection
(deployment branch `main`, and required reviewers through an `approve` callback that sees what the run
published so far); `${{ }}` expressions used by these workflows; step outputs, job outputs and job summaries;
`actions/checkout` (a clone of origin at the commit, origin/main as fetched at job start),
`actions/upload-artifact` and `actions/download-artifact` (this run's artifacts only, as GitHub does).

Not modelled: runners, containers, `pip install` steps (the test process's tempoctl is used), caches,
concurrency groups (a test "cancels" a run by not running it), and path filters (tests choose the events).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.support.github_recorder import FakeGitHub

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


@dataclass
class Environment:
    """A GitHub environment: its secrets, whether it has required reviewers, which branches may deploy."""

    secrets: dict[str, str]
    reviewers: bool = False
    branches: tuple[str, ...] = ("main",)


@dataclass
class Job:
    name: str
    status: str = "pending"  # success | failure | skipped | rejected
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    log: str = ""
    legs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Run:
    id: int
    workflow: str
    event_name: str
    sha: str
    jobs: dict[str, Job] = field(default_factory=dict)

    def published(self) -> str:
        """What reviewers can see while a deployment waits: the summaries of the jobs that ran so far."""
        return "\n".join(j.summary for j in self.jobs.values())


Approver = Callable[[Run, str, str], bool]


@dataclass
class Actions:
    """The GitHub side of one repository: origin, API stand-in, secrets, environments, artifacts, runs."""

    origin: Path
    gh: FakeGitHub
    workdir: Path
    base_env: dict[str, str]
    repo_secrets: dict[str, str] = field(default_factory=dict)
    environments: dict[str, Environment] = field(default_factory=dict)
    artifacts: dict[int, dict[str, Path]] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    jobs_run: int = 0
    workflows: Path = WORKFLOWS
    scripts: Path = REPO / "ci" / "gitops"

    # --- running ----------------------------------------------------------------------------------------
    def run(self, workflow: str, event_name: str, event: dict[str, Any], sha: str, *,
            approve: Approver | None = None, fork: bool = False, rerun_of: Run | None = None) -> Run:
        wf = YAML(typ="safe", pure=True).load((self.workflows / workflow).read_text())
        assert event_name in wf["on"], f"{workflow} does not run on {event_name}"
        run = Run(rerun_of.id if rerun_of else len(self.runs) + 1, workflow, event_name, sha)
        if rerun_of is None:
            self.runs.append(run)
        ref = "refs/heads/main" if event_name in ("push", "schedule", "workflow_dispatch") else f"refs/pull/{(event.get('pull_request') or {}).get('number')}/merge"
        github = {"token": self.gh.read_only_token if fork else self.gh.token, "sha": sha, "event": event,
                  "event_name": event_name, "ref": ref, "repository": self.gh.repo, "run_id": str(run.id)}
        done: set[str] = set()
        jobs: dict[str, Any] = wf["jobs"]
        while len(done) < len(jobs):
            for name, spec in jobs.items():
                needs = spec.get("needs") or []
                needs = [needs] if isinstance(needs, str) else list(needs)
                if name in done or not set(needs) <= done:
                    continue
                run.jobs[name] = self._job(run, name, spec, needs, github, approve, fork)
                done.add(name)
        return run

    def _job(self, run: Run, name: str, spec: dict[str, Any], needs: list[str], github: dict[str, Any],
             approve: Approver | None, fork: bool) -> Job:
        job = Job(name)
        needs_ctx = {n: {"outputs": run.jobs[n].outputs, "result": run.jobs[n].status} for n in needs}
        ctx: dict[str, Any] = {"github": github, "needs": needs_ctx, "secrets": {}, "matrix": {}, "steps": {},
                               "failed": False, "env": {}}
        cond = str(spec.get("if", ""))
        upstream_ok = all(run.jobs[n].status == "success" for n in needs)
        if not upstream_ok and not re.search(r"always\(\)|!\s*cancelled\(\)|failure\(\)", cond):
            job.status = "skipped"
            return job
        if cond and not truthy(evaluate(cond, ctx)):
            job.status = "skipped"
            return job
        matrix = ((spec.get("strategy") or {}).get("matrix")) or {}
        legs: list[dict[str, Any]] = [{}]
        for key, value in matrix.items():
            values = evaluate_template(value, ctx) if isinstance(value, str) else value
            legs = [{**leg, key: v} for leg in legs for v in values]
        statuses = []
        for leg in legs:
            statuses.append(self._leg(run, job, spec, leg, dict(ctx, matrix=leg), approve, fork))
        job.legs = legs
        job.status = ("failure" if "failure" in statuses else "rejected" if "rejected" in statuses
                      else "success")
        return job

    def _leg(self, run: Run, job: Job, spec: dict[str, Any], leg: dict[str, Any], ctx: dict[str, Any],
             approve: Approver | None, fork: bool) -> str:
        secrets = {} if fork else dict(self.repo_secrets)
        env_spec = spec.get("environment")
        if env_spec is not None:
            env_name = str(evaluate_template(env_spec["name"] if isinstance(env_spec, dict) else env_spec, ctx))
            env = self.environments.get(env_name, Environment({}, branches=()))
            branch = ctx["github"]["ref"].removeprefix("refs/heads/")
            if fork or (env.branches and branch not in env.branches):
                job.log += f"{env_name}: deployment branch policy refuses {ctx['github']['ref']}\n"
                return "failure"
            if env.reviewers and not (approve and approve(run, job.name, env_name)):
                job.log += f"{env_name}: the deployment was rejected (or never approved)\n"
                return "rejected"
            secrets.update(env.secrets)
        ctx["secrets"] = secrets
        ctx["steps"] = {}
        self.jobs_run += 1
        ws = self.workdir / f"{self.jobs_run:03d}-run{run.id}-{job.name}-{'-'.join(map(str, leg.values()))}"
        ws.mkdir(parents=True)
        for i, step in enumerate(spec.get("steps") or []):
            cond = str(step.get("if", "success()"))
            if not truthy(evaluate(cond, ctx)):
                continue
            ok = self._step(run, job, ws, i, step, ctx, dict(spec.get("env") or {}))
            if not ok:
                ctx["failed"] = True
        for key, value in (spec.get("outputs") or {}).items():
            job.outputs[key] = str(evaluate_template(value, ctx))
        return "failure" if ctx["failed"] else "success"

    def _step(self, run: Run, job: Job, ws: Path, i: int, step: dict[str, Any], ctx: dict[str, Any],
              job_env: dict[str, str]) -> bool:
        uses = str(step.get("uses", ""))
        args = {k: str(evaluate_template(str(v), ctx)) for k, v in (step.get("with") or {}).items()}
        if uses.startswith("actions/checkout@"):
            _git(self.workdir, "clone", "-q", str(self.origin), str(ws / "repo"))
            _git(ws / "repo", "checkout", "-q", "--detach", ctx["github"]["sha"])
            return True
        repo = ws / "repo"
        if uses.startswith(("actions/setup-python@", "actions/setup-node@")):
            return True
        if uses.startswith("actions/upload-artifact@"):
            files = [p for pattern in args["path"].split("\n") if pattern.strip()
                     for p in sorted(repo.glob(pattern.strip())) if p.is_file()]
            if not files:
                return args.get("if-no-files-found", "warn") != "error"
            store = self.workdir / "artifacts" / str(run.id) / args["name"]
            root = Path(*_common_parts([f.parent.relative_to(repo).parts for f in files]))
            for f in files:
                dest = store / f.relative_to(repo / root)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, dest)
            self.artifacts.setdefault(run.id, {})[args["name"]] = store
            return True
        if uses.startswith("actions/download-artifact@"):
            source_run = int(args.get("run-id") or run.id)
            found = self.artifacts.get(source_run, {}).get(args["name"])
            if found is None:
                job.log += f"download-artifact: no artifact {args['name']} in run {source_run}\n"
                return False
            shutil.copytree(found, repo / args.get("path", "."), dirs_exist_ok=True)
            return True
        assert not uses, f"the runner stand-in does not know {uses}"
        command = str(step["run"]).strip()
        if command.startswith(("python -m pip ", "python3 -m pip ")):
            return True  # the test process's tempoctl is the one installed
        command = re.sub(r"^python3? ", f"{sys.executable} ", command)
        command = command.replace("ci/gitops/", f"{self.scripts}/")
        env = dict(self.base_env)
        outputs, summary = ws / f"output{i}", ws / f"summary{i}"
        event_path = ws / "event.json"
        event_path.write_text(json.dumps(ctx["github"]["event"]))
        env.update({"GITHUB_ACTIONS": "false", "GITHUB_API_URL": self.gh.url, "GITHUB_REPOSITORY": self.gh.repo,
                    "GITHUB_SHA": ctx["github"]["sha"], "GITHUB_EVENT_PATH": str(event_path),
                    "GITHUB_RUN_ID": str(run.id), "GITHUB_SERVER_URL": "https://github.example",
                    "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary),
                    "GITHUB_EVENT_NAME": ctx["github"]["event_name"], "GITHUB_REF": ctx["github"]["ref"]})
        for k, v in {**job_env, **(step.get("env") or {})}.items():
            env[k] = str(evaluate_template(str(v), ctx))
        proc = subprocess.run(["bash", "-c", command], cwd=repo, env=env, capture_output=True, text=True,
                              check=False, timeout=300)
        job.log += f"$ {command}\n{proc.stdout}{proc.stderr}(exit {proc.returncode})\n"
        if summary.exists():
            job.summary += summary.read_text()
        if "id" in step:
            lines = outputs.read_text().splitlines() if outputs.exists() else []
            ctx["steps"][step["id"]] = {"outputs": dict(line.split("=", 1) for line in lines if "=" in line)}
        return proc.returncode == 0


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


def _common_parts(parts: list[tuple[str, ...]]) -> tuple[str, ...]:
    first = parts[0]
    n = 0
    while n < len(first) and all(len(p) > n and p[n] == first[n] for p in parts):
        n += 1
    return first[:n]


# --- the expressions these workflows use ----------------------------------------------------------------
def truthy(value: Any) -> bool:
    return value not in (None, False, "", 0, "false")


def evaluate_template(text: Any, ctx: dict[str, Any]) -> Any:
    """`${{ x }}` alone gives x's value (a list stays a list); inside text, its string form."""
    if not isinstance(text, str):
        return text
    whole = _EXPR.fullmatch(text.strip())
    if whole:
        return evaluate(whole.group(1), ctx)
    return _EXPR.sub(lambda m: _string(evaluate(m.group(1), ctx)), text)


def _string(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else json.dumps(v)


def evaluate(expr: str, ctx: dict[str, Any]) -> Any:
    e = expr.strip()
    if e.startswith("${{") and e.endswith("}}"):
        e = e[3:-2].strip()
    if "||" in e:
        return any(truthy(evaluate(p, ctx)) for p in e.split("||"))
    if "&&" in e:
        return all(truthy(evaluate(p, ctx)) for p in e.split("&&"))
    for op in ("!=", "=="):
        if op in e:
            a, b = (evaluate(x, ctx) for x in e.split(op, 1))
            return (_string(a) == _string(b)) == (op == "==")
    if e.startswith("!"):
        return not truthy(evaluate(e[1:], ctx))
    if e.startswith("(") and e.endswith(")"):
        return evaluate(e[1:-1], ctx)
    if e.startswith("'") and e.endswith("'"):
        return e[1:-1].replace("''", "'")
    if e in ("true", "false"):
        return e == "true"
    calls = {"always()": True, "cancelled()": False, "success()": not ctx["failed"], "failure()": ctx["failed"]}
    if e in calls:
        return calls[e]
    if m := re.fullmatch(r"toJSON\((.*)\)", e, re.DOTALL):
        return json.dumps(evaluate(m.group(1), ctx))
    if m := re.fullmatch(r"fromJSON\((.*)\)", e, re.DOTALL):
        return json.loads(_string(evaluate(m.group(1), ctx)))
    if m := re.fullmatch(r"startsWith\((.*),(.*)\)", e, re.DOTALL):
        return _string(evaluate(m.group(1), ctx)).startswith(_string(evaluate(m.group(2), ctx)))
    value: Any = ctx
    for part in e.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value




