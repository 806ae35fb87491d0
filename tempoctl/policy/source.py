"""Where the policies come from: `policies/` next to `state/` in the repository, read at the trusted base
(`--trusted-base REF`, desired/trusted.py) when there is one, so a pull request cannot edit, add or delete the
rules that judge it; from the working tree otherwise (an operator's own checkout, and apply on main).

The folder holds `*.rego` files (evaluated one by one, in name order) and optionally `data.json`, an object
given to every file as `data` (thresholds such as risk-parameter bounds). Only the folder's own files count,
not subfolders (a place for the policies' own test fixtures).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tempoctl.desired.trusted import TrustedBase, _git
from tempoctl.errors import ConfigError
from tempoctl.policy.engine import PolicyError, PolicyFile

FOLDER = "policies"
DATA_FILE = "data.json"
MAX_BYTES = 1024 * 1024  # a policy file or data.json larger than this is refused, not read into the engine


@dataclass(frozen=True)
class PolicySource:
    """The policies that judge one environment's plans and where they were read from.

    `where` is shown in every output (``the trusted base origin/main (1a2b3c4d5e6f)`` or ``the working
    tree``), so a reviewer sees which rules applied.
    """

    where: str
    files: tuple[PolicyFile, ...]
    data: dict[str, Any] | None = None


def policy_root(env_root: Path) -> Path | None:
    """`<repo>/policies` for an environment folder `<repo>/state/<env>`; None when the environment is not in
    a `state/` folder (a folder given elsewhere has no repository layout to find policies in)."""
    folder = env_root.resolve()
    if folder.parent.name != "state":
        return None
    return folder.parent.parent / FOLDER


def _data(name: str, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise PolicyError(f"{name}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    if not isinstance(data, dict) or "tempoctl" in data:
        raise PolicyError(f"{name}: expected a JSON object (without a `tempoctl` key: that is the policies' package)")
    return data


def _check_size(name: str, size: int) -> None:
    if size > MAX_BYTES:
        raise PolicyError(f"{name}: {size:,} bytes, more than the {MAX_BYTES:,} a policy file may have")


def from_working_tree(folder: Path) -> PolicySource:
    """The folder's `*.rego` and `data.json` as they are on disk."""
    files = []
    for path in sorted(folder.glob("*.rego")):
        if not path.is_file():
            continue
        name = f"{FOLDER}/{path.name}"
        _check_size(name, path.stat().st_size)
        try:
            files.append(PolicyFile(name, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as e:
            raise PolicyError(f"{name}: cannot read it: {e}") from None
    data_path = folder / DATA_FILE
    data = None
    if data_path.is_file():
        _check_size(f"{FOLDER}/{DATA_FILE}", data_path.stat().st_size)
        data = _data(f"{FOLDER}/{DATA_FILE}", data_path.read_text(encoding="utf-8", errors="replace"))
    return PolicySource("the working tree", tuple(files), data)


def from_git(folder: Path, trusted: TrustedBase) -> PolicySource:
    """The folder's `*.rego` and `data.json` as they are at the trusted base's commit (what the working tree
    has there is ignored: a pull request's own policy edits are not the rules that judge it)."""
    assert trusted.ref is not None and trusted.commit is not None
    parent = folder.parent
    top = _git(parent if parent.is_dir() else parent.parent, "rev-parse", "--show-toplevel")
    if top is None:
        raise ConfigError(f"--trusted-base {trusted.ref}: {parent} is not inside a git repository")
    rel = folder.resolve().relative_to(Path(top.strip()).resolve()).as_posix()
    listing = _git(Path(top.strip()), "ls-tree", "-z", "-l", trusted.commit, "--", rel + "/") or ""
    where = f"the trusted base {trusted.ref} ({trusted.commit[:12]})"
    files: list[PolicyFile] = []
    data = None
    for entry in sorted(e for e in listing.split("\0") if e):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) < 4 or parts[1] != "blob":
            continue
        base = Path(path).name
        name = f"{FOLDER}/{base}"
        if not (base.endswith(".rego") or base == DATA_FILE):
            continue
        _check_size(name, int(parts[3]) if parts[3].isdigit() else 0)
        text = _git(Path(top.strip()), "show", f"{trusted.commit}:{path}")
        if text is None:
            raise PolicyError(f"{name}: cannot read it at {where}")
        if base == DATA_FILE:
            data = _data(f"{name} at {trusted.ref}", text)
        else:
            files.append(PolicyFile(name, text))
    return PolicySource(where, tuple(files), data)


def load_policies(env_root: Path, trusted: TrustedBase | None) -> PolicySource | None:
    """The policies for the environment at `env_root`, or None when there is no policies folder to read
    (neither in the working tree nor, under a trusted base, at its commit)."""
    folder = policy_root(env_root)
    if folder is None:
        return None
    if trusted is not None and trusted.ref is not None:
        source = from_git(folder, trusted)
    elif folder.is_dir():
        source = from_working_tree(folder)
    else:
        return None
    return source if source.files else None
