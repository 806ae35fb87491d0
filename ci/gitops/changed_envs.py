#!/usr/bin/env python3
"""Which environments a workflow run is about, as a JSON list for a job matrix.

`--base SHA --head SHA`: environments (folders `state/<env>/`) with a changed file between the two commits
(three-dot: what the head side changed since they diverged); removed environments are left out unless
`--keep-removed` (plan.yml says so in the PR). `--all`: every environment folder. Writes
`environments=<json>` to `$GITHUB_OUTPUT` and prints the list.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import set_output

_NO_COMMIT = {"", "0" * 40}


def changed(base: str, head: str) -> list[str]:
    if base in _NO_COMMIT:  # a new branch: what the head commit itself changed
        cmd = ["git", "diff-tree", "--no-commit-id", "--name-only", "-r", "--root", head, "--", "state/"]
    else:
        cmd = ["git", "diff", "--name-only", f"{base}...{head}", "--", "state/"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return sorted({p.split("/")[1] for p in out.splitlines() if p.count("/") >= 2})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--base", default="")
    ap.add_argument("--head", default="HEAD")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--keep-removed", action="store_true")
    args = ap.parse_args(argv)
    state = Path("state")
    if args.all:
        envs = sorted(p.name for p in state.iterdir() if p.is_dir()) if state.is_dir() else []
    else:
        try:
            envs = changed(args.base, args.head)
        except subprocess.CalledProcessError as e:
            print(f"changed_envs: git failed: {e.stderr.strip()}", file=sys.stderr)
            return 1
        envs = [e for e in envs if args.keep_removed or (state / e).is_dir()]
    text = json.dumps(envs)
    set_output("environments", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
