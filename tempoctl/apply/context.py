"""What the apply runner hands an executor, and what an executor hands back: the types both sides share.

They live apart from the registry (`apply/executors.py`) so an executor module imports only this, and the
registry imports the executors without being imported back: no import cycle between the runner's plug-ins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tempoctl.apply.journal import Journal
from tempoctl.core.steps import group_of as core_group_of
from tempoctl.desired import DesiredEnvironment
from tempoctl.observed.observation import Observation
from tempoctl.plan.model import Change, Step


@dataclass
class SentStep:
    """One step that ran. `pending` means it was handed to someone else (a multisig, an offline signer)
    and is not done yet; `failed` that its transaction was included but failed on chain (nothing changed
    but the nonce and the fee); `finished` that its outcome is known: an executor whose `await_wave` still
    has to confirm a step (a receipt, a unit becoming active, a fresh signal) sends it unfinished and
    finishes it there, so a stop report never calls a step done that was only started. `summary` is the
    one line the operator sees."""

    change: Change
    step: Step
    tx_hash: str | None = None
    nonce: int | None = None
    receipt: dict[str, Any] | None = None
    summary: str = ""
    pending: bool = False
    failed: bool = False
    finished: bool = True


@dataclass
class ApplyContext:
    """What executors may use: the environment, the fresh observation (its clients), key material access
    (`environ`, `prompt`), the journal, and where to write files (`cwd`)."""

    env: DesiredEnvironment
    fresh: Observation
    journal: Journal
    environ: Mapping[str, str]
    echo: Callable[[str], None] = print
    prompt: Callable[[str], str] | None = None
    cwd: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Executor(Protocol):
    """Runs one kind of step for one group (a network or a host), made per apply by its factory in `EXECUTORS`."""

    def prepare(self, items: list[tuple[Change, Step]]) -> None:
        """Check, before anything of the apply is sent, that every step of this group can be run."""
        ...

    def send_wave(self, items: list[tuple[Change, Step]]) -> list[SentStep]:
        """Run one wave's steps of this group back to back; return what was sent or done."""
        ...

    def await_wave(self, sent: list[SentStep]) -> None:
        """Wait until the wave's steps are final; raise `ApplyError` for a failure."""
        ...


ExecutorFactory = Callable[[ApplyContext, str], Executor]


def group_of(step: Step) -> str:
    """The network or host a step belongs to: steps of one group share an executor (nonces, a session)."""
    return core_group_of(step)
