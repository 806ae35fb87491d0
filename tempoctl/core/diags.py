"""Diagnostics found while reading live state (Terraform's `tfdiags`): returned with the observation instead of
being stashed in an untyped dict and raised later by whoever remembers to look.

A reader records `Diagnostic.error` when live state does not match the declared interface (a missing
`<NAME>_ROLE()` getter, a reverted setting getter): the declaration's YAML key path says where to point. The
observation carries them; `tempoctl.observed.sources.observe` turns the errors into one ObservationError
with every `file:line:col`, so a plan is never computed from a half-read contract.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Severity(str, enum.Enum):
    ERROR = "error"
    """Live state cannot be read as declared: no plan is computed."""
    WARNING = "warning"
    """Read, but something the operator should know (shown as a plan note)."""


@dataclass(frozen=True)
class Diagnostic:
    """One problem found while reading: `path` is the YAML key path of the declaration it concerns
    (`("contracts", "governance", "roles", "ORACLE")`), `address` the resource address when there is one."""

    severity: Severity
    message: str
    path: tuple[Any, ...] = ()
    address: str | None = None

    @classmethod
    def error(cls, path: tuple[Any, ...], message: str, address: str | None = None) -> Diagnostic:
        return cls(Severity.ERROR, message, tuple(path), address)

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR
