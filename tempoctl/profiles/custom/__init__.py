"""Profile `custom`: a contract with no built-in profile, described by getter/setter signature pairs.

This package is the light half (schema model and semantic check, loaded by `tempoctl validate`); the plug-in
that reads and plans is `profile.py`, loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tempoctl.profiles.custom.check import check
from tempoctl.profiles.custom.model import CustomContract
from tempoctl.profiles.folder import ProfileFolder

if TYPE_CHECKING:
    from tempoctl.profiles.base import EvmFolderProfile


def _plugin() -> EvmFolderProfile:
    from tempoctl.profiles.custom.profile import CustomProfile

    return CustomProfile()


FOLDER = ProfileFolder(name="custom", model=CustomContract, plugin=_plugin, validate=check)
