"""Secret hygiene over a whole session of an operator: plan, show, apply (env keys and a keystore), drift, the
error paths (wrong keystore password, missing key), then a hand-over of the admin role to a Safe (batch file,
pending records). Every captured stdout/stderr and every file written under the test's temp dir is scanned
for the signing keys and the keystore password in any spelling: zero hits."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Workspace
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.anvil import DEV_KEYS
from tests.support.contracts import grant_role
from tests.support.local_state import write_local_state
from tests.support.secrets import SecretScanner
from tests.test_keystore_signers import PASSWORD, cast_import, place
from tests.test_safe_batches import SAFE

KEY_VARS = ("LOCAL_ADMIN_KEY", "LOCAL_RISK_OFFICER_KEY", "LOCAL_EMERGENCY_KEY")
EXPANDED = {"TEMPOCTL_LOCAL_RPC": "rpcapikey-9d2e4b7a1c", "LOCAL_DB_NAME": "localdb-3f7a9e5b"}


def test_scanner_finds_every_spelling(tmp_path: Path) -> None:
    scanner = SecretScanner()
    scanner.add("key", DEV_KEYS[0])
    scanner.add("password", PASSWORD)
    digits = DEV_KEYS[0][2:]
    for leak in (DEV_KEYS[0], digits, digits.upper(), f"x={digits[:32]}{digits[32:].upper()}"):
        assert scanner.hits(f"... {leak} ...") == ["key"]
    (tmp_path / "bin.db").write_bytes(b"\x00header" + bytes.fromhex(digits) + b"\x00")
    (tmp_path / "log.txt").write_text(f"password was {PASSWORD}\n")
    found, files = scanner.scan_tree(tmp_path)
    assert found == ["bin.db: key", "log.txt: password"] and len(files) == 2
    assert scanner.hits(f"{A[0]} signed with a key") == []  # an address is not its key


def test_no_secret_in_any_output_or_file(chain, workspace: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scanner = SecretScanner()
    for var in KEY_VARS:
        scanner.add(var, workspace.env[var])
    scanner.add("keystore password", PASSWORD)
    scanner.add("wrong keystore password", "not-the-password-4f1c")
    # Values expanded from ${VAR} never appear either (DESIGN §8): an API key in the RPC URL, a name in the
    # backend's path. Unique markers, so any copy of them anywhere is found.
    for var, value in EXPANDED.items():
        scanner.add(f"expanded ${{{var}}}", value)
    workspace.env["TEMPOCTL_LOCAL_RPC"] = f"{chain.url}/?apikey={EXPANDED['TEMPOCTL_LOCAL_RPC']}"
    workspace.env["LOCAL_DB_NAME"] = EXPANDED["LOCAL_DB_NAME"]

    folder = write_local_state(workspace.root / "state" / "local", chain)
    env_yaml = folder / "environment.yaml"
    env_yaml.write_text(env_yaml.read_text().replace("key: env:LOCAL_RISK_OFFICER_KEY",
                                                     "key: keystore:keys/risk-officer")
                        .replace("backend: sqlite:///.tempoctl/local.db",
                                 "backend: sqlite:///.tempoctl/${LOCAL_DB_NAME}.db"))
    place(cast_import(tmp_path / "cast-home", "risk-officer", workspace.env.pop("LOCAL_RISK_OFFICER_KEY")),
          workspace.root / "keys")
    outputs: list[str] = []

    def run(*args: str, expect: int | None = 0) -> None:
        r = workspace.run(*args)
        outputs.append(r.output + (r.stderr if r.stderr_bytes is not None else ""))
        assert expect is None or r.exit_code == expect, (args, r.output)

    # Error paths first: the secrets are in play, nothing is sent. A value that fails validation is named by
    # its ${VAR}, never shown (it used to be: `expected an integer, got "<value>"`).
    good = env_yaml.read_text()
    env_yaml.write_text(good.replace(f"chain_id: {chain.chain_id}", "chain_id: ${LOCAL_DB_NAME}"))
    run("validate", "local", expect=1)
    assert "got ${LOCAL_DB_NAME}" in outputs[-1]
    run("plan", "local", "--format", "markdown", expect=1)
    env_yaml.write_text(good)
    workspace.env["TEMPOCTL_KEYSTORE_PASSWORD"] = "not-the-password-4f1c"
    run("apply", "local", "--auto-approve", expect=1)
    workspace.env["TEMPOCTL_KEYSTORE_PASSWORD"] = PASSWORD
    admin_key = workspace.env.pop("LOCAL_ADMIN_KEY")
    run("apply", "local", "--auto-approve", expect=1)
    workspace.env["LOCAL_ADMIN_KEY"] = admin_key

    # The runbook: plan, review in every format, apply the saved plan, check drift.
    run("plan", "local", "--out", "plans/local.json")
    for fmt in ("text", "json", "markdown"):
        run("show", "plans/local.json", "--format", fmt)
        run("plan", "local", "--format", fmt)
    run("-v", "plan", "local")
    run("apply", "plans/local.json")
    for fmt in ("text", "json", "markdown"):
        run("drift", "local", "--format", fmt)
    run("drift", "local", "--prometheus", "metrics/tempoctl.prom")
    run("-v", "validate", "local")

    # Hand ADMIN to a Safe: its steps become a batch file and pending records.
    grant_role(chain.url, chain.governance, "ADMIN", SAFE)
    env_yaml.write_text(env_yaml.read_text().replace(
        f'admin: {{network: anvil, address: "{A[0]}", key: env:LOCAL_ADMIN_KEY}}',
        f'admin: {{network: anvil, address: "{SAFE}", via: safe}}'))
    tv = folder / "tempovault.yaml"
    tv.write_text(tv.read_text().replace(f'ADMIN: ["{A[0]}"]', f'ADMIN: ["{SAFE}"]'))
    run("plan", "local", "--detailed-exitcode", expect=2)
    run("apply", "local", "--auto-approve")
    run("plan", "local", "--format", "json")
    run("drift", "local", expect=None)
    run("apply", "local", "--auto-approve")
    run("history", "local")  # the audit log: every apply and step, never the signed bytes or a key
    run("history", "local", "--format", "json")

    written = {p.name for p in workspace.root.rglob("*") if p.is_file()}
    assert {"local.json", f"{EXPANDED['LOCAL_DB_NAME']}.db", "tempoctl.prom"} <= written  # plan, backend, metrics
    assert any("safe-batch" in name for name in written)
    assert json.loads(next((workspace.root / "plans").glob("*safe-batch*")).read_text())["transactions"]

    leaks = [f"output of command #{i}: {label}" for i, out in enumerate(outputs) for label in scanner.hits(out)]
    found, files = scanner.scan_tree(tmp_path)
    assert len(files) >= 7
    assert leaks + found == []
