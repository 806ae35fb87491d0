"""Shared helpers for the desired-stage tests: a temp copy of the example environment, with edits."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

from tempoctl.desired.types import _crc16_xmodem

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "state" / "tempo-testnet"
SCHEMA_MODELINE = "# yaml-language-server: $schema=../../schemas/tempoctl-state.schema.json"
DATA = Path(__file__).resolve().parent / "data" / "desired"


def make_env(tmp: Path, edits: list[tuple[str, str, str]] = (), extra: dict[str, str] | None = None) -> Path:  # type: ignore[assignment]
    """Copy the example environment to `tmp/env`, apply (file, old, new) text edits and add extra files."""
    env = tmp / "env"
    shutil.copytree(EXAMPLE, env)
    for p in env.glob("*.yaml"):  # the table's positions count from the content, not the editor modeline
        p.write_text(p.read_text().removeprefix(SCHEMA_MODELINE + "\n"))
    # `environment:` must name the folder
    (env / "environment.yaml").write_text((env / "environment.yaml").read_text().replace(
        "environment: tempo-testnet", "environment: env", 1))
    for name, old, new in edits:
        p = env / name
        text = p.read_text()
        assert old in text, f"{old!r} not in {name}"
        p.write_text(text.replace(old, new, 1))
    for name, text in (extra or {}).items():
        (env / name).write_text(text)
    return env


def strkey(kind: str, payload: bytes) -> str:
    """Encode a SEP-23 strkey (used to build valid and invalid test seeds and accounts)."""
    version = {"G": 6 << 3, "S": 18 << 3, "C": 2 << 3}[kind]
    body = bytes([version]) + payload
    return base64.b32encode(body + _crc16_xmodem(body).to_bytes(2, "little")).decode()
