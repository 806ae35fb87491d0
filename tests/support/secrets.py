"""Find test secrets where they must never be: command output, plans, journals, Safe batches, backend files,
crash logs. A secret is searched in every spelling a leak could take: hex with and without 0x in any case,
the raw bytes (binary files such as SQLite), base64 of those bytes, and plain strings (passwords, Stellar
S... seeds)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path

_HEX = re.compile(r"^(0x)?[0-9a-fA-F]{32,}$")


@dataclass
class SecretScanner:
    """Collects secrets under a label (never printed: hits name the label and the place, not the value)."""

    needles: list[tuple[str, bytes, bool]] = field(default_factory=list)  # (label, needle, case-insensitive)

    def add(self, label: str, secret: str) -> None:
        if _HEX.match(secret):
            digits = secret.lower().removeprefix("0x")
            raw = bytes.fromhex(digits)
            self.needles += [(label, digits.encode(), True), (label, raw, False),
                             (label, base64.b64encode(raw).rstrip(b"="), False)]
        else:
            self.needles.append((label, secret.encode(), False))

    def hits(self, blob: bytes | str) -> list[str]:
        data = blob.encode() if isinstance(blob, str) else blob
        lower = data.lower()
        return sorted({label for label, needle, fold in self.needles if needle in (lower if fold else data)})

    def scan_tree(self, root: Path) -> tuple[list[str], list[Path]]:
        """Every regular file under `root`: (hits as "path: label", files scanned)."""
        found, files = [], []
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                files.append(path)
                found += [f"{path.relative_to(root)}: {label}" for label in self.hits(path.read_bytes())]
        return found, files
