"""`tempoctl import` for `teye/vision-records`: whitelist members and admin tiers that are live but not declared."""

from __future__ import annotations

from tempoctl.core.addrs import Attribute
from tempoctl.profiles.base import ImportContext
from tempoctl.profiles.vision_records.model import VisionRecordsContract


def undeclared(ictx: ImportContext, name: str, contract: VisionRecordsContract) -> None:
    values = ictx.observed.values if ictx.observed is not None else {}
    wl = contract.whitelist
    declared = set(wl.members or []) if wl is not None else set()
    for address in sorted(values):
        live, a = values[address], Attribute.parse(address)
        if a is None or a.name != name or a.key is None:
            continue
        key = a.key
        if a.attribute == "whitelist" and live is True and key not in declared:
            ictx.found(address, ("contracts", name, "whitelist", "members"), [key])
        elif a.attribute == "admin_tier" and isinstance(live, str) and key not in contract.admin_tiers:
            ictx.found(address, ("contracts", name, "admin_tiers", key), live)
