#!/usr/bin/env python3
"""apply.yml, first job: which environments the pushed commit of main must plan and apply, as a JSON list for
the job matrix.

Not the push's diff (`before..sha`): an environment is listed when its state folder differs from the one
last applied, as recorded per environment in the shared backend (`tempoctl gitops pending`). So a merge
whose run was cancelled (a newer push replaced it in the concurrency group) or failed is picked up by the
next run. First run, nothing recorded yet: every environment is listed. Writes `environments=<json>`.
"""

from __future__ import annotations

import json
import sys

from common import set_output, tempoctl


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    proc = tempoctl("gitops", "pending", *args, environ=_environ())
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        print(f"pending_envs: tempoctl gitops pending failed (exit {proc.returncode})", file=sys.stderr)
        return 1
    try:
        envs = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print("pending_envs: tempoctl printed no list", file=sys.stderr)
        return 1
    text = json.dumps(sorted(str(e) for e in envs))
    set_output("environments", text)
    print(text)
    return 0


def _environ() -> dict[str, str]:
    """Only config variables (the backend DSN): every environment's `${VAR}`s, no env-file secret, no key."""
    import os
    from pathlib import Path

    from common import child_environ

    out: dict[str, str] = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "TEMPOCTL_SECRETS")}
    state = Path("state")
    for folder in sorted(p for p in state.iterdir() if p.is_dir()) if state.is_dir() else []:
        for k, v in child_environ(folder, with_keys=False).items():
            out.setdefault(k, v)
    return out


if __name__ == "__main__":
    sys.exit(main())
