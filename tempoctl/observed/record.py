"""The record of keys tempoctl has managed in an environment, kept in its backend (table `managed_keys`).

Some things tempoctl manages are not enumerable on chain (Soroban tiers and whitelist members, the treasury
vault's approval mappings): a key dropped from the YAML can only be found again if something remembers it.
Readers read declared ∪ recorded keys; apply adds a key once tempoctl has set it and forgets it once
tempoctl has removed it. One record per observation, shared by every source (`record_for`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ManagedRecord:
    """Keys tempoctl has managed per scope (`vision_records.whitelist`, `vault.approved_token`), and named
    cursors (last contract ID applied, last ledger scanned), read from the backend once per run. Writes go
    through `save` and `forget`. A plan never creates a SQLite backend no apply has written: it reads as empty."""

    environment: str
    backend: str
    cwd: Path | None = None
    keys: dict[str, set[str]] = field(default_factory=dict)
    cursors: dict[str, str | None] = field(default_factory=dict)
    opened: bool = True
    """False when a PR names another backend than the trusted base: it is never opened, reads as empty."""

    def _open(self) -> Any:
        from tempoctl.backend import open_backend

        return open_backend(self.backend, cwd=self.cwd)

    def _exists(self) -> bool:
        if not self.opened:
            return False
        from tempoctl.backend import backend_exists

        return backend_exists(self.backend, self.cwd)

    def known(self, scope: str) -> set[str]:
        if scope not in self.keys:
            if not self._exists():
                self.keys[scope] = set()
            else:
                with self._open() as be:
                    self.keys[scope] = set(be.managed_keys(self.environment, scope))
        return self.keys[scope]

    def cursor(self, name: str) -> str | None:
        if name not in self.cursors:
            if not self._exists():
                self.cursors[name] = None
            else:
                with self._open() as be:
                    self.cursors[name] = be.get_cursor(self.environment, name)
        return self.cursors[name]

    def save(self, scopes: dict[str, set[str]] | None = None, cursors: dict[str, str] | None = None) -> None:
        with self._open() as be:
            for scope, keys in (scopes or {}).items():
                if keys:
                    be.remember_keys(self.environment, scope, sorted(keys))
                    self.keys.setdefault(scope, set()).update(keys)
            for name, value in (cursors or {}).items():
                be.set_cursor(self.environment, name, value)
                self.cursors[name] = value

    def forget(self, scope: str, keys: Iterable[str]) -> None:
        """No longer tempoctl's to manage (it removed them): later reads do not look for them."""
        gone = set(keys)
        if not gone or not self._exists():
            return
        with self._open() as be:
            be.forget_keys(self.environment, scope, sorted(gone))
        if scope in self.keys:
            self.keys[scope] -= gone


def record_for(env: Any, out: Any) -> ManagedRecord:
    """The observation's record of `env` (one per observation, shared by every source and by apply)."""
    record = out.extra.get("managed_record")
    if record is None:
        reach = getattr(env, "reach", None)
        refused = reach.backend() if reach is not None else None
        record = ManagedRecord(env.name, env.state.backend, cwd=out.cwd, opened=refused is None)
        out.extra["managed_record"] = record
    assert isinstance(record, ManagedRecord)
    return record
