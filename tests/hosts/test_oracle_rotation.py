"""Oracle rotation across chain and host, end to end on anvil with a real relay process (tests/support/relay.py)
that signs with the key from its env file: top up → grant → new key into the relay's env file → restart →
wait for a fresh signal signed by the new key → revoke. A relay that never signs with the new key stops the
apply before the revoke (exit 3), even while another relay still signs with the old one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tempoctl.desired.models import BreakerSpec
from tempoctl.profiles.risk_controller import pair_id
from tests.conftest import Workspace
from tests.hosts.support import define_units, unit
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.anvil import DEV_KEYS
from tests.support.contracts import ALPHA_USD, PATH_USD, call, role_id
from tests.support.local_state import write_local_state

RELAY = str(Path(__file__).resolve().parents[1] / "support" / "relay.py")
PAIR = pair_id(BreakerSpec(tokens=(PATH_USD, ALPHA_USD), broken=False))


def _setup(chain, units: Path, ws: Workspace, *, relay_risk: str, within: str) -> Path:  # type: ignore[no-untyped-def]
    folder = write_local_state(ws.root / "state" / "local", chain, oracle=A[6])
    r = ws.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output
    relay_env = ws.root / "srv" / "relay.env"
    relay_env.parent.mkdir()
    relay_env.write_text(f"# oracle relay\nRISK_CONTROLLER_ADDRESS={chain.risk}\nORACLE_PRIVATE_KEY={DEV_KEYS[6]}\n")
    relay_env.chmod(0o600)
    _start_relay_unit(chain, units, ws, relay_risk)
    # The YAML moves the oracle to A[7] and says how its relay runs.
    yaml = (folder / "tempovault.yaml").read_text().replace(f'address: "{A[6]}"', f'address: "{A[7]}"')
    yaml += f"""  relay:
    host: vault-1
    service: tempovault-oracle
    env_file: {relay_env}
    new_key: env:NEW_ORACLE_KEY
  fresh_signal_within: {within}
"""
    (folder / "tempovault.yaml").write_text(yaml)
    (folder / "hosts.yaml").write_text(f"""hosts:
  vault-1:
    connection: local
    services:
      tempovault-oracle: {{state: running, enabled: true, single_instance: true}}
    env_files:
      {relay_env}:
        values: {{RISK_CONTROLLER_ADDRESS: "{chain.risk}"}}
""")
    ws.env["NEW_ORACLE_KEY"] = DEV_KEYS[7]
    return relay_env


def _start_relay_unit(chain, units: Path, ws: Workspace, relay_risk: str) -> None:  # type: ignore[no-untyped-def]
    """(Re)define the declared relay's unit, sending to `relay_risk`, and start it."""
    define_units(units, {"tempovault-oracle": {
        "exec": [sys.executable, RELAY, "--rpc", chain.url, "--risk", relay_risk, "--pair", PAIR],
        "environment_file": str(ws.root / "srv" / "relay.env"), "log": str(ws.root / "srv" / "relay.log"),
        "state": "inactive", "enabled": True}})
    subprocess.run(["systemctl", "start", "tempovault-oracle"], check=True)


def _has_oracle(chain, who: str) -> bool:  # type: ignore[no-untyped-def]
    return bool(call(chain.url, chain.governance, "GovernanceRoles", "hasRole", role_id("ORACLE"), who))


def test_rotation_runs_in_order_and_revokes_only_after_a_fresh_signal(chain, units: Path, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    relay_env = _setup(chain, units, workspace, relay_risk=chain.risk, within="60s")
    env_addr = f"vault-1.env_file[{relay_env}]"
    plan_r = workspace.run("plan", "local", "--format", "json")
    assert plan_r.exit_code == 0, plan_r.output
    plan = json.loads(plan_r.stdout)
    order = [c["address"] for c in plan["changes"]]
    assert order == [f"oracle.fee_balance[{A[7]}]", f"governance.role.ORACLE[{A[7]}]", env_addr,
                     "vault-1.service[tempovault-oracle]", "oracle.fresh_signal", f"governance.role.ORACLE[{A[6]}]"]
    by = {c["address"]: c for c in plan["changes"]}
    assert by[env_addr]["sensitive"] and by[env_addr]["after"] == {"ORACLE_PRIVATE_KEY": "(sensitive) changed"}
    assert by[f"governance.role.ORACLE[{A[6]}]"]["depends_on"] == [f"governance.role.ORACLE[{A[7]}]", "oracle.fresh_signal"]
    before = call(chain.url, chain.risk, "RiskController", "oracleLastTimestamp", bytes.fromhex(PAIR[2:]))

    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert "Re-plan after apply: no changes" in r.output
    applied = r.output.split("Applying:")[1]
    lines = [line for line in applied.splitlines() if line.startswith("  ")]
    assert [line.split(":")[0].split()[-1] for line in lines[:6]] == order
    assert f"fresh signal by {A[7]} on risk.pathUSD-AlphaUSD" in applied
    assert _has_oracle(chain, A[7]) and not _has_oracle(chain, A[6])
    assert relay_env.read_text() == (f"# oracle relay\nRISK_CONTROLLER_ADDRESS={chain.risk}\n"
                                     f"ORACLE_PRIVATE_KEY={DEV_KEYS[7]}\n")
    assert call(chain.url, chain.risk, "RiskController", "oracleLastTimestamp", bytes.fromhex(PAIR[2:])) > before
    assert f"relay started as {A[7]}" in (workspace.root / "srv" / "relay.log").read_text()
    # Neither key is in any output, nor in anything the runs wrote (journal and records in the backend,
    # plans); only the relay's own env file holds the new one.
    written = [p.read_bytes().decode("latin-1") for p in workspace.root.rglob("*")
               if p.is_file() and "srv" not in p.relative_to(workspace.root).parts]
    for text in (plan_r.output, r.output, *written):
        assert DEV_KEYS[7][2:] not in text and DEV_KEYS[6][2:] not in text


def test_no_fresh_signal_stops_before_the_revoke(chain, units: Path, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    # The restarted relay talks to the wrong contract: it runs, but no signal ever lands.
    _setup(chain, units, workspace, relay_risk=chain.vault, within="3s")
    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 3, r.output
    assert "no fresh oracle signal within 3s: the old signer was NOT revoked" in r.output
    assert f"Not done: governance.role.ORACLE[{A[6]}]" in r.output and "done: oracle.fresh_signal" not in r.output
    assert _has_oracle(chain, A[7]) and _has_oracle(chain, A[6])
    assert unit(units, "tempovault-oracle")["state"] == "active"
    # The next plan resumes at the wait: only the wait and the revoke remain.
    plan = json.loads(workspace.run("plan", "local", "--format", "json").stdout)
    assert [c["address"] for c in plan["changes"]] == ["oracle.fresh_signal", f"governance.role.ORACLE[{A[6]}]"]


def test_signals_by_the_old_key_do_not_pass_the_wait(chain, units: Path, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    # A forgotten relay (another host: its command line is not the unit's) keeps signing with the OLD key, so
    # oracleLastTimestamp advances all the time, while the declared relay sends to the wrong contract.
    _setup(chain, units, workspace, relay_risk=chain.vault, within="6s")
    stray_log = workspace.root / "srv" / "stray.log"
    with stray_log.open("ab") as out:
        stray = subprocess.Popen([sys.executable, RELAY, "--rpc", chain.url, "--risk", chain.risk, "--pair", PAIR,
                                  "--interval", "0.4"], env={**os.environ, "ORACLE_PRIVATE_KEY": DEV_KEYS[6]},
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
    try:
        for _ in range(600):  # it signs before the rotation begins (a bound, not a timing assertion)
            if "signal nonce=" in stray_log.read_text() or stray.poll() is not None:
                break
            time.sleep(0.2)
        assert "signal nonce=" in stray_log.read_text(), stray_log.read_text()
        r = workspace.run("apply", "local", "--auto-approve")
        assert r.exit_code == 3, r.output
        assert (f"oracleLastTimestamp advanced, but every new signal was signed by {A[6]}, not the new oracle "
                f"{A[7]}: another relay still signs with the old key; the old signer was NOT revoked") in r.output
        assert f"{A[6]}: " in r.output.split("by signer:")[1]  # how many signals that key landed
        assert f"Not done: governance.role.ORACLE[{A[6]}]" in r.output and "done: oracle.fresh_signal" not in r.output
        assert _has_oracle(chain, A[6]) and _has_oracle(chain, A[7])

        # The declared relay is fixed; the stray one still runs (their per-pair nonces collide now and then,
        # and each retries on its next round). The next apply resumes at the wait and sees the new key sign.
        subprocess.run(["systemctl", "stop", "tempovault-oracle"], check=True)
        _start_relay_unit(chain, units, workspace, chain.risk)
        yaml = workspace.root / "state" / "local" / "tempovault.yaml"
        yaml.write_text(yaml.read_text().replace("fresh_signal_within: 6s", "fresh_signal_within: 120s"))
        assert "fresh_signal_within: 120s" in yaml.read_text()
        r = workspace.run("apply", "local", "--auto-approve")
        assert r.exit_code == 0, r.output
        assert f"fresh signal by {A[7]} on risk.pathUSD-AlphaUSD" in r.output
        assert "Re-plan after apply: no changes" in r.output
        assert _has_oracle(chain, A[7]) and not _has_oracle(chain, A[6])
    finally:
        if stray.poll() is None:
            os.killpg(stray.pid, signal.SIGTERM)
        stray.wait()
