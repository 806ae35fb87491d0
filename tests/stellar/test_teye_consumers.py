"""A Teye contract-ID change across chain and host, on the Soroban emulator and the stand-in systemctl:
new contract verified → descriptor written (previous kept as *_previous.json) → consumer env file repointed →
consumer restarted, in that order; putting the old ID back in the YAML plans the same steps back (rollback)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import Workspace
from tests.hosts.conftest import units  # noqa: F401 - fixtures: the stand-in systemctl's unit file
from tests.hosts.support import define_units, pid_alive, sleeper, unit
from tests.stellar.conftest import Teye


def _write(teye: Teye, consumer_env: Path, wasm: str) -> None:
    extra = f"""    consumers:
      - host: vault-1
        env_file: {consumer_env}
        variable: CONTRACT_ID
        restart: [teye-indexer]
    descriptor: deployments/local_vision_records.json
"""
    folder = teye.write(wasm=wasm, extra=extra)
    (folder / "hosts.yaml").write_text("hosts:\n  vault-1:\n    connection: local\n    services:\n"
                                       "      teye-indexer: {state: running}\n")


def _order(ws: Workspace) -> list[str]:
    res = ws.run("plan", "teye-local", "--format", "json")
    assert res.exit_code == 0, res.output
    return [c["address"] for c in json.loads(res.stdout)["changes"]]


def test_contract_id_change_repoints_consumers_in_order_and_rolls_back(teye: Teye, units: Path) -> None:  # noqa: F811
    ws = teye.ws
    wasm = teye.contract.wasm_hash.hex()
    old = teye.cid
    consumer_env = ws.root / "srv" / "indexer.env"
    consumer_env.parent.mkdir()
    consumer_env.write_text(f"# Teye indexer\nRPC_URL=http://rpc\nCONTRACT_ID={old}\n")
    define_units(units, {"teye-indexer": {"exec": sleeper(), "state": "inactive", "environment_file": str(consumer_env)}})
    subprocess.run(["systemctl", "start", "teye-indexer"], check=True)
    _write(teye, consumer_env, wasm)
    # First apply: records the live contract ID and writes the descriptor the repository did not have yet.
    assert _order(ws) == ["vision_records.descriptor"]
    res = ws.run("apply", "teye-local", "--auto-approve")
    assert res.exit_code == 0, res.output
    descriptor = ws.root / "deployments" / "local_vision_records.json"
    previous = descriptor.with_name("local_vision_records_previous.json")
    assert json.loads(descriptor.read_text())["contract_id"] == old and not previous.exists()

    new = teye.emu.deploy_vision_records(wasm_hash=bytes.fromhex(wasm), admin=teye.admin.public_key)
    teye.cid = new
    _write(teye, consumer_env, wasm)
    env_addr = f"vault-1.env_file[{consumer_env}]"
    steps = ["vision_records.contract_id", "vision_records.descriptor", env_addr, "vault-1.service[teye-indexer]"]
    assert _order(ws) == steps
    pid = unit(units, "teye-indexer")["pid"]
    res = ws.run("apply", "teye-local", "--auto-approve")
    assert res.exit_code == 0, res.output
    assert "Re-plan after apply: no changes" in res.output
    applied = [line.split(":")[0].split()[-1] for line in res.output.split("Applying:")[1].splitlines()
               if line.startswith("  ")][:4]
    assert applied == steps
    doc = json.loads(descriptor.read_text())
    assert list(doc) == ["network", "contract", "contract_id", "admin", "deployed_at", "wasm_hash", "admin_transferred"]
    assert (doc["network"], doc["contract"], doc["contract_id"], doc["admin"], doc["wasm_hash"], doc["admin_transferred"]) \
        == ("local", "vision_records", new, teye.admin.public_key, wasm, True)
    assert json.loads(previous.read_text())["contract_id"] == old
    assert consumer_env.read_text() == f"# Teye indexer\nRPC_URL=http://rpc\nCONTRACT_ID={new}\n"
    new_pid = unit(units, "teye-indexer")["pid"]
    assert new_pid != pid and pid_alive(new_pid) and not pid_alive(pid)

    # Rollback: the YAML goes back to the old ID; the same steps run towards it.
    teye.cid = old
    _write(teye, consumer_env, wasm)
    assert _order(ws) == steps
    res = ws.run("apply", "teye-local", "--auto-approve")
    assert res.exit_code == 0, res.output
    assert json.loads(descriptor.read_text())["contract_id"] == old
    assert json.loads(previous.read_text())["contract_id"] == new
    assert f"CONTRACT_ID={old}\n" in consumer_env.read_text()
