"""Start and stop a real anvil (npm @foundry-rs/anvil, pinned in tests/evm/package.json) on a free port."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVM_TOOLS = Path(__file__).resolve().parents[1] / "evm"
ANVIL_BIN = EVM_TOOLS / "node_modules" / ".bin" / "anvil"
CAST_BIN = EVM_TOOLS / "node_modules" / ".bin" / "cast"

# anvil's default mnemonic ("test test ... junk") accounts 0..9: test keys only, never real funds.
DEV_KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
]
DEV_ADDRESSES = [
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
    "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Anvil:
    url: str
    port: int
    chain_id: int
    process: subprocess.Popen[bytes]

    def rpc(self, method: str, params: list[object] | None = None) -> object:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
        req = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            out = json.loads(resp.read())
        if "error" in out:
            raise RuntimeError(f"{method}: {out['error']}")
        return out["result"]

    def snapshot(self) -> str:
        return str(self.rpc("evm_snapshot"))

    def revert(self, snapshot_id: str) -> None:
        """Revert to a snapshot and put the chain clock back on the wall clock.

        anvil's revert also rewinds time to the snapshot's, so without this every reverted test leaves the
        chain further behind real time; a relay that signs with the local clock then sees its signals
        rejected as "from the future" (minutes behind after the chaos tests)."""
        self.rpc("evm_revert", [snapshot_id])
        head: Any = self.rpc("eth_getBlockByNumber", ["latest", False])
        self.rpc("evm_setTime", [max(int(time.time()), int(head["timestamp"], 16))])

    def mine(self, blocks: int = 1) -> None:
        self.rpc("anvil_mine", [hex(blocks)])


def anvil_available() -> bool:
    return ANVIL_BIN.exists() or shutil.which("anvil") is not None


@contextlib.contextmanager
def start_anvil(chain_id: int = 31337, *, block_time: float | None = None, extra: list[str] | None = None) -> Iterator[Anvil]:
    """Run anvil on 127.0.0.1 on a free port until the context exits."""
    binary = str(ANVIL_BIN) if ANVIL_BIN.exists() else (shutil.which("anvil") or "anvil")
    port = free_port()
    args = [binary, "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(chain_id), "--silent"]
    if block_time:
        args += ["--block-time", str(block_time)]
    args += extra or []
    with tempfile.TemporaryDirectory(prefix="anvil-") as tmp:
        env = dict(os.environ, HOME=tmp)
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=tmp)
        node = Anvil(url=f"http://127.0.0.1:{port}", port=port, chain_id=chain_id, process=proc)
        try:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(f"anvil exited early: {err}")
                try:
                    node.rpc("eth_chainId")
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            yield node
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
