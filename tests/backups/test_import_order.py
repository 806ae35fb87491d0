"""Every module of backups and checks imports on its own, in a fresh interpreter: a command that loads
the engine from another end (apply before plan, observation before profiles) must not hit an import cycle."""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = ["tempoctl.apply.runner", "tempoctl.observed.observation", "tempoctl.observed.sources",
           "tempoctl.profiles", "tempoctl.plan.build", "tempoctl.apply.executors", "tempoctl.observed.backups",
           "tempoctl.observed.checks", "tempoctl.backup.run", "tempoctl.apply.backups", "tempoctl.profiles.backups",
           "tempoctl.profiles.checks", "tempoctl.cli.backup"]


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_first(module: str) -> None:
    out = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
