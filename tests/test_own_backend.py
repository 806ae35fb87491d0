"""Issue 17, item 3: an environment without `backend:` keeps its locks, journal and records in its own file
`.tempoctl/<env>.db` (they all used to share `.tempoctl/state.db`), and what it left in the shared file — a
lock still held, unsettled sends, hand-offs, managed keys, its audit log — moves with it on first use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tempoctl.backend import LockHolder, open_backend
from tests.conftest import Workspace

TX = "0x" + "ab" * 32


def _env(ws: Workspace, name: str) -> None:
    folder = ws.root / "state" / name
    folder.mkdir(parents=True)
    (folder / "environment.yaml").write_text(f"environment: {name}\n")


def test_each_environment_has_its_own_default_backend(workspace: Workspace) -> None:
    for name in ("alpha", "beta"):
        _env(workspace, name)
        r = workspace.run("apply", name, "--auto-approve")
        assert r.exit_code == 0, r.output + r.stderr
    files = sorted(p.name for p in (workspace.root / ".tempoctl").glob("*.db"))
    assert files == ["alpha.db", "beta.db"]  # no shared state.db
    with open_backend("sqlite:///.tempoctl/alpha.db", workspace.root) as be:
        assert [a["environment"] for a in be.applies("alpha")] == ["alpha"] and be.applies("beta") == []


def _seed_legacy(root: Path) -> None:
    """What an older tempoctl left in the shared file for two environments."""
    with open_backend("sqlite:///.tempoctl/state.db", root) as be:
        for env in ("mine", "other"):
            be.audit_begin(env, f"old-{env}", holder=LockHolder.me(env, f"apply {env}"), git_commit=None,
                           plan_fingerprint=None)
            be.journal_append(env, f"old-{env}", "intent", {"tx_hash": TX, "address": "vault.role", "nonce": 7,
                                                             "network": "anvil", "sender": "0x" + "11" * 20})
            be.update_pending(env, {"vault.role": {"digest": "sha256:1", "handoff": "Safe batch"}})
            be.remember_keys(env, "vision_records.whitelist", ["k1"])


def test_rows_in_the_shared_file_move_to_the_environments_own_file(workspace: Workspace) -> None:
    root = workspace.root
    _env(workspace, "mine")
    _seed_legacy(root)
    # An older tempoctl's apply of `mine` is running right now, holding its lock in the shared file.
    holder = subprocess.Popen(
        [sys.executable, "-c", ("import sys, time\nfrom tempoctl.backend import open_backend\n"
         "with open_backend('sqlite:///.tempoctl/state.db') as be, be.lock('mine', command='apply mine (old)'):\n"
         "    print('locked', flush=True)\n    time.sleep(120)\n")],
        cwd=root, stdout=subprocess.PIPE, text=True, env={**os.environ, "HOME": str(root / "home")})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        before = (root / ".tempoctl" / "state.db").stat().st_size

        status = workspace.run("lock", "status", "mine")
        assert f"pid {holder.pid}" in status.output and "apply mine (old)" in status.output, status.output
        blocked = workspace.run("apply", "mine", "--auto-approve")
        assert blocked.exit_code != 0 and "locked by another operation" in blocked.output + blocked.stderr
        assert "old-mine" in workspace.run("history", "mine").output

        assert (root / ".tempoctl" / "mine.db").is_file()
        with open_backend("sqlite:///.tempoctl/mine.db", root) as be:
            assert [e["tx_hash"] for e in be.unsettled("mine")] == [TX]
            assert be.pending_records("mine") == {"vault.role": {"digest": "sha256:1", "handoff": "Safe batch"}}
            assert be.managed_keys("mine", "vision_records.whitelist") == {"k1"}
            assert be.applies("other") == [] and be.unsettled("other") == []  # only its own rows
        with open_backend("sqlite:///.tempoctl/state.db", root) as be:  # the old file is left as it was
            assert len(be.unsettled("other")) == 1 and len(be.unsettled("mine")) == 1
        assert (root / ".tempoctl" / "state.db").stat().st_size >= before
        assert not [p for p in (root / ".tempoctl").iterdir() if ".adopt-" in p.name]  # no temporary left
    finally:
        holder.kill()
        holder.wait(timeout=30)
