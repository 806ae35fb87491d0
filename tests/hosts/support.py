"""Helpers for host tests: a hosts-only environment on disk and stand-in units that really run."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

_counter = itertools.count(1)


def sleeper() -> list[str]:
    """A command line no other test runs, so process counts see only this test's processes."""
    return ["sleep", f"86400.{os.getpid()}{next(_counter):04d}"]


def define_units(state: Path, units: dict[str, dict[str, Any]]) -> None:
    data = json.loads(state.read_text() or "{}")
    data.setdefault("units", {}).update({u if "." in u else f"{u}.service": spec for u, spec in units.items()})
    state.write_text(json.dumps(data))


def unit(state: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(state.read_text())["units"][f"{name}.service"]
    return data


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def write_env(root: Path, name: str, body: str) -> Path:
    folder = root / "state" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "environment.yaml").write_text(f"environment: {name}\nbackend: sqlite:///.tempoctl/{name}.db\n{body}")
    return folder
