"""Start `tempoctl` processes quickly for the crash and concurrency tests.

`serve()` (run as `python -m tests.team.apply_zygote`) imports tempoctl, web3 and eth_account once, then
forks one child per request that runs the real CLI (e.g. `tempoctl apply ENV --auto-approve`) in its own
working directory and environment. A child is an ordinary, separate process that the tests SIGKILL at a
random point or race against another; only the ~1-2 s of imports per start are saved, so 60 rounds fit the
suite's time budget. `Zygote` is the tests' side.

Protocol (one JSON object per line): {"op": "run", "cwd", "env", "argv", "out"} -> {"pid"};
{"op": "wait", "pid"} -> {"status"} (the child's exit code, or -signal; it is reaped here, its parent).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


class Zygote:
    """The tests' handle on a running zygote."""

    def __init__(self) -> None:
        root = Path(__file__).resolve().parents[2]
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.team.apply_zygote"], cwd=root, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self._read() == {"ready": True}

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        return json.loads(self.proc.stdout.readline())  # type: ignore[no-any-return]

    def _ask(self, **req: object) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def run(self, cwd: Path, env: dict[str, str], *argv: str, out: Path | None = None) -> int:
        """Start `tempoctl ARGV...` in `cwd` with `env` added; stdout and stderr go to `out` (or nowhere)."""
        return int(self._ask(op="run", cwd=str(cwd), env=env, argv=list(argv), out=str(out or os.devnull))["pid"])

    def wait(self, pid: int) -> int:
        return int(self._ask(op="wait", pid=pid)["status"])

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def _child(req: dict[str, Any]) -> None:
    from tempoctl.cli import main

    os.chdir(req["cwd"])
    os.environ.update(req["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(req["out"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    try:
        main(req["argv"], prog_name="tempoctl")
    except SystemExit as exc:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exc.code if isinstance(exc.code, int) else 1)
    os._exit(0)


def serve() -> None:
    # The heavy imports every apply needs, paid once here instead of in every child.
    import eth_account  # noqa: F401
    import web3  # noqa: F401

    import tempoctl.apply.evm
    import tempoctl.apply.resume
    import tempoctl.apply.runner
    import tempoctl.backend.postgres
    import tempoctl.backend.sqlite
    import tempoctl.cli
    import tempoctl.plan.build  # noqa: F401

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
            code = os.waitstatus_to_exitcode(status)
            print(json.dumps({"status": code}), flush=True)


if __name__ == "__main__":
    serve()
