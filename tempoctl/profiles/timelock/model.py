"""The `timelock` contract block."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tempoctl.desired.base import EvmContract
from tempoctl.desired.types import EvmAddress


class TimelockContract(EvmContract):
    """OpenZeppelin TimelockController. It administers itself, so every change is one operation scheduled by a
    proposer and executed, after the delay, by an executor (a later apply)."""

    profile: Literal["timelock"]
    min_delay: int | None = Field(default=None, ge=0, lt=2**256, description="getMinDelay(), in seconds.")
    proposers: list[EvmAddress] | None = Field(default=None, description="Exact PROPOSER_ROLE members.")
    executors: list[EvmAddress] | None = Field(
        default=None, description="Exact EXECUTOR_ROLE members (0x000…000: anyone may execute).")
    cancellers: list[EvmAddress] | None = Field(default=None, description="Exact CANCELLER_ROLE members.")
    from_block: int = Field(ge=0, description="The deployment block: members are rebuilt from RoleGranted/"
                                              "RoleRevoked logs from here (TimelockController is not enumerable).")
