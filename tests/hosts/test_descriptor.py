"""A Teye contract-ID change on the host side: descriptor written (previous kept as *_previous.json) →
consumer env file repointed → consumer restarted, in that order; putting the old ID back in the YAML plans
the same steps back (the rollback)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import Workspace
from tests.hosts.support import define_units, pid_alive, sleeper, unit, write_env

OLD = "CBTUY4LER7DVSAKYIR3VT5LVKE7VCWEDJ2TO7PAQSK6OGU7D3IUENQLW"
NEW = "CAAACAQDAQCQMBYIBEFAWDANBYHRAEISCMKBKFQXDAMRUGY4DUPB6N4O"
ADMIN = "GB4HMRTA2GFNNE6ZXBERBJFD6ZY5AKZ7MM7ZLOZ3D4GSQX4KFZN3E2YL"
WASM = "3810d28b31456bb9b7a4075572a474c49a94d0a17594623eaaca0df021da6aca"


def _state(ws: Workspace, contract_id: str, consumer_env: Path) -> None:
    write_env(ws.root, "teye", f"""networks:
  stellar-testnet:
    type: stellar
    passphrase: "Test SDF Network ; September 2015"
    rpc_url: http://127.0.0.1:9
contracts:
  vision_records:
    network: stellar-testnet
    contract_id: {contract_id}
    profile: teye/vision-records
    wasm_sha256: {WASM}
    admin: {ADMIN}
    consumers:
      - host: vault-1
        env_file: {consumer_env}
        variable: CONTRACT_ID
        restart: [teye-indexer]
    descriptor: deployments/testnet_vision_records.json
hosts:
  vault-1:
    connection: local
    services:
      teye-indexer: {{state: running}}
""")


def test_contract_id_change_repoints_consumers_in_order_and_rolls_back(units: Path, workspace: Workspace) -> None:
    consumer_env = workspace.root / "srv" / "indexer.env"
    consumer_env.parent.mkdir()
    consumer_env.write_text(f"# Teye indexer\nRPC_URL=https://soroban-testnet.stellar.org\nCONTRACT_ID={OLD}\n")
    descriptor = workspace.root / "deployments" / "testnet_vision_records.json"
    descriptor.parent.mkdir()
    descriptor.write_text(json.dumps({"network": "testnet", "contract": "vision_records", "contract_id": OLD,
                                      "admin": ADMIN, "deployed_at": "2026-01-01T00:00:00Z", "wasm_hash": WASM,
                                      "admin_transferred": True}))
    define_units(units, {"teye-indexer": {"exec": sleeper(), "state": "inactive", "environment_file": str(consumer_env)}})
    subprocess.run(["systemctl", "start", "teye-indexer"], check=True)
    _state(workspace, NEW, consumer_env)
    env_addr = f"vault-1.env_file[{consumer_env}]"

    plan = json.loads(workspace.run("plan", "teye", "--format", "json").stdout)
    assert [c["address"] for c in plan["changes"]] == [
        "vision_records.descriptor", env_addr, "vault-1.service[teye-indexer]"]
    by = {c["address"]: c for c in plan["changes"]}
    assert by[env_addr]["depends_on"] == ["vision_records.descriptor"]
    assert by["vault-1.service[teye-indexer]"]["depends_on"] == [env_addr]
    assert by["vision_records.descriptor"]["before"] == {"contract_id": OLD}

    pid = unit(units, "teye-indexer")["pid"]
    r = workspace.run("apply", "teye", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert "Re-plan after apply: no changes" in r.output
    doc = json.loads(descriptor.read_text())
    assert list(doc) == ["network", "contract", "contract_id", "admin", "deployed_at", "wasm_hash", "admin_transferred"]
    assert (doc["network"], doc["contract"], doc["contract_id"], doc["admin"], doc["wasm_hash"], doc["admin_transferred"]) \
        == ("testnet", "vision_records", NEW, ADMIN, WASM, True)
    previous = descriptor.with_name("testnet_vision_records_previous.json")
    assert json.loads(previous.read_text())["contract_id"] == OLD
    assert consumer_env.read_text() == f"# Teye indexer\nRPC_URL=https://soroban-testnet.stellar.org\nCONTRACT_ID={NEW}\n"
    new_pid = unit(units, "teye-indexer")["pid"]
    assert new_pid != pid and pid_alive(new_pid)

    # Rollback: the YAML goes back to the old ID; the same steps run towards it.
    _state(workspace, OLD, consumer_env)
    plan = json.loads(workspace.run("plan", "teye", "--format", "json").stdout)
    assert [c["address"] for c in plan["changes"]] == [
        "vision_records.descriptor", env_addr, "vault-1.service[teye-indexer]"]
    r = workspace.run("apply", "teye", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert json.loads(descriptor.read_text())["contract_id"] == OLD
    assert json.loads(previous.read_text())["contract_id"] == NEW
    assert f"CONTRACT_ID={OLD}" in consumer_env.read_text()
