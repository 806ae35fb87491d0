"""Issue 17, item 5: honest progress. While an apply waits for receipts that its node cannot give (every
receipt query answered HTTP 503 by the RPC proxy, blocks not mined), it says what it waits for and why; a plan
made meanwhile says that apply is *running*, and once its process is gone (kill -9), that it *stopped*."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time

from tests.conftest import Workspace
from tests.support.anvil import Anvil
from tests.support.local_state import write_local_state
from tests.support.rpc_proxy import Fault, RpcProxy


def test_receipt_wait_speaks_and_a_plan_tells_running_from_stopped(  # type: ignore[no-untyped-def]
        anvil: Anvil, chain, workspace: Workspace) -> None:
    write_local_state(workspace.root / "state" / "local", chain)
    failing = Fault("5xx", method="^eth_getTransactionReceipt$", status=503)
    anvil.rpc("evm_setAutomine", [False])  # sent transactions stay in the pool: the apply has to wait
    proc: subprocess.Popen[str] | None = None
    lines: queue.Queue[str | None] = queue.Queue()
    seen: list[str] = []
    try:
        with RpcProxy(anvil.url, rules=[failing]) as proxy:
            env = {**os.environ, **workspace.env, "TEMPOCTL_LOCAL_RPC": proxy.url, "PYTHONUNBUFFERED": "1",
                   "HOME": str(workspace.root / "home")}
            proc = subprocess.Popen([sys.executable, "-m", "tempoctl", "--no-color", "apply", "local",
                                     "--auto-approve"], cwd=workspace.root, env=env, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

            def pump() -> None:
                assert proc is not None and proc.stdout is not None
                for line in proc.stdout:
                    lines.put(line.rstrip("\n"))
                lines.put(None)

            threading.Thread(target=pump, daemon=True).start()
            deadline = time.monotonic() + 90
            progress = None
            while progress is None and time.monotonic() < deadline:
                try:
                    line = lines.get(timeout=1)
                except queue.Empty:
                    continue
                assert line is not None, "apply ended without a word about its wait:\n" + "\n".join(seen)
                seen.append(line)
                if line.startswith("Waiting for "):
                    progress = line
            assert progress is not None, "no progress line while waiting for receipts:\n" + "\n".join(seen)
            # what it waits for (how many, where, which hashes) and why (the RPC error)
            assert "transaction(s) on 127.0.0.1" in progress and "0x" in progress, progress
            assert "receipt queries fail:" in progress and "HTTP 503" in progress, progress

            running = workspace.run("plan", "local")  # straight to anvil, like a colleague's plan
            assert "An apply is running now (apply local by " in running.output, running.output
            assert "stopped" not in running.output, running.output

            proc.kill()  # kill -9: the lock row stays, its process is gone
            proc.wait(timeout=30)
            stopped = workspace.run("plan", "local")
            assert "stopped (its process apply local by " in stopped.output, stopped.output
            assert "journalled but not settled" in stopped.output and "running now" not in stopped.output
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        anvil.rpc("evm_setAutomine", [True])
        anvil.rpc("evm_mine", [])
