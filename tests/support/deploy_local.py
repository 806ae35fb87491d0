"""Your first environment (README): put the TempoVault fixture contracts on your own anvil and write a
`state/<name>/` that declares them, plus the Teye contract the Soroban emulator deployed at its start.

    python -m tests.support.deploy_local --rpc http://127.0.0.1:8545 \\
        --soroban http://127.0.0.1:8000/rpc --env mine

Independent of tempoctl: it deploys with web3 (tests/support/contracts.py), prints the addresses, writes
`state/<name>/environment.yaml`, `tempovault.yaml` and `teye.yaml`, and `.tempoctl/<name>.dev-keys.sh` with
the PUBLIC anvil dev keys and demo Stellar seed the signers read (`. .tempoctl/<name>.dev-keys.sh`). Those keys
are known to everyone: never use them, or this environment's files, for anything real.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.anvil import DEV_KEYS
from tests.support.local_state import KEY_VARS, SCHEMA_MODELINE, tempovault_yaml

CHAIN_ID = 42431  # Tempo testnet's id, which the fixture fee token and state/local assume
TEYE_SECRET_VAR = "LOCAL_TEYE_ADMIN_SECRET"


def wait_rpc(url: str, method: str, seconds: float = 60.0) -> None:
    """Wait until `url` answers a JSON-RPC call (a node started a moment ago in the background)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    deadline = time.monotonic() + seconds
    while True:
        try:
            req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() >= deadline:
            sys.exit(f"deploy_local: nothing answers {method} at {url} after {seconds:g} s: is it running?")
        time.sleep(0.3)


def environment_yaml(name: str, rpc: str, fee_token: str, soroban: str | None, teye_admin: str) -> str:
    from tests.support.anvil import DEV_ADDRESSES as A

    stellar = (f"""  stellar-local:                 # the Soroban RPC EMULATOR of tests/soroban, not a Stellar network
    type: stellar
    passphrase: "Standalone Network ; February 2017"
    rpc_url: {soroban}
""" if soroban else "")
    teye_signer = (f"  teye_admin: {{network: stellar-local, address: {teye_admin}, key: env:{TEYE_SECRET_VAR}}}\n"
                   if soroban else "")
    return f"""{SCHEMA_MODELINE}
# Written by `python -m tests.support.deploy_local`: your local anvil and the fixture contracts on it.
# The signers' keys are anvil's PUBLIC dev keys (.tempoctl/{name}.dev-keys.sh): never use them for anything real.
environment: {name}
networks:
  anvil:
    type: evm
    chain_id: {CHAIN_ID}
    rpc_url: {rpc}
    fee_token: "{fee_token}"
{stellar}signers:
  admin: {{network: anvil, address: "{A[0]}", key: env:LOCAL_ADMIN_KEY}}
  risk_officer: {{network: anvil, address: "{A[1]}", key: env:LOCAL_RISK_OFFICER_KEY}}
  emergency: {{network: anvil, address: "{A[2]}", key: env:LOCAL_EMERGENCY_KEY}}
{teye_signer}"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.support.deploy_local", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rpc", required=True, help=f"the anvil to deploy to (started with --chain-id {CHAIN_ID})")
    ap.add_argument("--soroban", help="the Soroban emulator's RPC URL (python -m tests.soroban --deploy-admin …)")
    ap.add_argument("--env", default="mine", help="the environment to write: state/NAME (default: mine)")
    ap.add_argument("--root", default=".", help="the repository (default: the working directory)")
    args = ap.parse_args(argv)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", args.env):
        sys.exit("deploy_local: --env must be lower-case letters, digits, '_' or '-'")
    folder = Path(args.root) / "state" / args.env
    if folder.exists():
        sys.exit(f"deploy_local: {folder} exists already; pick another --env or remove it")

    from tests.support.contracts import deploy_tempovault
    from tests.support.teye_demo import contract_id, keypair

    wait_rpc(args.rpc, "eth_chainId")
    if args.soroban:
        wait_rpc(args.soroban, "getNetwork")
    try:
        d = deploy_tempovault(args.rpc, chain_id=CHAIN_ID)
    except ValueError as exc:  # another chain id
        sys.exit(f"deploy_local: {exc}; start anvil with --chain-id {CHAIN_ID}")
    print(f"Deployed on {args.rpc} (chain {d.chain_id}):")
    for what, address in (("GovernanceRoles", d.governance), ("RiskController", d.risk), ("TreasuryVault", d.vault),
                          ("FeeToken (pathUSD stand-in)", d.fee_token), ("LegacyRisk", d.legacy_risk)):
        print(f"  {what:<28} {address}")
    admin = keypair("admin")
    folder.mkdir(parents=True)
    (folder / "environment.yaml").write_text(environment_yaml(args.env, args.rpc, d.fee_token, args.soroban,
                                                              admin.public_key))
    (folder / "tempovault.yaml").write_text(tempovault_yaml(d))
    written = ["environment.yaml", "tempovault.yaml"]
    if args.soroban:
        teye = (Path(__file__).parents[2] / "state" / "local" / "teye.yaml").read_text()
        assert contract_id() in teye  # the demo contract the emulator deploys with --contract-id
        (folder / "teye.yaml").write_text(teye)
        written.append("teye.yaml")
        print(f"  Teye vision_records (emulator)  {contract_id()}")
    keys = Path(args.root) / ".tempoctl" / f"{args.env}.dev-keys.sh"
    keys.parent.mkdir(exist_ok=True)
    lines = [f"export {var}={DEV_KEYS[i]}" for i, var in enumerate(KEY_VARS.values())]
    if args.soroban:
        lines.append(f"export {TEYE_SECRET_VAR}={admin.secret}")
    keys.write_text("# PUBLIC dev keys (anvil's, and the Teye demo admin's): never use them for anything real.\n"
                    + "\n".join(lines) + "\n")
    keys.chmod(0o600)
    print(f"Wrote {', '.join(f'state/{args.env}/{w}' for w in written)} and {keys.relative_to(args.root)}.")
    print(f"Next: . {keys.relative_to(args.root)} && tempoctl validate {args.env} && tempoctl plan {args.env}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
