"""The `tempovault/treasury-vault` contract block."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tempoctl.desired.base import EvmContract, Model
from tempoctl.desired.types import EvmAddress


class FeeConfig(Model):
    treasury: EvmAddress
    performance_bps: int = Field(ge=0, le=5000)
    management_bps: int = Field(ge=0, le=500)


class TreasuryVaultContract(EvmContract):
    profile: Literal["tempovault/treasury-vault"]
    approved_tokens: list[EvmAddress] | None = None
    approved_strategies: list[EvmAddress] | None = None
    fee_config: FeeConfig | None = None
    unlisted_approvals: Literal["revoke", "warn", "ignore"] = Field(
        default="revoke",
        description="A live approval the declared lists do not name: revoke it (setApproved*(x, false)), report "
        "it as drift, or ignore it.",
    )
    from_block: int | None = Field(
        default=None,
        ge=0,
        description="The vault's deployment block: approvals made outside tempoctl are found from "
        "TokenApproved/StrategyApproved logs from here (the whitelists are not enumerable). Without it, only "
        "approvals tempoctl made are revoked when the lists drop them.",
    )
