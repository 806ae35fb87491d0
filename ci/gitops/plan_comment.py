#!/usr/bin/env python3
"""plan.yml, per changed environment of a pull request: validate and plan as a REVIEW AID, post or edit the
ONE comment of that environment (first line exactly `<!-- tempoctl-plan: ENV -->`), or, for a fork, only
the job summary (a fork's token cannot comment).

This job runs the pull request's own code (workflow, scripts, state files), so nothing it writes authorizes
anything: the apply workflow on main plans again and a required reviewer approves that plan. The job gets
no secrets beyond the named read-only set the workflow sets (RPC URLs), and `--trusted-base SHA` makes
tempoctl take what decides its reach from the base commit, not from the pull request.

Usage: plan_comment.py ENV [--out plans/ENV.json] [--pr NUMBER] [--trusted-base SHA]
Exit: 0 planned (with or without changes), 1 validation or plan failed, a policy (policies/*.rego at the base
commit) denies the plan (the comment shows it and the rules), or GitHub refused the comment.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from common import (
    PLAN_MARKER,
    Actions,
    child_environ,
    env_dir,
    environment_parser,
    escape,
    fenced,
    footer,
    log,
    policy_denied,
    set_output,
    step_summary,
    tempoctl,
    without_fingerprint_comment,
)
from github_api import COMMENT_LIMIT, GitHubError

REVIEW_AID = ("_Review aid: computed by this pull request's own workflow run, so it authorizes nothing. After "
              "the merge, the `apply` workflow on main plans again and a required reviewer approves that plan "
              "before anything is signed._")


def from_fork(event: dict[str, object]) -> bool:
    """A fork's pull request: its token is read-only and it gets no secrets at all."""
    pr = event.get("pull_request") or {}
    head_repo = ((pr.get("head") or {}).get("repo") or {}) if isinstance(pr, dict) else {}
    base_repo = event.get("repository") or {}
    if not isinstance(head_repo, dict) or not isinstance(base_repo, dict):
        return False
    return bool(head_repo.get("fork")) or (
        bool(head_repo.get("full_name")) and head_repo.get("full_name") != base_repo.get("full_name"))


def main(argv: list[str] | None = None) -> int:
    ap = environment_parser(__doc__)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--pr", type=int)
    ap.add_argument("--trusted-base", default="", help="the base commit (tempoctl's --trusted-base)")
    args = ap.parse_args(argv)
    env = args.environment
    actions = Actions.from_environ()
    pr = args.pr or int((actions.event.get("pull_request") or {}).get("number") or 0)
    if not pr:
        print("plan_comment: no pull request number (event has none; pass --pr)", file=sys.stderr)
        return 1
    fork = from_fork(actions.event)
    out = args.out or Path("plans") / f"{Path(env).name}.json"
    marker = PLAN_MARKER.format(env=Path(env).name)
    folder = env_dir(env)
    trusted = ["--trusted-base", args.trusted_base] if args.trusted_base else []
    if trusted and "--trusted-base" not in tempoctl("validate", "--help", environ=dict(os.environ)).stdout:
        # Only a test run of a tempoctl older than --trusted-base may go on without it, and says so.
        if os.environ.get("TEMPOCTL_GITOPS_ALLOW_NO_TRUSTED_BASE") != "1":
            print("plan_comment: this tempoctl has no --trusted-base; refusing to plan a pull request without it",
                  file=sys.stderr)
            return 1
        print("plan_comment: WARNING: tempoctl has no --trusted-base; planning without it (test only)")
        trusted = []

    def post(body: str) -> None:
        step_summary(body)
        if fork:
            print(f"{env}: a fork's pull request: the plan is in the job summary (its token cannot comment)")
            return
        body = f"{marker}\n{body}"
        if len(body) > COMMENT_LIMIT:  # the renderer stays under 60,000; this guards the footer and errors
            body = body[: COMMENT_LIMIT - 40] + "\n\n_(cut to fit a comment)_\n"
        comment_id, created = actions.github.upsert_comment(pr, marker, body, actions.bot)
        print(f"{'posted' if created else 'updated'} the plan comment of {env} on #{pr} (id {comment_id})")

    title = f"### tempoctl plan (pull request) — {escape(folder.name)}\n\n{REVIEW_AID}\n\n"
    try:
        if not folder.is_dir():
            post(title + "The environment was removed in this pull request: nothing to plan (tempoctl never "
                 "destroys what a removed folder declared).\n\n" + footer(actions))
            return 0
        environ = child_environ(folder, with_keys=False)
        proc = tempoctl("validate", *trusted, str(folder), environ=environ)
        log(proc)
        if proc.returncode != 0:
            post(title + f"**❌ `tempoctl validate` failed.**\n\n{fenced(proc.stderr or proc.stdout)}\n\n"
                 + footer(actions))
            return 1
        out.unlink(missing_ok=True)  # a denied plan is told from a failed one by the plan file it saved
        proc = tempoctl("plan", *trusted, str(folder), "--out", str(out), "--detailed-exitcode", environ=environ)
        log(proc)
        denied = policy_denied(proc, out)  # shown like any plan (the comment lists the rules); the job fails
        if proc.returncode not in (0, 2) and not denied:
            post(title + f"**❌ `tempoctl plan` failed.**\n\n{fenced(proc.stderr or proc.stdout)}\n\n"
                 + footer(actions))
            return 1
        doc = json.loads(out.read_text())
        fingerprint = str(doc["fingerprint"])
        shown = tempoctl("show", str(out), "--format", "markdown", environ=environ)
        if shown.returncode != 0:
            log(shown)
            return 1
        post(title + escape(without_fingerprint_comment(shown.stdout)) + "\n\n"
             + footer(actions, f"fingerprint `{fingerprint}`"))
    except GitHubError as e:
        print(f"plan_comment: {e}", file=sys.stderr)
        return 1
    set_output("fingerprint", fingerprint)
    set_output("changes", str(len(doc.get("changes") or [])))
    if denied:
        print(f"{env}: policies (read from the base commit) deny this plan; see the comment", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
