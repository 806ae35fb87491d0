"""A consumer's `variable:` comes from the PR too: naming DATABASE_URL must not print the live password.
The live value is shown only while it is a contract ID."""

from __future__ import annotations

import json

from tests.conftest import Workspace
from tests.stellar.conftest import Teye, emulator, teye  # noqa: F401 - fixtures

PASSWORD = "consumer-db-password-0123456789"


def test_a_consumer_variable_never_prints_a_live_secret(teye: Teye) -> None:  # noqa: F811
    ws: Workspace = teye.ws
    env_file = ws.root / "srv" / "app.env"
    env_file.parent.mkdir()
    env_file.write_text(f"DATABASE_URL=postgresql://app:{PASSWORD}@db/app\nCONTRACT_ID={teye.cid}\n")
    extra = f"""    consumers:
      - host: vault-1
        env_file: {env_file}
        variable: DATABASE_URL
"""
    folder = teye.write(wasm=teye.contract.wasm_hash.hex(), extra=extra)
    (folder / "hosts.yaml").write_text("hosts:\n  vault-1:\n    connection: local\n")
    outs = [ws.run("plan", "teye-local").output, ws.run("plan", "teye-local", "--format", "json").output,
            ws.run("drift", "teye-local", "--format", "json").output]
    for out in outs:
        assert PASSWORD not in out, out
    doc = json.loads(outs[1])
    [change] = [c for c in doc["changes"] if c["address"].startswith("vault-1.env_file")]
    assert change["before"] == {"DATABASE_URL": "(sensitive) changed"}
