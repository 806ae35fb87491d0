"""What the GitOps scripts share: the Actions context, running tempoctl, step outputs, and the environment
tempoctl gets (read-only for plan and drift, with signer keys only for apply).

Secrets reach the scripts as one JSON object (`TEMPOCTL_SECRETS: ${{ toJSON(secrets) }}`) and are passed on
to tempoctl only by name as the state files use them: `${VAR}` references (RPC URLs, the backend DSN) always;
`key: env:VAR` references (signer keys) and `TEMPOCTL_KEYSTORE_PASSWORD` only when applying. A key that is
set anyway (a repository secret by mistake, a runner variable) is removed from plan and drift runs.
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

PLAN_MARKER = "<!-- tempoctl-plan: {env} -->"
APPLY_MARKER = "<!-- tempoctl-apply: {env} -->"
DRIFT_MARKER = "<!-- tempoctl-drift: {env} -->"
FINGERPRINT = re.compile(r"<!-- tempoctl-fingerprint: (sha256:[0-9a-f]{64}) -->")
_CONFIG_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
_KEY_REF = re.compile(r"\benv:([A-Za-z_][A-Za-z0-9_]*)")
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


def references(folder: Path) -> tuple[set[str], set[str]]:
    """(config variables, key variables) that the state files of `folder` name."""
    config: set[str] = set()
    keys = set(_KEY_NAMES)
    for f in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        text = f.read_text(encoding="utf-8", errors="replace")
        config |= set(_CONFIG_REF.findall(text))
        keys |= set(_KEY_REF.findall(text))
    return config - keys, keys


def child_environ(folder: Path, *, with_keys: bool, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment tempoctl runs with for the environment in `folder` (see the module docstring)."""
    base = dict(os.environ if base is None else base)
    secrets = json.loads(base.get("TEMPOCTL_SECRETS") or "{}")
    config, keys = references(folder)
    wanted = config | (keys if with_keys else set())
    out = {k: v for k, v in base.items() if k not in _NEVER_PASSED and (with_keys or k not in keys)}
    out.update({k: str(v) for k, v in secrets.items() if k in wanted})
    return out


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
    return "```\n" + text.replace("```", "'''") + "\n```"


def footer(actions: Actions, extra: str = "") -> str:
    parts = [f"commit `{actions.sha[:12]}`" if actions.sha else "", f"[workflow run]({actions.run_url})" if actions.run_url else "", extra]
    return "<sub>" + " · ".join(p for p in parts if p) + "</sub>"
