#!/usr/bin/env python3
"""drift.yml, per environment: run `tempoctl drift` and keep ONE open issue per environment in step with it.

Drift found: the environment's open issue (found by its hidden marker, opened by the bot) gets the new report
as its body; a new comment is added only when the set of drifted addresses changed, so an hourly schedule
does not notify watchers every hour. No issue open yet: one is opened. No drift: an open issue is closed
with a comment. An error (unreachable RPC, invalid state) fails the job and leaves the issue alone; the
metrics file then says `tempoctl_drift_check_success 0`.

Usage: drift_issue.py ENV [--prometheus FILE]
Exit: tempoctl drift's: 0 no drift, 2 drift (issue opened or updated), 1 error.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

from common import (
    DRIFT_MARKER,
    Actions,
    child_environ,
    env_dir,
    environment_parser,
    escape,
    fenced,
    footer,
    log,
    tempoctl,
)
from github_api import COMMENT_LIMIT, GitHubError

LABEL = "tempoctl-drift"
_ITEMS = re.compile(r"<!-- tempoctl-drift-items: (\S+) -->")


def _value(v: Any) -> str:
    text = "absent" if v is None else json.dumps(v, default=str)
    text = text if len(text) <= 80 else text[:79] + "…"
    return "`" + escape(text.replace("`", "'").replace("|", "\\|")) + "`"


def report(doc: dict[str, Any], actions: Actions, marker: str, digest: str) -> str:
    items = doc.get("drift") or []
    env = doc.get("environment", "?")
    head = [marker, f"<!-- tempoctl-drift-items: {digest} -->", f"### tempoctl drift — {env}", "",
            f"**{len(items)} item(s) differ from the desired state** (checked {doc.get('created_at', '?')}).", "",
            "| address | kind | declared | live | |", "|---|---|---|---|---|"]
    rows = [f"| `{escape(str(i['address']))}` | {i['kind']} | {_value(i.get('expected'))} | {_value(i.get('actual'))} | "
            f"{'apply corrects it' if i.get('corrected_by_apply') else 'reported only'} |" for i in items]
    pins = ", ".join(f"{n}: chain {p.get('chain_id')} block {p.get('block')}" for n, p in (doc.get("observed") or {}).items())
    tail = ["", f"Observed {pins}." if pins else "",
            (f"To correct what apply can: `tempoctl plan {env}`, review, apply through a pull request. "
             "This issue is updated by each scheduled check and closed when no drift is left."), "", footer(actions)]
    body = "\n".join(head + rows + tail)
    while len(body) > COMMENT_LIMIT - 200 and rows:
        rows = rows[:-max(1, len(rows) // 10)]
        body = "\n".join(head + rows + [f"| … | {len(items) - len(rows)} more | | | |"] + tail)
    return body


def main(argv: list[str] | None = None) -> int:
    ap = environment_parser(__doc__)
    ap.add_argument("--prometheus", type=Path)
    args = ap.parse_args(argv)
    actions = Actions.from_environ()
    folder = env_dir(args.environment)
    name = folder.name
    extra = ["--prometheus", str(args.prometheus)] if args.prometheus else []
    proc = tempoctl("drift", str(folder), "--format", "json", *extra, environ=child_environ(folder, with_keys=False))
    log(proc)
    if proc.returncode not in (0, 2):
        print(f"{name}: the drift check failed (exit {proc.returncode}); the issue is left as it is", file=sys.stderr)
        return proc.returncode or 1
    marker = DRIFT_MARKER.format(env=name)
    gh = actions.github
    try:
        issue = gh.find_open_issue(marker, actions.bot)
        if proc.returncode == 0:
            if issue is not None:
                gh.request("POST", f"/issues/{issue['number']}/comments",
                           {"body": f"No drift left in `{name}`: closing. {footer(actions)}"})
                gh.request("PATCH", f"/issues/{issue['number']}", {"state": "closed", "state_reason": "completed"})
                print(f"{name}: no drift; closed #{issue['number']}")
            else:
                print(f"{name}: no drift")
            return 0
        doc = json.loads(proc.stdout)
        addresses = sorted(str(i["address"]) for i in doc.get("drift") or [])
        digest = hashlib.sha256("\n".join(addresses).encode()).hexdigest()[:16]
        title = f"Drift in {name}: {len(addresses)} item(s) differ from the desired state"
        body = report(doc, actions, marker, digest)
        if issue is None:
            made = gh.request("POST", "/issues", {"title": title, "body": body, "labels": [LABEL]})
            print(f"{name}: drift; opened #{made['number']}")
            return 2
        gh.request("PATCH", f"/issues/{issue['number']}", {"title": title, "body": body})
        m = _ITEMS.search(issue.get("body") or "")
        if not m or m.group(1) != digest:
            gh.request("POST", f"/issues/{issue['number']}/comments",
                       {"body": f"The drift in `{name}` changed: now {len(addresses)} item(s). {footer(actions)}\n\n"
                                + fenced("\n".join(addresses), 5000)})
        print(f"{name}: drift; updated #{issue['number']}")
        return 2
    except GitHubError as e:
        print(f"drift_issue: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
