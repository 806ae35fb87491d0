"""How env-file values that must not be shown are compared (issue 10 item 4, issue 12 item 3).

A live value is compared with the desired one as HMAC-SHA256 under a random key that lives in the backend
(`secret_keys`), and only the verdict leaves this module: `(sensitive) unchanged` or `(sensitive) changed`.
No digest is kept in the observation, the plan, its inputs, drift output or metrics, so holding a plan does
not let anyone confirm a guessed secret offline. The salted, 64-bit SHA-256 used before was guessable.

Without access to the key (no backend yet, or a role that cannot read it) the value is *not compared*,
and the plan says so instead of guessing.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path

from tempoctl.errors import TempoctlError

SENSITIVE = "(sensitive)"
UNCHANGED = "(sensitive) unchanged"
CHANGED = "(sensitive) changed"


@dataclass
class ComparisonKey:
    """The run's comparison key, fetched from the backend once (None with the reason when unavailable)."""

    backend: str
    environment: str
    cwd: Path | None = None
    create: bool = False
    refused: str | None = None
    """Why this backend may not be opened (a PR names another backend than the trusted base): never opened."""
    _key: bytes | None = None
    _why: str | None = None
    _done: bool = field(default=False, repr=False)

    def get(self) -> bytes | None:
        if not self._done:
            self._done = True
            self._key, self._why = self._fetch()
        return self._key

    @property
    def unavailable(self) -> str:
        return self._why or "no comparison key"

    def _fetch(self) -> tuple[bytes | None, str | None]:
        from tempoctl.backend import DEFAULT, backend_exists, open_backend

        if self.refused is not None:
            return None, f"the backend is not opened: {self.refused}"
        spec = self.backend.strip() or DEFAULT
        if not self.create and not backend_exists(spec, self.cwd):
            return None, "the backend does not exist yet (drift or apply creates its comparison key)"
        try:
            with open_backend(spec, cwd=self.cwd) as be:
                key = be.comparison_key(self.environment, create=self.create)
        except TempoctlError as exc:
            return None, f"the backend's comparison key is not readable here ({exc.summary})"
        except Exception as exc:  # noqa: BLE001 - a driver error means "no access", never a crash
            return None, f"the backend's comparison key is not readable here ({type(exc).__name__})"
        if key is None:
            return None, "the backend has no comparison key yet (drift or apply creates it)"
        return key, None


def keyed_digest(key: bytes, host: str, path: str, name: str, value: str) -> bytes:
    """HMAC-SHA256 of one value, bound to where it lives so equal values in two places do not compare."""
    msg = f"tempoctl-env-v2\x00{host}\x00{path}\x00{name}\x00{value}".encode()
    return hmac.new(key, msg, hashlib.sha256).digest()


def verdict(key: bytes | None, host: str, path: str, name: str, live: str, desired: str) -> str:
    """`(sensitive) unchanged` or `(sensitive) changed`: the only thing a comparison reveals. Without a key
    (a plain value, whose desired side is in the YAML anyway) the two are compared directly."""
    if key is None:
        same = hmac.compare_digest(live.encode(), desired.encode())
    else:
        same = hmac.compare_digest(keyed_digest(key, host, path, name, live),
                                   keyed_digest(key, host, path, name, desired))
    return UNCHANGED if same else CHANGED
