"""The profile registry: one small plug-in per kind of contract (`access-control`, `tempovault/risk-controller`, …).

`EVM_PROFILES` and `STELLAR_PROFILES` map the YAML `profile:` value to the plug-in, one dict per source that
reads it (the EVM engine, the Stellar source); `REGISTRY` is both, for what only plans. `ENV_PLANNERS` plan what
is not one contract (the oracle, hosts, backups). Adding a contract profile is adding its folder and its line
in `tempoctl.profiles.catalog`; the engine in `tempoctl.diff` and `tempoctl.observed` does not change.
"""

from __future__ import annotations

from tempoctl.profiles.backups import BackupsPlanner
from tempoctl.profiles.base import EnvPlanner, EvmProfile, Profile, StellarProfile
from tempoctl.profiles.catalog import folder_profiles, stellar_folder_profiles
from tempoctl.profiles.checks import ChecksPlanner
from tempoctl.profiles.descriptor import DescriptorPlanner
from tempoctl.profiles.host_files import HostFilesPlanner
from tempoctl.profiles.hosts import HostsPlanner
from tempoctl.profiles.oracle.profile import OraclePlanner, OracleProfile
from tempoctl.profiles.oracle_relay import OracleRelayPlanner

EVM_PROFILES: dict[str, EvmProfile] = {p.name: p for p in folder_profiles()}
STELLAR_PROFILES: dict[str, StellarProfile] = {p.name: p for p in stellar_folder_profiles()}
REGISTRY: dict[str, Profile] = {**EVM_PROFILES, **STELLAR_PROFILES}
ORACLE = OracleProfile()
ENV_PLANNERS: list[EnvPlanner] = [OraclePlanner(ORACLE)]
ENV_PLANNERS.append(BackupsPlanner())
ENV_PLANNERS.append(ChecksPlanner())
ENV_PLANNERS += [DescriptorPlanner(), HostsPlanner(), OracleRelayPlanner(), HostFilesPlanner()]

__all__ = ["ENV_PLANNERS", "EVM_PROFILES", "ORACLE", "REGISTRY", "STELLAR_PROFILES", "EnvPlanner", "EvmProfile",
           "Profile", "StellarProfile"]
