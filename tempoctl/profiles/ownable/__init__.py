"""Profile `ownable`: OpenZeppelin `Ownable` and `Ownable2Step` — who owns the contract.

This package is the light half (schema model and semantic check, loaded by `tempoctl validate`); the plug-in
that reads and plans is `profile.py`, loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tempoctl.profiles.folder import ProfileFolder
from tempoctl.profiles.ownable.check import check
from tempoctl.profiles.ownable.model import OwnableContract

if TYPE_CHECKING:
    from tempoctl.profiles.base import EvmFolderProfile


def _plugin() -> EvmFolderProfile:
    from tempoctl.profiles.ownable.profile import OwnableProfile

    return OwnableProfile()


FOLDER = ProfileFolder(name="ownable", model=OwnableContract, plugin=_plugin, validate=check)
