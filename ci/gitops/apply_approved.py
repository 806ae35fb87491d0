#!/usr/bin/env python3
"""apply.yml, apply job (GitHub environment ENV: required reviewers, deployment branch main): apply exactly
the plan the plan job of THIS run saved and showed, after a person approved the deployment.

Nothing from a pull request is read: no comment, no artifact of a `pull_request` run. `tempoctl apply PLANFILE
--gitops-main origin/main` rebuilds the plan and signs only if it equals the saved one, refuses (sending
nothing) unless the environment folder equals main's and is not older than the last applied commit, and
records the commit as applied in the backend when done.

Usage: apply_approved.py ENV PLANFILE [--main origin/main]
Exit: 0 applied (or nothing to apply), 1 refused or failed, 3 apply stopped part way (tempoctl's code).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from common import (
    APPLY_MARKER,
    Actions,
    child_environ,
    env_dir,
    environment_parser,
    escape,
    fenced,
    footer,
    log,
    step_summary,
    tempoctl,
)
from github_api import COMMENT_LIMIT, GitHubError


def main(argv: list[str] | None = None) -> int:
    ap = environment_parser(__doc__)
    ap.add_argument("planfile", type=Path)
    ap.add_argument("--main", default="origin/main")
    args = ap.parse_args(argv)
    actions = Actions.from_environ()
    folder = env_dir(args.environment)
    name = folder.name
    if not folder.is_dir():
        print(f"{name}: the environment folder is gone; nothing to apply")
        return 0
    try:
        pr = actions.github.merged_pull(actions.sha)
        if pr is None:
            print(f"{name}: commit {actions.sha[:12]} is not the merge commit of exactly one merged pull request; "
                  "nothing is applied", file=sys.stderr)
            return 1
        if not args.planfile.is_file():
            print(f"{name}: no saved plan from this run's plan job ({args.planfile}); nothing is applied",
                  file=sys.stderr)
            return 1
        saved = json.loads(args.planfile.read_text())
        if saved.get("environment") != name:
            print(f"{name}: the saved plan is for {saved.get('environment')!r}; nothing is applied", file=sys.stderr)
            return 1
        number = int(pr["number"])
        marker = APPLY_MARKER.format(env=name)
        proc = tempoctl("apply", str(args.planfile), "--gitops-main", args.main,
                        environ=child_environ(folder, with_keys=True))
        log(proc)
        verdict = ("**✅ Applied**" if proc.returncode == 0 else
                   f"**❌ Not applied or failed** (exit {proc.returncode})")
        body = (f"{verdict} — the approved plan `{escape(str(saved.get('fingerprint')))}` from commit "
                f"`{actions.sha[:12]}`.\n\n<details><summary>Output</summary>\n\n"
                f"{fenced(proc.stdout + proc.stderr)}\n\n</details>")
        step_summary(f"### tempoctl apply — {escape(name)}\n\n{body}")
        if proc.returncode != 0 and "GitOps: " not in proc.stdout:
            # Refused before anything was settled or sent (a replay, a stale checkout): the merged PR's
            # comment keeps what its own run did; the job summary and log say why.
            print(f"{name}: refused; nothing was sent", file=sys.stderr)
            return proc.returncode
        existing = actions.github.find_comment(number, marker, actions.bot)
        head = (existing or {}).get("body") or f"{marker}\n### tempoctl apply — {escape(name)}"
        full = f"{head.split(chr(10) + '---' + chr(10))[0]}\n---\n{body}\n\n{footer(actions)}"
        if len(full) > COMMENT_LIMIT:
            full = f"{marker}\n### tempoctl apply — {escape(name)}\n\n{body}\n\n{footer(actions)}"[:COMMENT_LIMIT - 40]
        actions.github.upsert_comment(number, marker, full, actions.bot)
        return proc.returncode
    except GitHubError as e:
        print(f"apply_approved: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
