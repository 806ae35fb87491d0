"""Issue 12 item 3 and issue 10 item 4: env-file values are sensitive unless declared public; secrets are
compared under a keyed HMAC whose key lives in the backend, and no plan, drift report or file holds a
digest; a plan without the key says the secret was not compared."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from tests.conftest import Workspace
from tests.hosts.support import write_env

DB_PASSWORD = "Pg-Pa55word-live-0123456789"
PRIVY = "privy-live-secret-abcdef123456"
TOKEN = "ghs_checkoutTokenValue0123456789abcd"


def _all_text(root: Path) -> str:
    parts = []
    for p in root.rglob("*"):
        if p.is_file() and "srv" not in p.relative_to(root).parts and ".git" not in p.relative_to(root).parts:
            parts.append(p.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def test_a_plain_key_never_prints_the_live_value(workspace: Workspace) -> None:
    """The reported attack: declaring `DATABASE_URL: "x"` printed the live password."""
    srv = workspace.root / "srv"
    srv.mkdir()
    env_file = srv / "app.env"
    env_file.write_text(f"DATABASE_URL=postgresql://app:{DB_PASSWORD}@db/app\nPRIVY_APP_SECRET={PRIVY}\n"
                        "POLL_INTERVAL=5\n")
    write_env(workspace.root, "pr", f"""hosts:
  app:
    connection: local
    env_files:
      {env_file}:
        values: {{DATABASE_URL: "x", PRIVY_APP_SECRET: "x", POLL_INTERVAL: "2"}}
        public: [POLL_INTERVAL]
""")
    outs = [workspace.run("plan", "pr").output, workspace.run("plan", "pr", "--format", "json").output,
            workspace.run("plan", "pr", "--format", "markdown").output, workspace.run("-v", "plan", "pr").output,
            workspace.run("drift", "pr", "--format", "json").output, workspace.run("drift", "pr").output]
    for out in outs:
        assert DB_PASSWORD not in out and PRIVY not in out, out
    text = outs[0]
    assert "DATABASE_URL: (sensitive) changed" in text and "PRIVY_APP_SECRET: (sensitive) changed" in text
    assert "POLL_INTERVAL: 5 -> 2" in text or 'POLL_INTERVAL: "5" -> "2"' in text, text
    assert DB_PASSWORD not in _all_text(workspace.root) and PRIVY not in _all_text(workspace.root)


def test_git_config_token_is_never_printed(workspace: Workspace) -> None:
    """The reported attack: `env_files: {.git/config: {values: {extraheader: "x"}}}` printed the token that
    actions/checkout leaves in the checkout's .git/config."""
    git = workspace.root / ".git"
    git.mkdir()
    (git / "config").write_text('[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic '
                                f"{TOKEN}\n")
    write_env(workspace.root, "pr", """hosts:
  app:
    connection: local
    env_files:
      .git/config:
        values: {extraheader: "x"}
""")
    for args in (("plan", "pr"), ("plan", "pr", "--format", "json"), ("drift", "pr"), ("-v", "plan", "pr")):
        out = workspace.run(*args).output
        assert TOKEN not in out, out
    assert TOKEN not in _all_text(workspace.root)


def _secret_world(workspace: Workspace) -> Path:
    srv = workspace.root / "srv"
    srv.mkdir()
    env_file = srv / "api.env"
    env_file.write_text(f"API_TOKEN={PRIVY}\n")
    write_env(workspace.root, "s", f"""hosts:
  app:
    connection: local
    env_files:
      {env_file}:
        values: {{API_TOKEN: {{secret: env:API_TOKEN}}}}
""")
    workspace.env["API_TOKEN"] = PRIVY
    return env_file


def _old_digest(host: str, path: str, key: str, value: str) -> str:
    raw = f"tempoctl-env\0{host}\0{path}\0{key}\0{value}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def test_no_digest_of_a_secret_in_any_plan_or_report(workspace: Workspace) -> None:
    env_file = _secret_world(workspace)
    assert workspace.run("drift", "s").exit_code == 0  # drift creates the comparison key; the value matches
    workspace.env["API_TOKEN"] = "a-new-token-value-000000000"
    r = workspace.run("plan", "s", "--out", "plans/s.json")
    assert r.exit_code == 0, r.output
    assert "API_TOKEN: (sensitive) changed" in r.output
    outs = [r.output, workspace.run("plan", "s", "--format", "json").output,
            workspace.run("drift", "s", "--format", "json", "--prometheus", "metrics.prom").output,
            workspace.run("drift", "s", "--format", "markdown").output, _all_text(workspace.root)]
    guessable = [_old_digest("app", str(env_file), "API_TOKEN", v) for v in (PRIVY, "a-new-token-value-000000000")]
    for out in outs:
        assert "sha256:" not in out.replace('"fingerprint": "sha256:', "").replace("Fingerprint: sha256:", "") \
            or all(g not in out for g in guessable)
        for g in guessable:
            assert g not in out and g[:8] not in out
        assert PRIVY not in out
    doc = json.loads((workspace.root / "plans/s.json").read_text())
    inputs = json.dumps(doc["inputs"])
    assert "(sensitive) changed" in inputs and "sha256" not in inputs


def test_the_key_lives_in_the_backend_and_a_plan_without_it_does_not_compare(workspace: Workspace) -> None:
    _secret_world(workspace)
    r = workspace.run("plan", "s", "--format", "json")
    doc = json.loads(r.output)
    assert not (workspace.root / ".tempoctl").exists()  # a plan creates no backend
    [item] = doc["drift"]
    why = item.get("reason") or item.get("message") or ""
    assert "was not compared" in why and "backend" in why, item
    assert workspace.run("drift", "s").exit_code == 0  # drift makes the key and compares
    db = workspace.root / ".tempoctl" / "s.db"
    with sqlite3.connect(db) as conn:
        [(key,)] = conn.execute("SELECT hmac_key FROM secret_keys WHERE environment = 's'").fetchall()
    assert len(bytes.fromhex(key)) == 32
    r = workspace.run("plan", "s", "--format", "json")
    assert json.loads(r.output)["drift"] == [] and json.loads(r.output)["changes"] == []
