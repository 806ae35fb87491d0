"""Atomic file writes (pre-commit style): a reader sees the old file or the new one, never half of either.

Used for saved plans and anything else that must survive a crash or `kill -9` mid-write.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path | str, data: bytes | str, mode: int = 0o600) -> None:
    """Write `data` to `path` via a temp file in the same directory, fsync, then `os.replace`.

    The temp file is created with `mode` before any byte is written, so a plan is never world-readable even
    briefly. Parent directories are created. The directory is fsynced so the rename itself is durable.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    # Not every platform/filesystem lets a directory be opened or fsynced; the rename already happened.
    with contextlib.suppress(OSError):
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
