"""Profile `tempovault/risk-controller`: TempoVault's pause flag, circuit breakers and risk parameters.

This package is the light half (schema model and semantic check, loaded by `tempoctl validate`); the plug-in
that reads and plans is `profile.py`, loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tempoctl.profiles.folder import ProfileFolder
from tempoctl.profiles.risk_controller.check import check
from tempoctl.profiles.risk_controller.model import RiskControllerContract, pair_id

if TYPE_CHECKING:
    from tempoctl.profiles.base import EvmFolderProfile


def _plugin() -> EvmFolderProfile:
    from tempoctl.profiles.risk_controller.profile import RiskControllerProfile

    return RiskControllerProfile()


FOLDER = ProfileFolder(name="tempovault/risk-controller", model=RiskControllerContract, plugin=_plugin, validate=check)

__all__ = ["FOLDER", "pair_id"]
