#!/usr/bin/env python3
"""apply.yml, per changed environment: apply on merge only the plan that was reviewed.

1. The pushed commit must come from a merged pull request (direct pushes are never applied).
2. The reviewed fingerprint is read from that PR's plan comment for the environment — only a comment written
   by the workflow's own bot counts, since anyone can type a marker.
3. tempoctl re-plans from live state now. Equal fingerprint: `tempoctl apply` of exactly that saved plan
   (which re-checks staleness itself). Different: nothing is sent; the new plan is posted on the PR and the
   job fails, so a person reviews what changed. An empty new plan applies nothing and succeeds.

Usage: apply_reviewed.py ENV [--out plans/ENV.json]
Exit: 0 applied (or nothing to apply), 1 refused or failed, 3 apply stopped part way (tempoctl's code).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from common import (
    APPLY_MARKER,
    FINGERPRINT,
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


def merged_pull(actions: Actions) -> dict[str, Any] | None:
    pulls = [p for p in actions.github.pulls_for_commit(actions.sha) if p.get("merged_at")]
    exact = [p for p in pulls if p.get("merge_commit_sha") == actions.sha]
    return (exact or pulls)[0] if (exact or pulls) else None


def main(argv: list[str] | None = None) -> int:
    ap = environment_parser(__doc__)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    actions = Actions.from_environ()
    folder = env_dir(args.environment)
    name = folder.name
    out = args.out or Path("plans") / f"{name}.json"
    if not folder.is_dir():
        print(f"{name}: the environment folder is gone; nothing to apply")
        return 0
    try:
        pr = merged_pull(actions)
        if pr is None:
            print(f"{name}: commit {actions.sha[:12]} does not come from a merged pull request; nothing is applied "
                  "without a reviewed plan", file=sys.stderr)
            return 1
        number = int(pr["number"])
        marker = APPLY_MARKER.format(env=name)

        def post(body: str) -> None:
            body = f"{marker}\n### tempoctl apply — {name}\n\n{body}\n\n{footer(actions)}"
            if len(body) > COMMENT_LIMIT:
                body = body[: COMMENT_LIMIT - 40] + "\n\n_(cut to fit a comment)_\n"
            actions.github.upsert_comment(number, marker, body, actions.bot)

        reviewed_comment = actions.github.find_comment(number, PLAN_MARKER.format(env=name), actions.bot)
        m = FINGERPRINT.search((reviewed_comment or {}).get("body") or "")
        reviewed = m.group(1) if m else None

        proc = tempoctl("plan", str(folder), "--out", str(out), environ=child_environ(folder, with_keys=False))
        log(proc)
        if proc.returncode != 0:
            post(f"**❌ Not applied:** the re-plan failed.\n\n{fenced(proc.stderr or proc.stdout)}")
            return 1
        doc = json.loads(out.read_text())
        now = str(doc["fingerprint"])
        set_output("fingerprint", now)
        if not doc.get("changes"):
            print(f"{name}: the new plan is empty; live state already matches, nothing to apply")
            step_summary(f"**{name}**: nothing to apply (live state matches)")
            return 0
        if reviewed != now:
            why = (f"no reviewed plan for `{name}` was found on #{number}" if reviewed is None else
                   f"the plan computed now (`{now}`) differs from the one reviewed on #{number} (`{reviewed}`)")
            shown = tempoctl("show", str(out), "--format", "markdown", environ=child_environ(folder, with_keys=False))
            post(f"**❌ Not applied:** {why}. Nothing was sent. Review the new plan below; to apply it, open a "
                 f"pull request (an empty commit is enough) so it is planned and reviewed.\n\n{shown.stdout}")
            print(f"{name}: refused: {why}", file=sys.stderr)
            step_summary(f"**{name}**: not applied — {why}")
            return 1
        print(f"{name}: the plan matches the reviewed fingerprint {now}; applying it")
        applied = tempoctl("apply", str(out), environ=child_environ(folder, with_keys=True))
        log(applied)
        verdict = "**✅ Applied**" if applied.returncode == 0 else f"**❌ Apply failed** (exit {applied.returncode})"
        post(f"{verdict} — the reviewed plan `{now}`.\n\n<details><summary>Output</summary>\n\n"
             f"{fenced(applied.stdout + applied.stderr)}\n\n</details>")
        step_summary(f"**{name}**: {verdict} (`{now}`)")
        return applied.returncode
    except GitHubError as e:
        print(f"apply_reviewed: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
