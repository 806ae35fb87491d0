"""The `teye/vision-records` contract block (Soroban)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from tempoctl.desired.base import ContractModel, Model
from tempoctl.desired.types import StellarAccount, StellarContract

AdminTier = Literal["OperatorAdmin", "ContractAdmin", "SuperAdmin"]


class Whitelist(Model):
    enabled: bool | None = None
    members: list[StellarAccount] | None = None


class PauseFlags(Model):
    global_: bool | None = Field(default=None, alias="global")
    functions: dict[str, bool] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RateLimit(Model):
    max_requests: int = Field(gt=0, lt=2**32)
    window_seconds: int = Field(gt=0, lt=2**63)


class Consumer(Model):
    host: str
    env_file: str
    variable: str
    restart: list[str] = Field(default_factory=list)


class VisionRecordsContract(ContractModel):
    network: str
    contract_id: StellarContract
    profile: Literal["teye/vision-records"]
    signer: str | None = None
    wasm_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    release: str | None = Field(
        default=None, description="Path of a `SHA256SUMS.txt` release file to take the wasm pin from."
    )
    admin: StellarAccount | None = None
    admin_tiers: dict[StellarAccount, AdminTier] = Field(default_factory=dict)
    whitelist: Whitelist | None = None
    paused: PauseFlags | None = None
    rate_limit: RateLimit | None = None
    min_instance_ttl_ledgers: int | None = Field(default=None, gt=0)
    consumers: list[Consumer] = Field(default_factory=list)
    descriptor: str | None = None
