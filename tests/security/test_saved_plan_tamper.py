"""A saved plan is an approval, never a source of bytes or commands (issue 10, item 1).

Each attack edits a saved plan the way someone with write access to the file (a CI artifact, a shared
folder) would, then re-fingerprints it with the project's own code, so the file passes `load_plan`'s
fingerprint check: the fingerprint is a plain SHA-256 anyone can recompute. What must refuse it is apply's
rebuild-and-compare. Each test then checks the chain, the emulator or the host: nothing was sent.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tempoctl.observed.evm.abi import encode_call
from tempoctl.plan.model import Plan
from tempoctl.plan.planfile import load_plan
from tests.conftest import Workspace
from tests.hosts.support import define_units, sleeper, unit, write_env
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.contracts import call, role_id
from tests.support.local_state import write_local_state

ATTACKER = A[9]
Doc = dict[str, Any]


def refingerprint(path: Path, edit: Callable[[Doc], None]) -> None:
    """Edit the saved plan, then make it self-consistent again exactly as an attacker can."""
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(Plan.from_dict(doc).to_dict(), indent=2))
    load_plan(path)  # the edited file passes the fingerprint check: the rebuild must be what refuses it


def change_of(doc: Doc, address: str) -> Doc:
    found: Doc = next(c for c in doc["changes"] if c["address"] == address)
    return found


def _rpc(url: str, method: str, params: list[Any]) -> Any:
    import urllib.request

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["result"]


def chain_mark(url: str) -> tuple[int, list[int]]:
    """Block number and the nonces of the three signers: unchanged means nothing was sent."""
    block = int(_rpc(url, "eth_blockNumber", []), 16)
    nonces = [int(_rpc(url, "eth_getTransactionCount", [a, "latest"]), 16) for a in A[:3]]
    return block, nonces


def has_role(url: str, governance: str, role: str, who: str) -> bool:
    return bool(call(url, governance, "GovernanceRoles", "hasRole", role_id(role), who))


def _saved_evm_plan(chain: Any, ws: Workspace) -> Path:
    write_local_state(ws.root / "state" / "local", chain)
    r = ws.run("plan", "local", "--out", "plans/local.json")
    assert r.exit_code == 0, r.output
    return ws.root / "plans" / "local.json"


GRANT = f"governance.role.TREASURY_MANAGER[{A[3]}]"


def _attacker_grant() -> str:
    return "0x" + encode_call("grantRole(bytes32,address)", [role_id("STRATEGIST"), ATTACKER]).hex()


def _refused(r: Any, *needles: str) -> None:
    assert r.exit_code == 1, r.output
    assert "does not match" in r.stderr, r.stderr
    for n in needles:
        assert n in r.stderr, r.stderr
    assert "Applying:" not in r.output


def test_replaced_calldata_is_refused_and_nothing_is_sent(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    path = _saved_evm_plan(chain, workspace)
    refingerprint(path, lambda d: change_of(d, GRANT)["steps"][0].__setitem__("data", _attacker_grant()))
    before = chain_mark(chain.url)
    r = workspace.run("apply", str(path), "--auto-approve")
    _refused(r, GRANT, "steps[0].data", f"saved grantRole(0x{role_id('STRATEGIST').hex()}, {ATTACKER})")
    assert chain_mark(chain.url) == before
    assert not has_role(chain.url, chain.governance, "STRATEGIST", ATTACKER)


def test_redirected_target_is_refused_and_nothing_is_sent(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    path = _saved_evm_plan(chain, workspace)
    refingerprint(path, lambda d: change_of(d, GRANT)["steps"][0].__setitem__("to", chain.legacy_risk))
    before = chain_mark(chain.url)
    r = workspace.run("apply", str(path), "--auto-approve")
    _refused(r, GRANT, "steps[0].to", chain.legacy_risk)
    assert chain_mark(chain.url) == before


def test_appended_change_is_refused_and_nothing_is_sent(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    path = _saved_evm_plan(chain, workspace)
    extra = f"governance.role.STRATEGIST[{ATTACKER}]"

    def append(d: Doc) -> None:
        evil = json.loads(json.dumps(change_of(d, GRANT)))
        evil["address"] = extra
        evil["after"] = True
        evil["steps"][0].update(data=_attacker_grant(), args=["0x" + role_id("STRATEGIST").hex(), ATTACKER],
                                display=f"grantRole(STRATEGIST, {ATTACKER})")
        d["changes"].append(evil)

    refingerprint(path, append)
    before = chain_mark(chain.url)
    r = workspace.run("apply", str(path), "--auto-approve")
    _refused(r, extra, "in the saved plan, not in the rebuilt plan")
    assert chain_mark(chain.url) == before
    assert not has_role(chain.url, chain.governance, "STRATEGIST", ATTACKER)


def test_a_display_edited_to_look_harmless_is_refused(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    """What a reviewer reads is part of the approval: the text shown must be the rebuilt step's own."""
    path = _saved_evm_plan(chain, workspace)
    refingerprint(path, lambda d: change_of(d, GRANT)["steps"][0].__setitem__("display", "noop()"))
    before = chain_mark(chain.url)
    _refused(workspace.run("apply", str(path), "--auto-approve"), GRANT, "steps[0].display")
    assert chain_mark(chain.url) == before


def test_an_untampered_saved_plan_applies_and_history_shows_the_signed_call(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    path = _saved_evm_plan(chain, workspace)
    saved = load_plan(path)
    r = workspace.run("apply", str(path))
    assert r.exit_code == 0, r.output + r.stderr
    assert has_role(chain.url, chain.governance, "TREASURY_MANAGER", A[3])
    from tempoctl.backend import open_backend

    with open_backend("sqlite:///.tempoctl/local.db", workspace.root) as backend:
        [audit] = backend.applies("local")
        intents = [e for e in backend.journal_entries("local") if e["event"] == "intent"]
    assert audit["plan_fingerprint"] == saved.fingerprint()
    grant = next(e for e in intents if e["address"] == GRANT)
    # The journal's call is decoded from the calldata that was signed, not copied from the file's display.
    assert grant["call"] == f"grantRole(0x{role_id('TREASURY_MANAGER').hex()}, {A[3]})"
    shown = workspace.run("history", "local")
    assert f"signed call: grantRole(0x{role_id('TREASURY_MANAGER').hex()}, {A[3]})" in shown.output


# --- Soroban ---------------------------------------------------------------------------------------------


def test_tampered_soroban_argument_is_refused_and_nothing_is_sent(teye) -> None:  # type: ignore[no-untyped-def]
    m1, intruder = teye.others[0].public_key, teye.others[3].public_key
    teye.write(whitelist=[m1])
    assert teye.ws.run("plan", "teye-local", "--out", "teye.plan.json").exit_code == 0
    path = teye.ws.root / "teye.plan.json"
    address = f"vision_records.whitelist[{m1}]"
    refingerprint(path, lambda d: change_of(d, address)["steps"][0]["args"][1].__setitem__("address", intruder))
    seq = teye.emu.account_sequence(teye.admin.public_key)  # ledgers close every 0.1 s: watch the admin instead
    res = teye.ws.run("apply", "teye.plan.json", "--auto-approve")
    _refused(res, address, "steps[0].args")
    assert teye.emu.account_sequence(teye.admin.public_key) == seq
    assert teye.contract.view("is_whitelisted", intruder) is False
    assert teye.contract.view("is_whitelisted", m1) is False


def test_a_soroban_xdr_in_the_file_is_never_what_is_sent(teye) -> None:  # type: ignore[no-untyped-def]
    """The assembled XDR in a saved plan is for review and offline signing; apply rebuilds the invocation
    from contract, function and arguments, so an XDR swapped in the file changes nothing."""
    m1, intruder = teye.others[0].public_key, teye.others[3].public_key
    teye.write(whitelist=[m1])
    assert teye.ws.run("plan", "teye-local", "--out", "teye.plan.json").exit_code == 0
    path = teye.ws.root / "teye.plan.json"
    teye.write(whitelist=[intruder])  # plan the intruder's add only to steal its XDR, then put the YAML back
    r = teye.ws.run("plan", "teye-local", "--format", "json")
    evil_xdr = json.loads(r.output)["changes"][0]["steps"][0]["xdr"]
    teye.write(whitelist=[m1])
    address = f"vision_records.whitelist[{m1}]"
    refingerprint(path, lambda d: change_of(d, address)["steps"][0].__setitem__("xdr", evil_xdr))
    res = teye.ws.run("apply", "teye.plan.json", "--auto-approve")
    assert res.exit_code == 0, res.output
    assert teye.contract.view("is_whitelisted", m1) is True
    assert teye.contract.view("is_whitelisted", intruder) is False
    shown = teye.ws.run("history", "teye-local").output  # read back from the signed XDR, full keys
    assert f"signed call: add_to_whitelist({teye.admin.public_key}, {m1})" in shown


# --- hosts -----------------------------------------------------------------------------------------------


def test_tampered_host_command_is_refused_and_nothing_is_run(units: Path, workspace: Workspace) -> None:
    define_units(units, {"api": {"exec": sleeper(), "enabled": True, "state": "inactive"},
                         "victim": {"exec": sleeper(), "enabled": True, "state": "inactive"}})
    subprocess.run(["systemctl", "start", "victim"], check=True)
    write_env(workspace.root, "h", """hosts:
  app:
    connection: local
    services:
      api: {state: running, enabled: true}
""")
    assert workspace.run("plan", "h", "--out", "h.plan.json").exit_code == 0
    path = workspace.root / "h.plan.json"

    def stop_victim(d: Doc) -> None:
        step = change_of(d, "app.service[api]")["steps"][-1]
        step.update(op="stop", unit="victim")

    refingerprint(path, stop_victim)
    r = workspace.run("apply", "h.plan.json", "--auto-approve")
    _refused(r, "app.service[api]", ".op", ".unit")
    assert unit(units, "victim")["state"] == "active"
    assert unit(units, "api")["state"] == "inactive"



# --- Safe batches ----------------------------------------------------------------------------------------


def test_tampered_safe_batch_step_is_refused_and_no_batch_is_written(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    """A Safe's owners execute what the batch file holds: calldata swapped in the saved plan must never reach
    a Transaction Builder batch."""
    from tests.support.contracts import grant_role
    from tests.test_safe_batches import SAFE, batches, safe_state

    grant_role(chain.url, chain.governance, "ADMIN", SAFE)
    safe_state(workspace, chain)
    del workspace.env["LOCAL_ADMIN_KEY"]
    assert workspace.run("plan", "local", "--out", "plans/local.json").exit_code == 0
    path = workspace.root / "plans" / "local.json"
    target = f"governance.role.EMERGENCY[{A[2]}]"

    def swap(d: Doc) -> None:
        step = change_of(d, target)["steps"][0]
        assert step["via"] == "safe"
        step["data"] = _attacker_grant()

    refingerprint(path, swap)
    r = workspace.run("apply", "plans/local.json", "--auto-approve")
    _refused(r, target, "steps[0].data")
    assert batches(workspace) == []
