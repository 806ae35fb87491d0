"""Teye fixtures: one Soroban RPC emulator per session (driven only through the unmodified stellar-sdk),
a fresh vision_records contract and fresh keys per test, and a workspace whose state points at them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from stellar_sdk import Keypair

from tests.conftest import Workspace
from tests.soroban import Emulator, start_emulator
from tests.support.teye_state import environment_yaml, teye_yaml, write_teye_state

PASSPHRASE = "Standalone Network ; February 2017"


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with start_emulator(PASSPHRASE) as emu:
        yield emu


@dataclass
class Teye:
    emu: Emulator
    ws: Workspace
    admin: Keypair
    new_admin: Keypair
    others: list[Keypair]
    cid: str

    def write(self, **kw: object) -> Path:
        return write_teye_state(self.ws.root, environment_yaml(self.emu.url, PASSPHRASE, self.admin.public_key,
                                                               self.new_admin.public_key),
                                teye_yaml(self.cid, kw.pop("admin", self.admin.public_key), **kw))  # type: ignore[arg-type]

    @property
    def contract(self):  # type: ignore[no-untyped-def]
        return self.emu.contract(self.cid)


@pytest.fixture
def teye(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Teye:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    admin, new_admin = Keypair.random(), Keypair.random()
    others = [Keypair.random() for _ in range(4)]
    for kp in (admin, new_admin, *others):
        emulator.fund(kp.public_key)
    cid = emulator.deploy_vision_records(admin=admin.public_key, instance_ttl=emulator.ledger + 2_000_000)
    ws = Workspace(tmp_path, {"TEYE_ADMIN_SECRET": admin.secret, "TEMPOCTL_CRASH_DIR": str(tmp_path / "crash")})
    return Teye(emulator, ws, admin, new_admin, others, cid)
