"""Profile `teye/vision-records`: the Teye core contract on Soroban (reference teye-interface.md).

`read` (the facts) fills observed values from ledger entries; `plan` (the operations) turns them into
Soroban invocations. Both are plain functions; this class only plugs them into the registry."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tempoctl.profiles.base import PlanContext, PlanItem, StellarReadContext


class VisionRecordsProfile:
    name = "teye/vision-records"

    def read(self, ctx: StellarReadContext, name: str, contract: Any) -> None:
        from tempoctl.profiles.vision_records.read import read

        read(ctx, name, contract)

    def plan(self, ctx: PlanContext, name: str, contract: Any) -> Iterable[PlanItem]:
        from tempoctl.profiles.vision_records.plan import plan

        return plan(ctx, name, contract)
