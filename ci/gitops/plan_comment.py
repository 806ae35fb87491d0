#!/usr/bin/env python3
"""plan.yml, per changed environment: validate, plan with read-only credentials, save the plan, and post or
edit the ONE pull-request comment of that environment (found again by its hidden marker).

The comment carries the plan's fingerprint (`<!-- tempoctl-fingerprint: sha256:… -->`, also shown in the
footer): apply.yml applies on merge only a plan with exactly that fingerprint. A failed validation or plan
replaces the comment with the error, so no stale fingerprint stays reviewable.

Usage: plan_comment.py ENV [--out plans/ENV.json] [--pr NUMBER]
Exit: 0 planned (with or without changes), 1 validation or plan failed, or GitHub refused the comment.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from common import (
    PLAN_MARKER,
    Actions,
    child_environ,
    env_dir,
    environment_parser,
    fenced,
    footer,
    log,
    set_output,
    step_summary,
    tempoctl,
)
from github_api import COMMENT_LIMIT, GitHubError


def main(argv: list[str] | None = None) -> int:
    ap = environment_parser(__doc__)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--pr", type=int)
    args = ap.parse_args(argv)
    env = args.environment
    actions = Actions.from_environ()
    pr = args.pr or int((actions.event.get("pull_request") or {}).get("number") or 0)
    if not pr:
        print("plan_comment: no pull request number (event has none; pass --pr)", file=sys.stderr)
        return 1
    out = args.out or Path("plans") / f"{Path(env).name}.json"
    marker = PLAN_MARKER.format(env=Path(env).name)
    folder = env_dir(env)

    def post(body: str) -> None:
        body = f"{marker}\n{body}"
        if len(body) > COMMENT_LIMIT:  # the renderer stays under 60,000; this guards the footer and errors
            body = body[: COMMENT_LIMIT - 40] + "\n\n_(cut to fit a comment)_\n"
        comment_id, created = actions.github.upsert_comment(pr, marker, body, actions.bot)
        print(f"{'posted' if created else 'updated'} the plan comment of {env} on #{pr} (id {comment_id})")

    try:
        if not folder.is_dir():
            post(f"### tempoctl plan — {folder.name}\n\nThe environment was removed in this pull request: "
                 "nothing to plan (tempoctl never destroys what a removed folder declared).\n\n" + footer(actions))
            return 0
        environ = child_environ(folder, with_keys=False)
        proc = tempoctl("validate", str(folder), environ=environ)
        log(proc)
        if proc.returncode != 0:
            post(f"### tempoctl plan — {folder.name}\n\n**❌ `tempoctl validate` failed**; nothing can be "
                 f"applied from this pull request until it passes.\n\n{fenced(proc.stderr or proc.stdout)}\n\n"
                 + footer(actions))
            return 1
        proc = tempoctl("plan", str(folder), "--out", str(out), "--detailed-exitcode", environ=environ)
        log(proc)
        if proc.returncode not in (0, 2):
            post(f"### tempoctl plan — {folder.name}\n\n**❌ `tempoctl plan` failed**; nothing can be applied "
                 f"from this pull request until a plan succeeds.\n\n{fenced(proc.stderr or proc.stdout)}\n\n"
                 + footer(actions))
            return 1
        doc = json.loads(out.read_text())
        fingerprint = str(doc["fingerprint"])
        shown = tempoctl("show", str(out), "--format", "markdown", environ=environ)
        if shown.returncode != 0:
            log(shown)
            return 1
        post(shown.stdout.rstrip() + "\n\n" + footer(actions, f"fingerprint `{fingerprint}` · artifact "
                                                              f"`tempoctl-plan-{folder.name}`"))
    except GitHubError as e:
        print(f"plan_comment: {e}", file=sys.stderr)
        return 1
    set_output("fingerprint", fingerprint)
    set_output("planfile", str(out))
    set_output("changes", str(len(doc.get("changes") or [])))
    step_summary(f"**{folder.name}**: {len(doc.get('changes') or [])} change(s), fingerprint `{fingerprint}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
