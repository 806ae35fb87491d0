"""Profile `timelock`: OpenZeppelin `TimelockController` — its minimum delay and its PROPOSER, EXECUTOR and
CANCELLER members. Light half (schema model) here; the plug-in that reads and plans is `profile.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tempoctl.profiles.folder import ProfileFolder
from tempoctl.profiles.timelock.model import TimelockContract

if TYPE_CHECKING:
    from tempoctl.profiles.base import EvmFolderProfile


def _plugin() -> EvmFolderProfile:
    from tempoctl.profiles.timelock.profile import TimelockProfile

    return TimelockProfile()


FOLDER = ProfileFolder(name="timelock", model=TimelockContract, plugin=_plugin)
