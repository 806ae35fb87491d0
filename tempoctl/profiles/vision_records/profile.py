"""Profile `teye/vision-records`: the Teye core contract on Soroban (reference teye-interface.md).

`read` (the facts) fills observed values from ledger entries; `plan` (the operations) turns them into
Soroban invocations. Both are plain functions; this class only plugs them into the registry (through the
folder's `FOLDER`, tempoctl/profiles/vision_records/__init__.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tempoctl.profiles.base import (
    ImportContext,
    PlanContext,
    PlanItem,
    StellarFolderProfile,
    StellarReadContext,
)


class VisionRecordsProfile(StellarFolderProfile):
    name = "teye/vision-records"

    def import_undeclared(self, ictx: ImportContext, name: str, declared: Any, read_as: Any) -> None:
        """Whitelist members and admin tiers live but not declared, among the keys the Stellar source read
        (declared, recorded as managed before, and found in recent invocations: a Soroban map cannot be
        enumerated)."""
        from tempoctl.profiles.vision_records.importing import undeclared

        undeclared(ictx, name, declared)

    def read(self, ctx: StellarReadContext, name: str, contract: Any) -> None:
        from tempoctl.profiles.vision_records.read import read

        read(ctx, name, contract)

    def plan(self, ctx: PlanContext, name: str, contract: Any) -> Iterable[PlanItem]:
        from tempoctl.profiles.vision_records.plan import plan

        return plan(ctx, name, contract)
