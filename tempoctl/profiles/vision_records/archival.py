"""State archival of a vision_records deployment: which entries the plan depends on are archived, and the
network's TTL limits.

Facts this follows:
* Stellar RPC ≥ v23 returns archived entries from `getLedgerEntries` with `liveUntilLedgerSeq` 0
  (stellar/stellar-rpc `cmd/stellar-rpc/internal/ledgerentries/main.go`, `coreLedgerEntryGetter.GetLedgerEntries`:
  "We use TTL placeholder of 0 for archived entries"); an older RPC hides them, so a missing instance may
  also be archived. An entry whose `liveUntilLedgerSeq` is below the current ledger is archived too.
* An archived instance, wasm code or data entry makes every invocation touching it fail
  (`INVOKE_HOST_FUNCTION_ENTRY_ARCHIVED`) and `ExtendFootprintTTL` skips it (stellar-core
  `ExtendFootprintTTLOpFrame`: only live entries are extended): it must be brought back with a
  `RestoreFootprint` operation (read-write footprint of the keys; stellar-core `RestoreFootprintOpFrame`),
  which gives it the network's minimum persistent TTL. Only then does extending it mean anything.
* `env.storage().instance().extend_ttl` extends the instance *and* the code entry, but `ExtendFootprintTTL`
  extends exactly the keys of its footprint, so tempoctl lists both.
* The maximum TTL is the network setting `StateArchivalSettings.maxEntryTTL`, a `ConfigSetting` ledger entry
  (`CONFIG_SETTING_STATE_ARCHIVAL`; stellar-core `SorobanNetworkConfig::loadStateArchivalSettings`), readable
  through `getLedgerEntries`. `FALLBACK_MAX_ENTRY_TTL` (testnet and mainnet, 3,110,400) is used only when the
  RPC does not answer for it.
"""

from __future__ import annotations

from typing import Any

FALLBACK_MAX_ENTRY_TTL = 3_110_400


def state_archival_key() -> Any:
    from stellar_sdk import xdr

    return xdr.LedgerKey(xdr.LedgerEntryType.CONFIG_SETTING, config_setting=xdr.LedgerKeyConfigSetting(
        xdr.ConfigSettingID.CONFIG_SETTING_STATE_ARCHIVAL))


def state_archival(entry: Any) -> dict[str, int] | None:
    """{max_entry_ttl, min_persistent_ttl, min_temporary_ttl} of a STATE_ARCHIVAL ConfigSetting entry."""
    if entry is None:
        return None
    try:
        sa = entry.data.config_setting.state_archival_settings
        return {"max_entry_ttl": int(sa.max_entry_ttl.uint32),
                "min_persistent_ttl": int(sa.min_persistent_ttl.uint32),
                "min_temporary_ttl": int(sa.min_temporary_ttl.uint32)}
    except AttributeError:
        return None


def is_archived(live_until: int | None, ledger: int) -> bool:
    """`liveUntilLedgerSeq` 0 (RPC ≥ v23's placeholder) or below the current ledger."""
    return live_until is not None and live_until < ledger


def ttl_value(entry: Any, ledger: int) -> dict[str, Any]:
    lu = entry.live_until if entry is not None else None
    return {"live_until": lu, "archived": is_archived(lu, ledger)}
