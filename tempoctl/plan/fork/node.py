"""Start and stop the local anvil that `plan --fork` runs a plan on: forked from a network's RPC at the plan's
pinned block, listening on 127.0.0.1 on a free port, in its own temporary folder.

The fork is a throw-away: it is stopped and its folder removed when the `fork_node` context exits, whatever
ends it (an error, Ctrl-C, SIGTERM: the latter is turned into an exception while a fork runs so the same
`finally` stops it). The RPC URL may carry an API key: it is never put into an error message (anvil's own
output is rewritten to the URL's host); it is on anvil's command line, which anvil offers no other way to take.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from tempoctl.errors import ConfigError, RpcError

ANVIL_ENV = "TEMPOCTL_ANVIL"
INSTALL_HINT = (f"Install anvil (npm package @foundry-rs/anvil: `npm install -g @foundry-rs/anvil`, or `npm ci` in "
                f"tests/evm of a tempoctl checkout), or point {ANVIL_ENV} at an anvil binary.")
_START_TIMEOUT = 60.0  # a fork's first request reads the remote block; a slow RPC needs time


class AnvilNotFound(ConfigError):
    """`plan --fork` needs anvil and none was found."""


class ForkStartError(RpcError):
    """anvil did not come up as a fork of the network."""


def find_anvil(cwd: Path | None = None) -> str:
    """The anvil binary: `$TEMPOCTL_ANVIL`, then `node_modules/.bin/anvil` and `tests/evm/node_modules/.bin/anvil`
    under the working directory or this source checkout, then `anvil` on PATH.

    Raises:
        AnvilNotFound: none of them exists (the message says how to install it).
    """
    configured = os.environ.get(ANVIL_ENV)
    if configured:
        if Path(configured).is_file() and os.access(configured, os.X_OK):
            return configured
        raise AnvilNotFound(f"{ANVIL_ENV} names {configured}, which is not an executable file", hint=INSTALL_HINT)
    roots = [cwd or Path.cwd(), Path(__file__).resolve().parents[3]]
    for root in roots:
        for rel in ("node_modules/.bin/anvil", "tests/evm/node_modules/.bin/anvil"):
            candidate = root / rel
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    found = shutil.which("anvil")
    if found:
        return found
    raise AnvilNotFound("`plan --fork` runs the plan on a local anvil fork, and anvil is not installed",
                        hint=INSTALL_HINT)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ForkNode:
    """A running fork: its loopback URL, the block it forked at, and its process (for tests: `pid`)."""

    url: str
    block: int
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


def _reachable(url: str) -> bool:
    import json
    import urllib.request

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return "result" in json.loads(resp.read())
    except (OSError, ValueError):
        return False


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)  # its own group (start_new_session): the npm launcher and the anvil it runs


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the fork's whole process group: npm's `anvil` is a launcher that runs the real binary as a child."""
    _signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _signal_group(proc, signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the launcher may exit before its child: wait for the group to empty
        try:
            os.killpg(proc.pid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.02)
    _signal_group(proc, signal.SIGKILL)


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """While a fork runs, SIGTERM raises SystemExit (143) so `finally` blocks stop the fork; outside the main
    thread (where signals cannot be handled) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def fork_node(binary: str, rpc_url: str, block: int, *, network: str) -> Iterator[ForkNode]:
    """Run `anvil --fork-url RPC --fork-block-number BLOCK` on 127.0.0.1 until the context exits.

    Raises:
        ForkStartError: anvil exited or did not answer within the start timeout.
    """
    from tempoctl.observed.evm.client import safe_host

    with _sigterm_as_exit(), tempfile.TemporaryDirectory(prefix="tempoctl-fork-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ETH_", "FOUNDRY_", "ANVIL_"))}
        env["HOME"] = tmp
        port = _free_port()
        args = [binary, "--host", "127.0.0.1", "--port", str(port), "--fork-url", rpc_url,
                "--fork-block-number", str(block), "--no-storage-caching", "--quiet"]
        # Own process group: a Ctrl-C at the terminal reaches tempoctl, which stops the fork itself, in order.
        log = Path(tmp) / "anvil.log"  # a file, not a pipe: nobody reads a pipe while the fork runs
        with log.open("wb") as sink:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink, env=env, cwd=tmp,
                                    start_new_session=True)
        node = ForkNode(url=f"http://127.0.0.1:{port}", block=block, process=proc)
        try:
            deadline = time.monotonic() + _START_TIMEOUT
            while not _reachable(node.url):
                if proc.poll() is not None:
                    err = log.read_text(errors="replace").replace(rpc_url, safe_host(rpc_url)).strip().splitlines()
                    raise ForkStartError(f"anvil could not fork {network} ({safe_host(rpc_url)}) at block {block}: "
                                         + (err[-1][:300] if err else f"exit status {proc.returncode}"))
                if time.monotonic() > deadline:
                    raise ForkStartError(f"anvil did not answer within {_START_TIMEOUT:g} s while forking {network} "
                                         f"({safe_host(rpc_url)}) at block {block}")
                time.sleep(0.05)
            yield node
        finally:
            _stop(proc)
