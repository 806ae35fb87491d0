"""Issue 17, item 1: the README's "Your first environment" runs as written. The commands are read from the
README between its markers (so the two cannot drift) and run in one shell, in a copy of the repository's
files (reusing the built venv and npm tools), on free ports on 127.0.0.1; the last plan shows no changes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- first-environment:begin -->", "<!-- first-environment:end -->"


def documented_commands() -> str:
    readme = (REPO / "README.md").read_text()
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1, "README markers of the first environment"
    section = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1, "one shell block between the markers"
    return blocks[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def copy_of_repository(dest: Path) -> None:
    """The files a clone has (tracked, plus new ones not ignored), without build products."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = REPO / rel
        if not src.is_file() or src.is_symlink():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(src.read_bytes())
    (dest / ".venv").symlink_to(REPO / ".venv")
    (dest / "tests" / "evm" / "node_modules").symlink_to((REPO / "tests" / "evm" / "node_modules").resolve())


def test_the_readme_first_environment_runs_as_written(tmp_path: Path) -> None:
    script = documented_commands()
    assert "tempoctl apply mine" in script and script.rstrip().endswith("tempoctl plan mine")
    root = tmp_path / "clone"
    copy_of_repository(root)
    assert not (root / "state" / "mine").exists()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPOCTL_", "TEYE_", "LOCAL_"))}
    env.update(RPC_PORT=str(free_port()), SOROBAN_PORT=str(free_port()), HOME=str(tmp_path / "home"))
    log = tmp_path / "output.txt"
    with log.open("w") as sink:  # a file, not a pipe: the background chain and emulator keep it open
        proc = subprocess.Popen(["bash", "-e", "-c", script], cwd=root, env=env, start_new_session=True,
                                stdout=sink, stderr=subprocess.STDOUT)
    try:
        proc.wait(timeout=420)
    finally:
        # the chain and the emulator were started in the background of that shell: its process group
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
    out = log.read_text()
    assert proc.returncode == 0, out
    assert "Deployed on http://127.0.0.1:" in out and "TreasuryVault" in out, out
    assert "mine: valid (3 files" in out, out
    assert "Apply complete:" in out, out
    last_plan = out.rsplit("Re-plan after apply:", 1)[1]
    assert last_plan.startswith(" no changes") and "No changes. Live state matches the desired state." in last_plan, out
    assert sorted(p.name for p in (root / "state" / "mine").iterdir()) == [
        "environment.yaml", "tempovault.yaml", "teye.yaml"]
    assert (root / ".tempoctl" / "mine.db").is_file()
    keys = root / ".tempoctl" / "mine.dev-keys.sh"
    assert keys.stat().st_mode & 0o077 == 0
    assert "0x" not in "".join(line for line in out.splitlines() if "KEY" in line)  # keys are not printed
