"""The profile folders: one line each. Each `tempoctl/profiles/<name>/` package exports `FOLDER`, a
`ProfileFolder` (tempoctl/profiles/folder.py): its schema model, semantic check, and its plug-in, which reads,
plans, imports and may contribute executors.

The state models (`tempoctl.desired.models`) build the `contracts:` union from `contract_models()`,
`tempoctl validate` calls each folder's check, and the registry (`tempoctl.profiles.registry`) adds the
plug-ins to the profiles it knows; so adding a profile is adding its folder and its line below, and the engine
does not change. A folder's light part must not import the state models or the engine: the state models
import this catalog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tempoctl.profiles import (
    access_control,
    custom,
    ownable,
    risk_controller,
    timelock,
    treasury_vault,
    vision_records,
)
from tempoctl.profiles.folder import ProfileFolder

if TYPE_CHECKING:
    from tempoctl.desired.base import ContractModel
    from tempoctl.profiles.base import EvmFolderProfile, StellarFolderProfile

FOLDERS: tuple[ProfileFolder, ...] = (
    access_control.FOLDER,
    risk_controller.FOLDER,
    treasury_vault.FOLDER,
    custom.FOLDER,
    ownable.FOLDER,
    timelock.FOLDER,
    vision_records.FOLDER,
)


def contract_models() -> tuple[type[ContractModel], ...]:
    """The schema models of the profile folders, in catalog order."""
    return tuple(f.model for f in FOLDERS)


def folder_of(profile: str) -> ProfileFolder | None:
    """The folder of a `profile:` value, or None for a built-in profile."""
    return next((f for f in FOLDERS if f.name == profile), None)


def folder_profiles() -> tuple[EvmFolderProfile, ...]:
    """The EVM folders' plug-ins (loading them: never from `validate`)."""
    return tuple(p for p in (f.profile() for f in FOLDERS) if p is not None)


def stellar_folder_profiles() -> tuple[StellarFolderProfile, ...]:
    """The Stellar folders' plug-ins."""
    return tuple(p for p in (f.stellar_profile() for f in FOLDERS) if p is not None)
