"""`via: safe` signers: apply writes one Transaction Builder batch per Safe per apply, the next plans show those
changes as awaiting multisig execution (not drift, not proposed again), what depends on them waits, and once
the Safe executes the batch on chain the environment converges."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

from tempoctl.apply.safe_batch import build_batch, checksum, checksum_valid, serialize, transaction
from tests.conftest import Workspace
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.anvil import Anvil
from tests.support.contracts import TempoVaultDeployment, call, grant_role, role_id
from tests.support.local_state import environment_yaml

SAFE = to_checksum_address("0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe")

# The Transaction Builder's own checksum test input (safe-react-apps tx-builder src/lib/checksum.test.js): the
# app hashes it as given, with `checksum: ""` still in meta, and expects this value.
UPSTREAM_VECTOR: dict[str, Any] = {
    "version": "1.0", "chainId": "4", "createdAt": 1646321521061,
    "meta": {"name": "test batch file", "txBuilderVersion": "1.4.0", "checksum": "",
             "createdFromSafeAddress": "0xDF8a1Ce35c9a6ACE153B4e0767942f1E2291a1Aa",
             "createdFromOwnerAddress": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6"},
    "transactions": [
        {"to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6", "value": "0",
         "contractMethod": {"inputs": [{"internalType": "address", "name": "paramAddress", "type": "address"}],
                            "name": "testAddress", "payable": False},
         "contractInputsValues": {"paramAddress": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6"}},
        {"to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6", "value": "0",
         "contractMethod": {"inputs": [{"internalType": "bool", "name": "paramBool", "type": "bool"}],
                            "name": "testBool", "payable": False},
         "contractInputsValues": {"paramAddress": "", "paramBool": "false"}},
        {"to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6", "value": "2000000000000000000",
         "data": "0x42f4579000000000000000000000000049d4450977e2c95362c13d3a31a09311e0ea26a6"},
    ],
}


def test_checksum_matches_the_transaction_builder() -> None:
    assert checksum(UPSTREAM_VECTOR) == "0x4ecbfd364aa6759983915644e73f8bd411e85a2dc306f252a387c2728c4db64c"
    reordered = {k: UPSTREAM_VECTOR[k] for k in reversed(list(UPSTREAM_VECTOR))}
    reordered["meta"] = {k: UPSTREAM_VECTOR["meta"][k] for k in reversed(list(UPSTREAM_VECTOR["meta"]))}
    assert checksum(reordered) == checksum(UPSTREAM_VECTOR)  # key order does not matter
    swapped = dict(UPSTREAM_VECTOR, transactions=list(reversed(UPSTREAM_VECTOR["transactions"])))
    assert checksum(swapped) != checksum(UPSTREAM_VECTOR)  # transaction order does
    renamed = dict(UPSTREAM_VECTOR, meta=dict(UPSTREAM_VECTOR["meta"], name="another name"))
    assert checksum(renamed) == checksum(UPSTREAM_VECTOR)  # the name is not covered


def test_serialization_details() -> None:
    assert serialize({"b": [1, None, True], "a": "é"}) == '{["a","b"]"é",[1,null,true],}'
    assert serialize([]) == "[]" and serialize({}) == "{[]}"


def test_built_batch_validates_and_keeps_numbers_as_strings() -> None:
    tx = transaction("0x" + "11" * 20, "0x2f2ff15d" + "00" * 64, "grantRole(bytes32,address)",
                     ["0x" + "00" * 32, A[1]])
    batch = build_batch(chain_id=42431, safe=SAFE, name="n", description="d", created_at_ms=1, transactions=[tx])
    assert checksum_valid(batch)
    assert batch["chainId"] == "42431" and tx["value"] == "0" and tx["data"].startswith("0x2f2ff15d")
    assert tx["contractMethod"]["name"] == "grantRole"
    assert tx["contractInputsValues"] == {"arg0": "0x" + "00" * 32, "arg1": A[1]}
    tampered = json.loads(json.dumps(batch))
    tampered["transactions"][0]["to"] = "0x" + "22" * 20
    assert not checksum_valid(tampered)
    # Arguments the app cannot round-trip (tuples, arrays) are left to the raw data alone.
    arr = transaction("0x" + "11" * 20, "0xabcdef01", "setMany(address[])", [[A[1]]])
    assert "contractMethod" not in arr and arr["data"] == "0xabcdef01"


# -- end to end on anvil -----------------------------------------------------------------------------------------

def safe_state(ws: Workspace, d: TempoVaultDeployment) -> None:
    folder = ws.root / "state" / "local"
    folder.mkdir(parents=True)
    env = environment_yaml(d.url, d.chain_id, d.fee_token)
    env = env.replace(f'admin: {{network: anvil, address: "{A[0]}", key: env:LOCAL_ADMIN_KEY}}',
                      f'admin: {{network: anvil, address: "{SAFE}", via: safe}}')
    assert "via: safe" in env
    (folder / "environment.yaml").write_text(env)
    (folder / "tempovault.yaml").write_text(f"""contracts:
  governance:
    network: anvil
    address: "{d.governance}"
    profile: access-control
    signer: admin
    roles:
      ADMIN: ["{SAFE}"]
      EMERGENCY: ["{A[2]}"]
      RISK_OFFICER: ["{A[1]}"]
    unlisted_members: revoke
  risk:
    network: anvil
    address: "{d.risk}"
    profile: tempovault/risk-controller
    circuit_breakers:
      legacy-pair:
        id: "0x0000000000000000000000000000000000000000000000000000000000000001"
        broken: true
""")


def execute_as_safe(anvil: Anvil, batch: dict[str, Any]) -> None:
    """What the Safe's owners do, reduced to its effect: each transaction of the batch sent from the Safe."""
    anvil.rpc("anvil_setBalance", [SAFE, hex(10**18)])
    anvil.rpc("anvil_impersonateAccount", [SAFE])
    try:
        for tx in batch["transactions"]:
            h = anvil.rpc("eth_sendTransaction", [{"from": SAFE, "to": tx["to"], "data": tx["data"],
                                                   "value": hex(int(tx["value"]))}])
            receipt: Any = None
            for _ in range(200):  # anvil answers before its automined block is sealed; a busy machine shows it
                receipt = anvil.rpc("eth_getTransactionReceipt", [h])
                if receipt is not None:
                    break
                time.sleep(0.05)
            assert receipt is not None and receipt["status"] == "0x1", tx
    finally:
        anvil.rpc("anvil_stopImpersonatingAccount", [SAFE])


def plan_json(ws: Workspace) -> dict[str, Any]:
    r = ws.run("plan", "local", "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def batches(ws: Workspace) -> list[Path]:
    return sorted((ws.root / "plans").glob("*safe-batch*.json"))


def test_safe_batch_pending_then_executed_converges(anvil: Anvil, chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    grant_role(chain.url, chain.governance, "ADMIN", SAFE)  # the Safe already administers governance
    safe_state(workspace, chain)
    del workspace.env["LOCAL_ADMIN_KEY"]  # nothing may be signed for the Safe
    plan = plan_json(workspace)
    by_addr = {c["address"]: c for c in plan["changes"]}
    safe_changes = [a for a, c in by_addr.items() if c["steps"][0]["signer"] == "admin"]
    assert f"governance.role.ADMIN[{A[0]}]" in safe_changes and len(safe_changes) >= 4
    assert by_addr["risk.circuit_breaker[legacy-pair]"]["steps"][0]["signer"] == "risk_officer"

    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert "Safe batch for admin" in r.output
    assert "waiting: risk.circuit_breaker[legacy-pair]" in r.output  # needs RISK_OFFICER, granted by the Safe
    assert f"Re-plan after apply: {len(safe_changes) + 1} change(s) await multisig execution" in r.output
    [path] = batches(workspace)
    batch = json.loads(path.read_text())
    assert checksum_valid(batch) and batch["chainId"] == str(chain.chain_id)
    assert batch["meta"]["createdFromSafeAddress"] == SAFE and isinstance(batch["createdAt"], int)
    assert [t["data"] for t in batch["transactions"]] == [by_addr[a]["steps"][0]["data"] for a in safe_changes]
    assert all(t["value"] == "0" for t in batch["transactions"])
    assert call(chain.url, chain.governance, "GovernanceRoles", "hasRole", role_id("RISK_OFFICER"), A[1]) is False

    # The next plan shows them as awaiting multisig execution; drift does not count them; apply does not
    # propose them again.
    again = plan_json(workspace)
    pending = {c["address"] for c in again["changes"] if c.get("pending")}
    assert pending == set(safe_changes)
    text = workspace.run("plan", "local").output
    assert text.count("(awaiting multisig execution)") == len(safe_changes)
    drift = workspace.run("drift", "local", "--format", "json")
    doc = json.loads(drift.stdout)
    assert {d["address"] for d in doc["drift"]} == {"risk.circuit_breaker[legacy-pair]"}
    assert {w["address"] for w in doc["awaiting_multisig"]} == set(safe_changes)
    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert r.output.count("awaiting multisig execution:") == len(safe_changes)
    assert batches(workspace) == [path]

    execute_as_safe(anvil, batch)
    assert call(chain.url, chain.governance, "GovernanceRoles", "hasRole", role_id("ADMIN"), A[0]) is False
    r = workspace.run("apply", "local", "--auto-approve")  # what waited for the Safe runs now
    assert r.exit_code == 0, r.output
    assert "Re-plan after apply: no changes" in r.output
    assert call(chain.url, chain.risk, "RiskController", "pairCircuitBroken", b"\x00" * 31 + b"\x01") is True
    assert workspace.run("plan", "local", "--detailed-exitcode").exit_code == 0
    assert workspace.run("drift", "local").exit_code == 0
    from tempoctl.backend import open_backend

    with open_backend("sqlite:///.tempoctl/local.db", cwd=workspace.root) as backend:
        assert backend.pending_records("local") == {}  # executed hand-offs are forgotten
        handed = [e for e in backend.journal_entries("local") if e["event"] == "pending"]
    assert sorted(e["address"] for e in handed) == sorted(safe_changes)
    assert all(e["safe"] == SAFE and e["file"] == str(path.relative_to(workspace.root)) for e in handed)


def test_dependent_safe_changes_join_the_same_batch(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    """Grants before the revoke of the old admin, all by the Safe: one batch, in plan order, nothing held back."""
    grant_role(chain.url, chain.governance, "ADMIN", SAFE)
    safe_state(workspace, chain)
    yaml = workspace.root / "state" / "local" / "tempovault.yaml"
    yaml.write_text(yaml.read_text().split("  risk:")[0])
    plan = plan_json(workspace)
    order = [c["address"] for c in plan["changes"]]
    assert any(c["depends_on"] for c in plan["changes"])
    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert "waiting:" not in r.output
    [path] = batches(workspace)
    assert [t["data"] for t in json.loads(path.read_text())["transactions"]] == [
        c["steps"][0]["data"] for c in plan["changes"]]
    assert len(order) == len(json.loads(path.read_text())["transactions"])
