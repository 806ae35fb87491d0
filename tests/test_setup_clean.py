"""`make setup` leaves a fresh clone clean (issue 17): the npm test tools are installed with `npm ci`, which
installs exactly the committed lock file and never rewrites it, and that lock file is complete for
`package.json` (the earlier one lacked anvil's and cast's per-platform packages, so `npm install` rewrote it
on every fresh clone and `history` then recorded a commit that was not what ran)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EVM = REPO / "tests" / "evm"


def test_setup_installs_the_npm_tools_with_npm_ci() -> None:
    recipe = (REPO / "Makefile").read_text()
    installs = re.findall(r"npm (ci|install)\b", recipe)
    assert installs == ["ci"], installs


def test_the_committed_lock_file_is_in_sync_with_package_json(tmp_path: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed (make setup installs the npm tools with it)")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(EVM / name, tmp_path / name)
    # `npm ci` checks the lock against package.json before anything is fetched; --dry-run --offline keeps the
    # check local and writes nothing.
    r = subprocess.run([npm, "ci", "--dry-run", "--offline", "--no-audit", "--no-fund"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "package-lock.json").read_bytes() == (EVM / "package-lock.json").read_bytes()
