"""Profiles: one small plug-in per kind of contract (`access-control`, `tempovault/risk-controller`, …).

`REGISTRY` maps the YAML `profile:` value to the plug-in. Adding a profile is adding a module and a line
here; the engine in `tempoctl.diff` and `tempoctl.observed` does not change.
"""

from __future__ import annotations

from tempoctl.profiles.access_control import AccessControlProfile
from tempoctl.profiles.base import EvmProfile
from tempoctl.profiles.custom import CustomProfile
from tempoctl.profiles.oracle import OracleProfile
from tempoctl.profiles.risk_controller import RiskControllerProfile
from tempoctl.profiles.treasury_vault import TreasuryVaultProfile

REGISTRY: dict[str, EvmProfile] = {
    p.name: p
    for p in (AccessControlProfile(), RiskControllerProfile(), TreasuryVaultProfile(), CustomProfile())
}
ORACLE = OracleProfile()

__all__ = ["ORACLE", "REGISTRY", "EvmProfile"]
