"""The project's reference format is `shared/examples/tempo-testnet` (beside the repository, read-only): it
must keep validating as it is, and `state/tempo-testnet` is a faithful copy of it plus the editor modeline."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.support.local_state import SCHEMA_MODELINE

REPO = Path(__file__).resolve().parents[1]


def _shared() -> Path:
    """`shared/` beside the clone (CI has ../shared); in a linked git worktree, beside the main checkout."""
    here = REPO.parent / "shared"
    dot_git = REPO / ".git"
    if here.is_dir() or not dot_git.is_file():
        return here
    gitdir = Path(dot_git.read_text().removeprefix("gitdir:").strip())  # <main>/.git/worktrees/<name>
    common = gitdir / "commondir"
    main_git = (gitdir / common.read_text().strip()).resolve() if common.is_file() else gitdir.parents[1]
    return main_git.parent.parent / "shared"


SHARED_EXAMPLE = _shared() / "examples" / "tempo-testnet"
STATE = REPO / "state" / "tempo-testnet"

needs_shared = pytest.mark.skipif(not SHARED_EXAMPLE.is_dir(), reason=f"{SHARED_EXAMPLE} is not beside the clone")


@needs_shared
def test_shared_example_validates_unchanged(workspace: Workspace) -> None:
    copy = workspace.root / "state" / "tempo-testnet"
    shutil.copytree(SHARED_EXAMPLE, copy)
    r = workspace.run("validate", str(copy))
    assert r.exit_code == 0, r.output + r.stderr
    assert "tempo-testnet: valid" in r.stdout


@needs_shared
def test_state_tempo_testnet_is_the_shared_example_plus_the_modeline() -> None:
    shared = sorted(p.name for p in SHARED_EXAMPLE.glob("*.yaml"))
    assert sorted(p.name for p in STATE.glob("*.yaml")) == shared
    for name in shared:
        ours = (STATE / name).read_text()
        assert ours.startswith(SCHEMA_MODELINE + "\n"), name
        assert ours.removeprefix(SCHEMA_MODELINE + "\n") == (SHARED_EXAMPLE / name).read_text(), name
