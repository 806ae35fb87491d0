"""Profile `access-control`: exact member sets of OpenZeppelin AccessControl(Enumerable) roles and their admin roles.

This package is the light half (schema model and semantic check, loaded by `tempoctl validate`); the plug-in
that reads and plans is `profile.py`, loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tempoctl.profiles.access_control.check import check
from tempoctl.profiles.access_control.model import AccessControlContract
from tempoctl.profiles.folder import ProfileFolder

if TYPE_CHECKING:
    from tempoctl.profiles.base import EvmFolderProfile


def _plugin() -> EvmFolderProfile:
    from tempoctl.profiles.access_control.profile import AccessControlProfile

    return AccessControlProfile()


FOLDER = ProfileFolder(name="access-control", model=AccessControlContract, plugin=_plugin, validate=check)
