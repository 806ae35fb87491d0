"""The README demo: a local anvil, the TempoVault fixture contracts, `state/local` applied, an out-of-band
change, the drift it causes and the plan that repairs it. Run with `make demo`."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.anvil import DEV_KEYS, start_anvil
from tests.support.contracts import deploy_tempovault, grant_role, send

ROOT = Path(__file__).resolve().parents[1]
TEMPOCTL = str(Path(sys.executable).parent / "tempoctl")


def step(title: str, *args: str, expect: int = 0, env: dict[str, str]) -> None:
    print(f"\n\033[1m== {title}\033[0m\n$ tempoctl {shlex.join(args)}", flush=True)
    code = subprocess.run([TEMPOCTL, *args], cwd=ROOT, env=env).returncode
    if code != expect:
        sys.exit(f"demo: `tempoctl {shlex.join(args)}` exited {code}, expected {expect}")


def main() -> None:
    with start_anvil(42431) as node:
        print(f"Started anvil (chain 42431) at {node.url}")
        d = deploy_tempovault(node.url, chain_id=42431)
        declared = (ROOT / "state" / "local" / "tempovault.yaml").read_text()
        for name in ("governance", "risk", "vault", "legacy_risk"):
            if getattr(d, name) not in declared:
                sys.exit(f"demo: {name} deployed at {getattr(d, name)}, which state/local does not declare")
        print(f"Deployed GovernanceRoles {d.governance}, RiskController {d.risk}, TreasuryVault {d.vault}")
        env = dict(os.environ, TEMPOCTL_LOCAL_RPC=node.url, LOCAL_ADMIN_KEY=DEV_KEYS[0],
                   LOCAL_RISK_OFFICER_KEY=DEV_KEYS[1], LOCAL_EMERGENCY_KEY=DEV_KEYS[2])
        step("Validate the desired state (offline)", "validate", "local", env=env)
        step("Plan against the fresh deployment", "plan", "local", env=env)
        step("Apply it", "apply", "local", "--auto-approve", env=env)
        step("Re-plan: nothing left", "plan", "local", "--detailed-exitcode", env=env)
        print("\n== Out of band: someone grants ORACLE by hand and pauses the protocol from a console")
        grant_role(node.url, d.governance, "ORACLE", A[8])
        send(node.url, d.risk, "RiskController", "toggleGlobalPause", True, key=DEV_KEYS[2])
        step("Drift (exit 2 when live differs)", "drift", "local", expect=2, env=env)
        step("The plan that repairs it", "plan", "local", env=env)
        step("Apply the repair", "apply", "local", "--auto-approve", env=env)
        step("Converged", "drift", "local", env=env)
    print("\nDemo complete.")


if __name__ == "__main__":
    main()
