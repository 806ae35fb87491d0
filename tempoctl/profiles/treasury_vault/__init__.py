"""Profile `tempovault/treasury-vault`: TempoVault's token and strategy whitelists and fee configuration.

This package is the light half (schema model and semantic check, loaded by `tempoctl validate`); the plug-in
that reads and plans is `profile.py`, loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tempoctl.profiles.folder import ProfileFolder
from tempoctl.profiles.treasury_vault.check import check
from tempoctl.profiles.treasury_vault.model import TreasuryVaultContract

if TYPE_CHECKING:
    from tempoctl.profiles.base import EvmFolderProfile


def _plugin() -> EvmFolderProfile:
    from tempoctl.profiles.treasury_vault.profile import TreasuryVaultProfile

    return TreasuryVaultProfile()


FOLDER = ProfileFolder(name="tempovault/treasury-vault", model=TreasuryVaultContract, plugin=_plugin, validate=check)
