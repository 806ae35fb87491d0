"""`tempoctl import` for `teye/vision-records`: whitelist members and admin tiers that are live but not declared."""

from __future__ import annotations

from tempoctl.profiles.base import ImportContext
from tempoctl.profiles.vision_records.model import VisionRecordsContract


def undeclared(ictx: ImportContext, name: str, contract: VisionRecordsContract) -> None:
    values = ictx.observed.values if ictx.observed is not None else {}
    wl = contract.whitelist
    declared = set(wl.members or []) if wl is not None else set()
    whitelist_prefix, tier_prefix = f"{name}.whitelist[", f"{name}.admin_tier["
    for address in sorted(values):
        live = values[address]
        if address.startswith(whitelist_prefix) and live is True:
            key = address[len(whitelist_prefix):-1]
            if key not in declared:
                ictx.found(address, ("contracts", name, "whitelist", "members"), [key])
        elif address.startswith(tier_prefix) and isinstance(live, str):
            key = address[len(tier_prefix):-1]
            if key not in contract.admin_tiers:
                ictx.found(address, ("contracts", name, "admin_tiers", key), live)
