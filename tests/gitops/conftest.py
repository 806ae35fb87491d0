"""Fixtures for the GitOps scripts: a recorded stand-in GitHub API and a checkout-like workspace with the
`local` environment on the session's anvil; the scripts run as real processes, as Actions runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.anvil import DEV_KEYS
from tests.support.github_recorder import FakeGitHub, serve
from tests.support.local_state import write_local_state

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "ci" / "gitops"
SECRETS = {"LOCAL_ADMIN_KEY": DEV_KEYS[0], "LOCAL_RISK_OFFICER_KEY": DEV_KEYS[1], "LOCAL_EMERGENCY_KEY": DEV_KEYS[2],
           "github_token": "ghs_test_token_not_a_secret"}


@dataclass
class Checkout:
    root: Path
    gh: FakeGitHub
    chain: Any  # the TempoVaultDeployment (url, governance, …)
    sha: str = "a1" * 20

    def run(self, script: str, *args: str, event: dict | None = None) -> subprocess.CompletedProcess[str]:  # type: ignore[type-arg]
        event_path = self.root / ".event.json"
        event_path.write_text(json.dumps(event or {}))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "LOCAL_"))}
        env.update({
            "GITHUB_API_URL": self.gh.url, "GITHUB_TOKEN": self.gh.token, "GITHUB_REPOSITORY": self.gh.repo,
            "GITHUB_EVENT_PATH": str(event_path), "GITHUB_SHA": self.sha, "GITHUB_RUN_ID": "4242",
            "GITHUB_SERVER_URL": "https://github.example", "GITHUB_OUTPUT": str(self.root / ".output"),
            "GITHUB_STEP_SUMMARY": str(self.root / ".summary"), "TEMPOCTL_SECRETS": json.dumps(SECRETS),
            "TEMPOCTL_CRASH_DIR": str(self.root / ".crash"), "HOME": str(self.root / "home"),
        })
        return subprocess.run([sys.executable, str(SCRIPTS / script), *args], cwd=self.root, env=env,
                              capture_output=True, text=True, check=False, timeout=300)

    def outputs(self) -> dict[str, str]:
        path = self.root / ".output"
        lines = path.read_text().splitlines() if path.exists() else []
        return dict(line.split("=", 1) for line in lines)


@pytest.fixture
def checkout(chain, tmp_path: Path) -> Iterator[Checkout]:  # type: ignore[no-untyped-def]
    write_local_state(tmp_path / "state" / "local", chain)
    with serve(page_size=2) as gh:
        yield Checkout(tmp_path, gh, chain)
