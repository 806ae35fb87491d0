"""Keystore signers: the files `cast wallet import` writes (no `address` field) and geth-style ones (with it)
open with TEMPOCTL_KEYSTORE_PASSWORD or a terminal prompt; every way of getting it wrong is one clear message,
before anything is sent; and a whole apply on anvil signs with a keystore."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from eth_account import Account

from tempoctl.apply.signers import SignerError, load_evm_account
from tempoctl.desired.models import Signer
from tests.conftest import Workspace
from tests.support.anvil import CAST_BIN, DEV_ADDRESSES, DEV_KEYS
from tests.support.contracts import call
from tests.support.local_state import write_local_state

PASSWORD = "correct horse battery staple"
RISK = Signer(network="anvil", address=DEV_ADDRESSES[1], key="keystore:keys/risk-officer")


def cast_import(home: Path, name: str, key: str, password: str = PASSWORD) -> Path:
    """A keystore written by the real `cast wallet import` (npm @foundry-rs/cast, pinned with anvil)."""
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(CAST_BIN), "wallet", "import", name, "--private-key", key, "--unsafe-password", password],
                   env=dict(os.environ, HOME=str(home)), check=True, capture_output=True, cwd=home)
    return home / ".foundry" / "keystores" / name


@pytest.fixture(scope="module")
def cast_keystore(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cast_import(tmp_path_factory.mktemp("cast-home"), "risk-officer", DEV_KEYS[1])


def place(keyfile: Path | dict[str, object], where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    target = where / "risk-officer"
    target.write_text(keyfile.read_text() if isinstance(keyfile, Path) else json.dumps(keyfile))
    return target


def load(where: Path, signer: Signer = RISK, password: str | None = PASSWORD, **kw: object) -> object:
    environ = {"TEMPOCTL_KEYSTORE_PASSWORD": password} if password is not None else {}
    return load_evm_account("risk_officer", signer, environ=environ, cwd=where, **kw)  # type: ignore[arg-type]


def test_cast_keystore_has_no_address_and_the_key_gives_it(cast_keystore: Path, tmp_path: Path) -> None:
    assert "address" not in json.loads(cast_keystore.read_text())
    assert json.loads(cast_keystore.read_text())["crypto"]["kdfparams"]["n"] == 8192
    place(cast_keystore, tmp_path / "keys")
    account = load(tmp_path)
    assert account.address == DEV_ADDRESSES[1]  # type: ignore[attr-defined]


def test_geth_style_keystore_with_and_without_address(tmp_path: Path) -> None:
    keyfile = Account.encrypt(DEV_KEYS[1], PASSWORD, kdf="scrypt", iterations=8192)
    assert keyfile["address"].lower() == DEV_ADDRESSES[1].lower().removeprefix("0x")
    place(keyfile, tmp_path / "keys")
    assert load(tmp_path).address == DEV_ADDRESSES[1]  # type: ignore[attr-defined]
    del keyfile["address"]
    place(keyfile, tmp_path / "keys")
    assert load(tmp_path).address == DEV_ADDRESSES[1]  # type: ignore[attr-defined]


def test_home_relative_path(cast_keystore: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(cast_keystore.parents[2]))
    signer = Signer(network="anvil", address=DEV_ADDRESSES[1], key="keystore:~/.foundry/keystores/risk-officer")
    assert load(Path("/nonexistent"), signer).address == DEV_ADDRESSES[1]  # type: ignore[attr-defined]


def test_wrong_password_is_one_clear_error(cast_keystore: Path, tmp_path: Path) -> None:
    place(cast_keystore, tmp_path / "keys")
    with pytest.raises(SignerError) as err:
        load(tmp_path, password="hunter2")
    assert err.value.summary == f"signer risk_officer: wrong password for keystore {tmp_path}/keys/risk-officer"
    assert "TEMPOCTL_KEYSTORE_PASSWORD" in err.value.hint
    assert "hunter2" not in err.value.render()


def test_key_of_another_address_is_refused(cast_keystore: Path, tmp_path: Path) -> None:
    place(cast_keystore, tmp_path / "keys")
    other = Signer(network="anvil", address=DEV_ADDRESSES[2], key=RISK.key)
    with pytest.raises(SignerError, match=f"the key belongs to {DEV_ADDRESSES[1]}, not the declared {DEV_ADDRESSES[2]}"):
        load(tmp_path, other)


def test_keystore_of_another_address_is_refused_before_asking(tmp_path: Path) -> None:
    place(Account.encrypt(DEV_KEYS[1], PASSWORD, kdf="scrypt", iterations=8192), tmp_path / "keys")
    other = Signer(network="anvil", address=DEV_ADDRESSES[2], key=RISK.key)
    asked: list[str] = []
    with pytest.raises(SignerError, match=f"is for 0x{DEV_ADDRESSES[1][2:].lower()}, not the declared"):
        load(tmp_path, other, password=None, prompt=lambda m: asked.append(m) or PASSWORD)
    assert asked == []


def test_password_prompt_only_when_the_caller_can_ask(cast_keystore: Path, tmp_path: Path) -> None:
    place(cast_keystore, tmp_path / "keys")
    with pytest.raises(SignerError, match="needs a password") as err:
        load(tmp_path, password=None)
    assert "TEMPOCTL_KEYSTORE_PASSWORD" in err.value.hint
    asked: list[str] = []
    account = load(tmp_path, password=None, prompt=lambda m: asked.append(m) or PASSWORD)
    assert account.address == DEV_ADDRESSES[1] and asked == ["Password for the keystore of signer risk_officer"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("content", "message"), [
    (None, "does not exist"),
    ("not json", "cannot read keystore"),
    (json.dumps({"version": 1, "crypto": {}}), "is not a Web3 Secret Storage v3 keystore"),
    (json.dumps(["x"]), "is not a Web3 Secret Storage v3 keystore"),
    (json.dumps({"version": 3, "crypto": {"kdf": "argon9"}}), "unsupported or damaged file"),
])
def test_unusable_files(tmp_path: Path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / "keys").mkdir()
        (tmp_path / "keys" / "risk-officer").write_text(content)
    with pytest.raises(SignerError, match=message):
        load(tmp_path)


# -- end to end on anvil -----------------------------------------------------------------------------------------

def keystore_workspace(chain, ws: Workspace, keystore: Path) -> None:  # type: ignore[no-untyped-def]
    folder = write_local_state(ws.root / "state" / "local", chain)
    env_yaml = folder / "environment.yaml"
    env_yaml.write_text(env_yaml.read_text().replace("key: env:LOCAL_RISK_OFFICER_KEY",
                                                     "key: keystore:keys/risk-officer"))
    place(keystore, ws.root / "keys")
    del ws.env["LOCAL_RISK_OFFICER_KEY"]


def test_apply_signs_with_a_cast_keystore(chain, workspace: Workspace, cast_keystore: Path) -> None:  # type: ignore[no-untyped-def]
    keystore_workspace(chain, workspace, cast_keystore)
    workspace.env["TEMPOCTL_KEYSTORE_PASSWORD"] = "wrong"
    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 1
    assert "wrong password for keystore" in r.output and "Traceback" not in r.output
    assert call(chain.url, chain.risk, "RiskController", "maxTickDeviation") != 150  # nothing was sent

    workspace.env["TEMPOCTL_KEYSTORE_PASSWORD"] = PASSWORD
    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert "Re-plan after apply: no changes" in r.output
    assert call(chain.url, chain.risk, "RiskController", "maxTickDeviation") == 150  # a risk_officer step
    assert PASSWORD not in r.output


def test_password_is_asked_on_a_terminal(chain, workspace: Workspace, cast_keystore: Path) -> None:  # type: ignore[no-untyped-def]
    keystore_workspace(chain, workspace, cast_keystore)
    env = dict(os.environ, **workspace.env, HOME=str(workspace.root / "home"))
    env.pop("TEMPOCTL_KEYSTORE_PASSWORD", None)
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "tempoctl", "apply", "local", "--auto-approve"],
                            cwd=workspace.root, env=env, stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    seen, answered = b"", False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break  # the child closed the terminal
            if not chunk:
                break
            seen += chunk
            if not answered and b"Password for the keystore of signer risk_officer" in seen:
                os.write(leader, PASSWORD.encode() + b"\n")
                answered = True
        elif proc.poll() is not None:
            break
    os.close(leader)
    assert proc.wait(timeout=30) == 0, seen.decode(errors="replace")
    assert answered
    assert PASSWORD.encode() not in seen  # hidden input: not echoed
    assert call(chain.url, chain.risk, "RiskController", "maxTickDeviation") == 150
