"""What the GitOps scripts share: the Actions context, running tempoctl, step outputs, comment markers, and
the environment tempoctl gets.

Secrets. Pull-request jobs get no `TEMPOCTL_SECRETS` at all: only the named read-only variables the workflow
sets (RPC URLs), because a pull request controls the workflow file and these scripts. Jobs on main get
`TEMPOCTL_SECRETS` (one GitHub-environment secret holding a JSON object) and pass tempoctl only what the
environment's state files name: `${VAR}` references (RPC URLs, the backend DSN) and `secret: env:VAR`
references (env-file secrets, needed to plan, apply and check drift alike); `key: env:VAR` references
(signer keys) and `TEMPOCTL_KEYSTORE_PASSWORD` only when applying. A key that is set anyway (a runner
variable) is removed from plan and drift runs.

Markers. A bot comment is found only by its first line being exactly `<!-- tempoctl-KIND: ENV -->`, and only
comments by the bot count; every echoed text is passed through `escape`, so no marker can be smuggled into
one. Nothing in a comment authorizes an apply anyway (README "GitOps").
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from github_api import GitHub

PLAN_MARKER = "<!-- tempoctl-plan: {env} -->"  # pull request: the review aid
APPLY_MARKER = "<!-- tempoctl-apply: {env} -->"  # merged pull request: the plan on main, then its apply
DRIFT_MARKER = "<!-- tempoctl-drift: {env} -->"
_CONFIG_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
_ENV_REF = re.compile(r"(\bsecret:\s*[\"']?)?\benv:([A-Za-z_][A-Za-z0-9_]*)")
_KEY_NAMES = {"TEMPOCTL_KEYSTORE_PASSWORD"}
_NEVER_PASSED = {"GITHUB_TOKEN", "TEMPOCTL_SECRETS"}

@dataclass
class Actions:
    """The parts of the GitHub Actions context the scripts use."""

    github: GitHub
    event: dict[str, Any]
    sha: str
    run_url: str
    bot: str

    @classmethod
    def from_environ(cls) -> Actions:
        e = os.environ
        event_path = e.get("GITHUB_EVENT_PATH")
        event = json.loads(Path(event_path).read_text()) if event_path and Path(event_path).is_file() else {}
        server, repo = e.get("GITHUB_SERVER_URL", "https://github.com"), e.get("GITHUB_REPOSITORY", "")
        run = f"{server}/{repo}/actions/runs/{e['GITHUB_RUN_ID']}" if e.get("GITHUB_RUN_ID") else ""
        return cls(GitHub(e.get("GITHUB_API_URL", "https://api.github.com"), e.get("GITHUB_TOKEN", ""), repo),
                   event, e.get("GITHUB_SHA", ""), run,
                   # Only comments by this login count as reviewed plans (anyone can write a marker).
                   e.get("TEMPOCTL_BOT_LOGIN", "github-actions[bot]"))


def env_dir(env: str) -> Path:
    return Path(env) if "/" in env else Path("state") / env


def environment_parser(doc: str | None) -> argparse.ArgumentParser:
    """The command line every per-environment script starts with: its docstring's first line as the
    description and the ENVIRONMENT argument (a folder or a name under ./state)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    ap.add_argument("environment")
    return ap


def references(folder: Path) -> tuple[set[str], set[str], set[str]]:
    """(config variables, env-file secret variables, signer key variables) that `folder`'s state files name.

    `secret: env:VAR` is an env-file secret; any other `env:VAR` (`key: env:VAR`) counts as a signer key, so a
    spelling this does not know is withheld from plan and drift rather than handed out."""
    config: set[str] = set()
    secrets: set[str] = set()
    keys = set(_KEY_NAMES)
    for f in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        text = f.read_text(encoding="utf-8", errors="replace")
        config |= set(_CONFIG_REF.findall(text))
        for secret_prefix, name in _ENV_REF.findall(text):
            (secrets if secret_prefix else keys).add(name)
    return config - keys, secrets - keys, keys


def child_environ(folder: Path, *, with_keys: bool, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment tempoctl runs with for the environment in `folder` (see the module docstring)."""
    base = dict(os.environ if base is None else base)
    secrets = json.loads(base.get("TEMPOCTL_SECRETS") or "{}")
    config, env_secrets, keys = references(folder)
    # libpq's own variables (PGPASSWORD, PGSSLROOTCERT, …) reach the backend connection; state files never name them.
    wanted = config | env_secrets | (keys if with_keys else set()) | {k for k in secrets if k.startswith("PG")}
    if base.get("GITHUB_ACTIONS") == "true":  # GitHub masks only whole secrets; mask each value we pass on
        for k, v in secrets.items():
            if k in wanted and str(v).strip():
                for line in str(v).splitlines():
                    if line.strip():
                        print(f"::add-mask::{line}", flush=True)
    out = {k: v for k, v in base.items() if k not in _NEVER_PASSED and (with_keys or k not in keys)}
    out.update({k: str(v) for k, v in secrets.items() if k in wanted})
    # A secret GitHub does not give (a fork's run, a name not configured) arrives as "": leave it unset, so
    # `${VAR:-default}` applies and tempoctl names what is missing instead of using an empty URL.
    return {k: v for k, v in out.items() if v != "" or k not in config | env_secrets | keys}


def is_marked(comment: dict[str, Any], marker: str, author: str) -> bool:
    """A comment is ours only if `author` wrote it and its first line is exactly `marker`."""
    body = str(comment.get("body") or "")
    return (comment.get("user") or {}).get("login") == author and body.split("\n", 1)[0].rstrip("\r") == marker


def escape(text: str) -> str:
    """Echoed text (tempoctl output, YAML keys in errors) with HTML comments made inert: it can never carry a
    marker or a hidden line. A zero-width space keeps it readable."""
    return text.replace("<!--", "<!\u200b--").replace("-->", "-\u200b->")


def without_fingerprint_comment(markdown: str) -> str:
    """`tempoctl show --format markdown` ends with a hidden fingerprint comment for bots; the scripts show the
    fingerprint in the footer instead, and escape everything else."""
    lines = markdown.rstrip().splitlines()
    if lines and lines[-1].startswith("<!-- tempoctl-fingerprint: ") and lines[-1].endswith(" -->"):
        lines = lines[:-1]
    return "\n".join(lines)


def policy_denied(proc: subprocess.CompletedProcess[str], planfile: Path) -> bool:
    """`tempoctl plan --out` exited 1 because policies/*.rego deny the plan (it saved the plan first, with
    the verdict under `policy`), not because planning failed: the plan is still shown, and the job fails."""
    if proc.returncode != 1 or not planfile.is_file():
        return False
    try:
        doc = json.loads(planfile.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and bool((doc.get("policy") or {}).get("deny"))


def tempoctl(*args: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the installed tempoctl (same interpreter) with `--no-color`; output is captured, not echoed."""
    return subprocess.run([sys.executable, "-m", "tempoctl", "--no-color", *args], env=environ,
                          capture_output=True, text=True, check=False)


def log(proc: subprocess.CompletedProcess[str]) -> None:
    """Show a tempoctl run in the job log (its output never holds a secret)."""
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    sys.stdout.flush()


def set_output(name: str, value: str) -> None:
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{name}={value}\n")


def step_summary(markdown: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(markdown.rstrip() + "\n\n")


def fenced(text: str, limit: int = 20000) -> str:
    """`text` in a code fence, keeping the end when it is long (errors come last)."""
    text = text.strip() or "(no output)"
    if len(text) > limit:
        text = "… (cut; see the job log)\n" + text[-limit:]
    return "```\n" + escape(text.replace("```", "'''")) + "\n```"


def footer(actions: Actions, extra: str = "") -> str:
    parts = [f"commit `{actions.sha[:12]}`" if actions.sha else "", f"[workflow run]({actions.run_url})" if actions.run_url else "", extra]
    return "<sub>" + " · ".join(p for p in parts if p) + "</sub>"
