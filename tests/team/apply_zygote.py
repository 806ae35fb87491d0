"""Start `tempoctl apply` processes quickly for the kill -9 test: this process imports tempoctl, web3 and
eth_account once, then forks one child per request that runs the real CLI (`tempoctl apply ENV
--auto-approve`) in its own working directory and environment. A child is an ordinary, separate process
that the test SIGKILLs at a random point; only the ~1-2 s of imports per start are saved, so 50 rounds fit
the suite's time budget.

Protocol (one JSON object per line on stdin/stdout): {"op": "run", "cwd", "env", "argv"} -> {"pid"};
{"op": "wait", "pid"} -> {"status"} (the raw wait status; the child is reaped here, its parent).
"""

from __future__ import annotations

import json
import os
import sys

import eth_account  # noqa: F401 - the heavy imports every apply needs, paid once
import web3  # noqa: F401

import tempoctl.apply.evm
import tempoctl.apply.resume
import tempoctl.apply.runner
import tempoctl.backend.sqlite
import tempoctl.plan.build  # noqa: F401
from tempoctl.cli import main


def _child(req: dict) -> None:  # type: ignore[type-arg]
    os.chdir(req["cwd"])
    os.environ.update(req["env"])
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    try:
        main(req["argv"], prog_name="tempoctl")
    except SystemExit as exc:
        os._exit(exc.code if isinstance(exc.code, int) else 1)
    os._exit(0)


def serve() -> None:
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        if req["op"] == "run":
            pid = os.fork()
            if pid == 0:
                _child(req)
            print(json.dumps({"pid": pid}), flush=True)
        elif req["op"] == "wait":
            _, status = os.waitpid(req["pid"], 0)
            print(json.dumps({"status": status}), flush=True)


if __name__ == "__main__":
    serve()
