#!/usr/bin/env python3
"""apply.yml, plan job on main (trusted code, read-only credentials): for one pending environment, check the
commit is main's for that environment, compute and save the plan, and show it where the deployment reviewer
looks: the job summary, and ONE comment on the merged pull request (first line `<!-- tempoctl-apply: ENV -->`).
The saved plan is uploaded as an artifact of this run; the apply job of the same run applies exactly it after
a required reviewer of the GitHub environment approved.

The merged pull request is the one whose merge commit is this commit, or none: a direct push is not planned.

Usage: plan_main.py ENV [--out plans/ENV.json] [--main origin/main]
Exit: 0 planned (changes or none), 1 refused (not main's, not a merged pull request, denied by a policy) or
failed.
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
    policy_denied,
    set_output,
    step_summary,
    tempoctl,
    without_fingerprint_comment,
)
from github_api import COMMENT_LIMIT, GitHubError


def main(argv: list[str] | None = None) -> int:
    ap = environment_parser(__doc__)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--main", default="origin/main")
    args = ap.parse_args(argv)
    actions = Actions.from_environ()
    folder = env_dir(args.environment)
    name = folder.name
    out = args.out or Path("plans") / f"{name}.json"
    if not folder.is_dir():
        print(f"{name}: the environment folder is gone; nothing to plan (tempoctl never destroys it)")
        return 0
    try:
        pr = actions.github.merged_pull(actions.sha)
        if pr is None:
            msg = (f"{name}: commit {actions.sha[:12]} is not the merge commit of exactly one merged pull request; "
                   "nothing is planned for apply (a direct push to main is never applied)")
            print(msg, file=sys.stderr)
            step_summary(f"**{name}**: ❌ {escape(msg)}")
            return 1
        number = int(pr["number"])
        marker = APPLY_MARKER.format(env=name)

        def post(body: str) -> None:
            body = f"{marker}\n### tempoctl apply — {escape(name)}\n\n{body}\n\n{footer(actions)}"
            step_summary(body.split("\n", 1)[1])
            if len(body) > COMMENT_LIMIT:
                body = body[: COMMENT_LIMIT - 40] + "\n\n_(cut to fit a comment)_\n"
            actions.github.upsert_comment(number, marker, body, actions.bot)

        environ = child_environ(folder, with_keys=False)
        checked = tempoctl("gitops", "check", str(folder), "--main", args.main, environ=environ)
        log(checked)
        if checked.returncode != 0:
            # Job summary only: the merged PR's comment keeps what its own run planned and applied.
            step_summary(f"### tempoctl apply — {escape(name)}\n\n**❌ Not planned:** commit `{actions.sha[:12]}` "
                         f"is not what main says `{escape(name)}` should be now (a re-run of an old run?). Nothing "
                         f"will be applied from this run.\n\n{fenced(checked.stderr)}")
            return 1
        out.unlink(missing_ok=True)
        proc = tempoctl("plan", str(folder), "--out", str(out), environ=environ)
        log(proc)
        if policy_denied(proc, out):  # main's own policies deny it: shown, never offered for approval
            shown = tempoctl("show", str(out), "--format", "markdown", environ=environ)
            post("**❌ Policies deny the plan on main**; nothing will be applied from this run.\n\n"
                 f"{escape(without_fingerprint_comment(shown.stdout))}")
            return 1
        if proc.returncode != 0:
            post(f"**❌ The plan on main failed**; nothing is applied.\n\n{fenced(proc.stderr or proc.stdout)}")
            return 1
        doc = json.loads(out.read_text())
        fingerprint = str(doc["fingerprint"])
        shown = tempoctl("show", str(out), "--format", "markdown", environ=environ)
        if shown.returncode != 0:
            log(shown)
            return 1
        n = len(doc.get("changes") or [])
        post(f"**⏳ Awaiting approval** of the `{escape(name)}` deployment in this workflow run: a required "
             f"reviewer approves exactly this plan (computed on main from commit `{actions.sha[:12]}`; artifact "
             f"`tempoctl-plan-{escape(name)}` of the run). {'No changes: approving records the commit as applied.' if not n else ''}"
             f"\n\n{escape(without_fingerprint_comment(shown.stdout))}\n\nfingerprint `{fingerprint}`")
    except GitHubError as e:
        print(f"plan_main: {e}", file=sys.stderr)
        return 1
    set_output("fingerprint", fingerprint)
    set_output("planfile", str(out))
    set_output("changes", str(n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
