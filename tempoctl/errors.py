"""The one error root. Every expected failure is a `TempoctlError`; the CLI turns it into a message and an
exit code in exactly one place (`tempoctl.cli.errors`). Anything else is a bug and gets a crash log."""

from __future__ import annotations

from dataclasses import dataclass


class ExitCode:
    """Exit codes of DESIGN §6."""

    OK = 0
    ERROR = 1
    CHANGES = 2  # plan --detailed-exitcode with changes, or drift found
    PARTIAL = 3  # apply stopped part way; the journal holds what was done


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in an input, pointing at file:line:col like a compiler.

    `where` is ``"path:line:col"`` (or just a path when no position is known); `path` is the dotted key path
    inside the merged document (``contracts.governance.roles.ORACLE[0]``).
    """

    where: str
    path: str
    message: str

    def render(self) -> str:
        loc = f"{self.path}: " if self.path else ""
        return f"{self.where}: {loc}{self.message}"


class TempoctlError(Exception):
    """Root of every expected error: a summary, optional detail and a next step.

    Attributes:
        summary: one sentence saying what went wrong.
        detail: further lines (what was seen, what was expected).
        hint: what the operator can do next.
        exit_code: the process exit code the CLI uses.
    """

    exit_code: int = ExitCode.ERROR

    def __init__(self, summary: str, *, detail: str = "", hint: str = "") -> None:
        super().__init__(summary)
        self.summary = summary
        self.detail = detail
        self.hint = hint

    def render(self) -> str:
        parts = [f"Error: {self.summary}"]
        if self.detail:
            parts.append(self.detail)
        if self.hint:
            parts.append(self.hint)
        return "\n\n".join(parts)


class ValidationError(TempoctlError):
    """The desired state is malformed: one or more diagnostics, all reported at once."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        n = len(diagnostics)
        summary = f"{n} problem{'s' if n != 1 else ''} in the desired state"
        super().__init__(summary, detail="\n".join(d.render() for d in diagnostics))

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics) + f"\n\nError: {self.summary}."


class ConfigError(TempoctlError):
    """Something outside the YAML is wrong: a missing environment variable, an unknown environment name."""


class RpcError(TempoctlError):
    """A node or RPC endpoint could not be reached or answered garbage (after retries)."""


class ChainMismatchError(TempoctlError):
    """The RPC reports another chain ID / network passphrase than the one declared."""


class SafetyError(TempoctlError):
    """A plan would break a safety rule of DESIGN §8 (lockout, own admin revoked early, ...)."""


class StalePlanError(TempoctlError):
    """A saved plan no longer matches live state."""


class PlanMismatchError(StalePlanError):
    """The plan apply rebuilt is not identical to the approved (saved) one, though live state did not change:
    the file was edited, or the plan is not reproducible. Nothing is sent."""


class ApplyError(TempoctlError):
    """A step failed during apply (revert, failed receipt); what was done before it is reported."""


class PartialApplyError(ApplyError):
    """Apply stopped part way on purpose or by failure after some steps were sent (exit 3)."""

    exit_code = ExitCode.PARTIAL


class LockError(TempoctlError):
    """The environment is locked by another apply."""
