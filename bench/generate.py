"""Generated environments for the benchmark: N managed items live on a real anvil and declared in YAML.

An environment of N items has N/2 role memberships (custom roles `BENCH_<N>_<k>` of up to 50 members each,
declared as `{id: …, members: […]}` on the fixture GovernanceRoles) and N/2 circuit breakers tripped on the
fixture RiskController (declared `broken: true`). Every size gets its own roles and breaker ids, so all sizes
live on one chain at once and each plan reads only its own items. Live state equals the YAML: `plan` must
find nothing to change, which is the everyday question ("has anything drifted?") the runbook answers with
one `cast call` per item.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tempoctl.observed.evm.abi import checksum, encode_call, keccak
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.contracts import TempoVaultDeployment

MEMBERS_PER_ROLE = 50
RISK_OFFICER = "0x" + keccak(b"RISK_OFFICER").hex()


@dataclass(frozen=True)
class Item:
    """One managed item and how the runbook checks it with cast: `cast call <to> <sig> <args…>` → `true`."""

    address: str  # tempoctl resource address
    to: str
    sig: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class BenchEnv:
    size: int
    folder: Path
    items: list[Item]


def role_id(size: int, k: int) -> str:
    return "0x" + keccak(f"BENCH_{size}_{k}".encode()).hex()


def member(size: int, i: int) -> str:
    return checksum(keccak(f"bench-member-{size}-{i}".encode())[-20:])


def breaker_id(size: int, i: int) -> str:
    return "0x" + keccak(f"bench-breaker-{size}-{i}".encode()).hex()


def _rpc(url: str, batch: list[tuple[str, list[Any]]]) -> list[Any]:
    body = json.dumps([{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(batch)])
    req = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as resp:
        replies = sorted(json.loads(resp.read()), key=lambda r: r["id"])
    errors = [r["error"] for r in replies if "error" in r]
    if errors:
        raise RuntimeError(f"anvil refused part of the set-up batch: {errors[0]}")
    return [r["result"] for r in replies]


def _send_all(url: str, txs: Sequence[tuple[str, str, bytes]]) -> None:
    """Send (from, to, data) transactions from anvil's unlocked dev accounts, mined many per block."""
    nonces: dict[str, int] = {}
    for sender in {s for s, _, _ in txs}:
        nonces[sender] = int(_rpc(url, [("eth_getTransactionCount", [sender, "pending"])])[0], 16)
    _rpc(url, [("evm_setAutomine", [False])])
    try:
        calls = []
        for sender, to, data in txs:
            calls.append(("eth_sendTransaction", [{"from": sender, "to": to, "data": "0x" + data.hex(),
                                                   "gas": hex(300_000), "nonce": hex(nonces[sender])}]))
            nonces[sender] += 1
        hashes: list[str] = []
        for start in range(0, len(calls), 1000):
            hashes += _rpc(url, calls[start:start + 1000])
        while int(_rpc(url, [("txpool_status", [])])[0]["pending"], 16):
            _rpc(url, [("evm_mine", [])])
    finally:
        _rpc(url, [("evm_setAutomine", [True])])
    receipts: list[Any] = []
    for start in range(0, len(hashes), 1000):
        receipts += _rpc(url, [("eth_getTransactionReceipt", [h]) for h in hashes[start:start + 1000]])
    failed = [r["transactionHash"] for r in receipts if int(r["status"], 16) != 1]
    if failed:
        raise RuntimeError(f"{len(failed)} set-up transaction(s) reverted, e.g. {failed[0]}")


def put_live(d: TempoVaultDeployment, sizes: list[int]) -> None:
    """Grant every size's role members and trip its breakers on the chain (RISK_OFFICER goes to dev #1)."""
    grant = "grantRole(bytes32,address)"
    txs = [(A[0], d.governance, encode_call(grant, [RISK_OFFICER, A[1]]))]
    _send_all(d.url, txs)
    txs = []
    for n in sizes:
        for i in range(n // 2):
            txs.append((A[0], d.governance, encode_call(grant, [role_id(n, i // MEMBERS_PER_ROLE), member(n, i)])))
        for i in range(n - n // 2):
            txs.append((A[1], d.risk, encode_call("triggerCircuitBreaker(bytes32)", [breaker_id(n, i)])))
    _send_all(d.url, txs)


def items_of(d: TempoVaultDeployment, n: int) -> list[Item]:
    has_role, broken = "hasRole(bytes32,address)(bool)", "pairCircuitBroken(bytes32)(bool)"
    out = []
    for i in range(n // 2):
        k = i // MEMBERS_PER_ROLE
        out.append(Item(f"governance.role.BENCH_{n}_{k}[{member(n, i)}]", d.governance, has_role,
                        (role_id(n, k), member(n, i))))
    for i in range(n - n // 2):
        out.append(Item(f"risk.circuit_breaker[b{i}]", d.risk, broken, (breaker_id(n, i),)))
    return out


def write_env(root: Path, d: TempoVaultDeployment, n: int) -> BenchEnv:
    """state/bench-<n>/: environment.yaml (the RPC URL comes from $BENCH_RPC) and the contracts."""
    folder = root / f"bench-{n}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "environment.yaml").write_text(f"""# Generated by bench/generate.py: {n} managed items.
environment: bench-{n}
networks:
  anvil:
    type: evm
    chain_id: {d.chain_id}
    rpc_url: ${{BENCH_RPC}}
    fee_token: "{d.fee_token}"
signers:
  admin: {{network: anvil, address: "{A[0]}", key: env:BENCH_ADMIN_KEY}}
  risk_officer: {{network: anvil, address: "{A[1]}", key: env:BENCH_RISK_OFFICER_KEY}}
""")
    roles: dict[int, list[str]] = {}
    for i in range(n // 2):
        roles.setdefault(i // MEMBERS_PER_ROLE, []).append(member(n, i))
    lines = ["contracts:", "  governance:", "    network: anvil", f'    address: "{d.governance}"',
             "    profile: access-control", "    signer: admin", "    unlisted_members: revoke", "    roles:",
             f'      ADMIN: ["{A[0]}"]', f'      RISK_OFFICER: ["{A[1]}"]']
    for k, members in roles.items():
        lines.append(f"      BENCH_{n}_{k}:")
        lines.append(f'        id: "{role_id(n, k)}"')
        lines.append("        members:")
        lines += [f'          - "{m}"' for m in members]
    lines += ["  risk:", "    network: anvil", f'    address: "{d.risk}"', "    profile: tempovault/risk-controller",
              "    circuit_breakers:"]
    for i in range(n - n // 2):
        lines.append(f'      b{i}: {{id: "{breaker_id(n, i)}", broken: true}}')
    (folder / "contracts.yaml").write_text("\n".join(lines) + "\n")
    return BenchEnv(n, folder, items_of(d, n))
