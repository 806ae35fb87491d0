"""``ConfigSetting`` ledger entries of the emulated network: what ``getLedgerEntries`` answers for a
``LedgerKey::ConfigSetting`` (stellar-core keeps the Soroban network configuration in these entries,
``src/ledger/NetworkConfig.cpp``, ``SorobanNetworkConfig::loadStateArchivalSettings``; upgrades replace them).

Values follow the testnet upgrade set the Stellar RPC integration tests apply,
stellar/stellar-rpc ``cmd/stellar-rpc/internal/integrationtest/infrastructure/docker/upgrades/testnet.p28.json``
(``state_archival``: ``max_entry_ttl`` 3,110,400, ``min_temporary_ttl`` 720, ``persistent_rent_rate_denominator``
1215, ``temp_rent_rate_denominator`` 2430, ``max_entries_to_archive`` 1000, eviction scan size 500,000 at level
7; ``contract_execution_lanes.ledger_max_tx_count`` 100). That file sets ``min_persistent_ttl`` to 10 to make
its tests fast; the emulator keeps the configured ``NetworkConfig.min_persistent_ttl`` (120,960 ledgers, the
public network value) so restored entries live a realistic time.
"""

from __future__ import annotations

from typing import Any

from stellar_sdk import xdr as x

MIN_TEMPORARY_TTL = 720
LEDGER_MAX_TX_COUNT = 100


def state_archival(config: Any) -> x.StateArchivalSettings:
    return x.StateArchivalSettings(
        max_entry_ttl=x.Uint32(int(config.max_entry_ttl)),
        min_temporary_ttl=x.Uint32(int(getattr(config, "min_temporary_ttl", MIN_TEMPORARY_TTL))),
        min_persistent_ttl=x.Uint32(int(config.min_persistent_ttl)),
        persistent_rent_rate_denominator=x.Int64(1215),
        temp_rent_rate_denominator=x.Int64(2430),
        max_entries_to_archive=x.Uint32(1000),
        live_soroban_state_size_window_sample_size=x.Uint32(30),
        live_soroban_state_size_window_sample_period=x.Uint32(64),
        eviction_scan_size=x.Uint32(500_000),
        starting_eviction_scan_level=x.Uint32(7),
    )


def config_setting_entry(config: Any, setting: x.ConfigSettingID) -> x.LedgerEntryData | None:
    """The ``LedgerEntryData`` of one setting, or None for settings the emulator does not model."""
    C = x.ConfigSettingID
    if setting == C.CONFIG_SETTING_STATE_ARCHIVAL:
        cse = x.ConfigSettingEntry(setting, state_archival_settings=state_archival(config))
    elif setting == C.CONFIG_SETTING_CONTRACT_EXECUTION_LANES:
        lanes = x.ConfigSettingContractExecutionLanesV0(
            ledger_max_tx_count=x.Uint32(int(getattr(config, "ledger_max_tx_count", LEDGER_MAX_TX_COUNT))))
        cse = x.ConfigSettingEntry(setting, contract_execution_lanes=lanes)
    else:
        return None
    return x.LedgerEntryData(x.LedgerEntryType.CONFIG_SETTING, config_setting=cse)
