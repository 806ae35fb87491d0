"""The demo's local host: stand-in systemd units (real processes) and the env file they read, under .demo/.

systemd cannot run in the demo's sandbox, so the stand-in `systemctl` of the tests (tests/support/bin) goes
first on PATH; `state/local/hosts.yaml` declares what tempoctl should make of these units and this file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

BIN = Path(__file__).resolve().parent / "bin"
UNITS = ("tempovault-api", "tempovault-indexer")


class DemoHost:
    def __init__(self, root: Path) -> None:
        self.dir = root / ".demo" / "vault-local"
        self.state = self.dir / "systemctl-state.json"
        self.env_file = self.dir / "tempovault.env"

    def environ(self) -> dict[str, str]:
        return {"PATH": f"{BIN}:{os.environ['PATH']}", "TEMPOCTL_TEST_SYSTEMCTL_STATE": str(self.state),
                "LOCAL_PRIVY_APP_SECRET": "demo-privy-secret-never-printed"}

    def start(self) -> None:
        """Both units installed but stopped and disabled; the env file as someone left it by hand."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.stop_all()
        self.env_file.write_text("# TempoVault off-chain services (systemd EnvironmentFile)\n"
                                 "RPC_URL=http://127.0.0.1:8545\nPOLL_INTERVAL=5\nPRIVY_APP_SECRET=old-secret\n")
        self.env_file.chmod(0o640)
        units = {f"{u}.service": {"exec": ["sleep", f"86400.{i}{os.getpid()}"], "environment_file": str(self.env_file),
                                  "enabled": False, "state": "inactive"} for i, u in enumerate(UNITS)}
        self.state.write_text(json.dumps({"units": units}))

    def systemctl(self, *args: str) -> None:
        subprocess.run(["systemctl", *args], check=True, env=dict(os.environ, **self.environ()))

    def stop_all(self) -> None:
        if not self.state.exists():
            return
        for u in json.loads(self.state.read_text()).get("units", {}).values():
            if u.get("pid"):
                try:
                    os.killpg(u["pid"], signal.SIGTERM)
                except OSError:
                    pass
