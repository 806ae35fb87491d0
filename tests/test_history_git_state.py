"""Issue 17, item 2: `history` says whether the state files that ran were HEAD's, or changed or unknown to git
at apply time — a commit hash alone claimed HEAD for an untracked `state/mine`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import Workspace


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@127.0.0.1", *args],
                   check=True, capture_output=True)


def _apply_and_read(ws: Workspace) -> tuple[str, dict[str, object]]:
    r = ws.run("apply", "mine", "--auto-approve")
    assert r.exit_code == 0, r.output + r.stderr
    text = ws.run("history", "mine", "--limit", "1")
    assert text.exit_code == 0, text.output
    js = ws.run("history", "mine", "--limit", "1", "--format", "json")
    return text.stdout, json.loads(js.stdout)["applies"][0]


def test_history_records_committed_modified_or_untracked_state(workspace: Workspace) -> None:
    root = workspace.root
    _git(root, "init", "-q")
    (root / ".gitignore").write_text(".tempoctl/\nhome/\n")
    _git(root, "add", ".gitignore")
    _git(root, "commit", "-qm", "init")
    folder = root / "state" / "mine"
    folder.mkdir(parents=True)
    (folder / "environment.yaml").write_text("environment: mine\nbackend: sqlite:///.tempoctl/mine.db\n")

    text, entry = _apply_and_read(workspace)  # state/mine exists only in the working tree
    assert entry["git_state"] == "untracked" and entry["git_commit"]
    assert "+ UNTRACKED state files (not in git)" in text, text

    _git(root, "add", "state")
    _git(root, "commit", "-qm", "state/mine")
    text, entry = _apply_and_read(workspace)
    assert entry["git_state"] == "committed"
    assert "(state files committed)" in text and "UNTRACKED" not in text and "MODIFIED" not in text, text

    (folder / "environment.yaml").write_text("# edited, not committed\n" + (folder / "environment.yaml").read_text())
    text, entry = _apply_and_read(workspace)
    assert entry["git_state"] == "modified"
    assert "+ MODIFIED state files (not committed)" in text, text

    _git(root, "checkout", "--", "state")  # an untracked new file beside committed ones still counts
    (folder / "extra.yaml").write_text("hosts: {}\n")
    _, entry = _apply_and_read(workspace)
    assert entry["git_state"] == "untracked"
