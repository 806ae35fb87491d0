"""The README demo: a local anvil with the TempoVault fixture contracts and the Soroban RPC emulator with a
vision_records contract (clearly an emulator, not a Stellar network), `state/local` applied, out-of-band
changes, the drift they cause and the plan that repairs them. Run with `make demo`."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.anvil import DEV_KEYS, start_anvil
from tests.support.contracts import deploy_tempovault, grant_role, send
from tests.support.demo_backup import demo_database
from tests.support.demo_host import DemoHost
from tests.support.teye_demo import PASSPHRASE, contract_id, keypair

ROOT = Path(__file__).resolve().parents[1]
TEMPOCTL = str(Path(sys.executable).parent / "tempoctl")


def step(title: str, *args: str, expect: int = 0, env: dict[str, str]) -> None:
    print(f"\n\033[1m== {title}\033[0m\n$ tempoctl {shlex.join(args)}", flush=True)
    code = subprocess.run([TEMPOCTL, *args], cwd=ROOT, env=env).returncode
    if code != expect:
        sys.exit(f"demo: `tempoctl {shlex.join(args)}` exited {code}, expected {expect}")


def _console_whitelist_add(url: str, member: str) -> None:
    """A Teye operator adds a whitelist entry from a console: a real signed Soroban transaction."""
    from stellar_sdk import SorobanServer, TransactionBuilder, scval

    admin = keypair("admin")
    with SorobanServer(url) as srv:
        tx = (TransactionBuilder(srv.load_account(admin.public_key), PASSPHRASE, base_fee=100).set_timeout(300)
              .append_invoke_contract_function_op(contract_id(), "add_to_whitelist",
                                                  [scval.to_address(admin.public_key), scval.to_address(member)])
              .build())
        tx = srv.prepare_transaction(tx)
        tx.sign(admin)
        srv.poll_transaction(srv.send_transaction(tx).hash)


def main() -> None:
    from tests.soroban import start_emulator

    with start_anvil(42431) as node, start_emulator(PASSPHRASE) as emu, demo_database(ROOT) as pgdb:
        print(f"Started anvil (chain 42431) at {node.url}")
        d = deploy_tempovault(node.url, chain_id=42431)
        declared = (ROOT / "state" / "local" / "tempovault.yaml").read_text()
        for name in ("governance", "risk", "vault", "legacy_risk"):
            if getattr(d, name) not in declared:
                sys.exit(f"demo: {name} deployed at {getattr(d, name)}, which state/local does not declare")
        print(f"Deployed GovernanceRoles {d.governance}, RiskController {d.risk}, TreasuryVault {d.vault}")
        for label in ("admin", "operator", "console-user"):
            emu.fund(keypair(label).public_key)
        emu.deploy_vision_records(contract_id=contract_id(), admin=keypair("admin").public_key,
                                  instance_ttl=emu.ledger + 200_000)
        print(f"Started the Soroban RPC EMULATOR (tests/soroban; not a Stellar network) at {emu.url} with "
              f"vision_records {contract_id()}: instance TTL 200,000 ledgers, nothing configured yet")
        env = dict(os.environ, TEMPOCTL_LOCAL_RPC=node.url, LOCAL_ADMIN_KEY=DEV_KEYS[0],
                   LOCAL_RISK_OFFICER_KEY=DEV_KEYS[1], LOCAL_EMERGENCY_KEY=DEV_KEYS[2],
                   TEYE_LOCAL_RPC=emu.url, LOCAL_TEYE_ADMIN_SECRET=keypair("admin").secret)
        host = DemoHost(ROOT)
        host.start()
        env.update(host.environ())
        print("Local host vault-local: tempovault-api and tempovault-indexer installed but stopped (stand-in "
              f"systemctl, real processes); {host.env_file.relative_to(ROOT)} as left by hand")
        env.update(pgdb.environ())
        print(f"Started PostgreSQL on 127.0.0.1:{pgdb.server.port} with a `tempovault` database (password only in "
              "a PGPASSFILE); no backup taken yet, no schedule installed")
        step("Validate the desired state (offline)", "validate", "local", env=env)
        step("Plan against the fresh deployment", "plan", "local", env=env)
        step("Apply it", "apply", "local", "--auto-approve", env=env)
        step("Re-plan: nothing left", "plan", "local", "--detailed-exitcode", env=env)
        step("Take a backup now (what the installed cron line runs)", "backup", "run", "local", "tempovault-db",
             env=env)
        print("\n== Out of band: someone grants ORACLE by hand and pauses the protocol from a console;")
        print("   a Teye operator whitelists an address from a Stellar console")
        grant_role(node.url, d.governance, "ORACLE", A[8])
        send(node.url, d.risk, "RiskController", "toggleGlobalPause", True, key=DEV_KEYS[2])
        _console_whitelist_add(emu.url, keypair("console-user").public_key)
        print("   and the indexer is stopped on vault-local")
        host.systemctl("stop", "tempovault-indexer")
        print("   and the nightly backup has not run for 30 hours")
        pgdb.age_backups(30)
        step("Drift (exit 2 when live differs)", "drift", "local", expect=2, env=env)
        step("The plan that repairs it", "plan", "local", env=env)
        step("Apply the repair", "apply", "local", "--auto-approve", env=env)
        step("A stale backup has no apply action: take the overdue one", "backup", "run", "local", "tempovault-db",
             env=env)
        step("Converged", "drift", "local", env=env)
        step("The audit log: who applied the repair, from which plan, each step's transaction", "history", "local",
             "--limit", "1", env=env)
        host.stop_all()
    print("\nDemo complete.")


if __name__ == "__main__":
    main()
