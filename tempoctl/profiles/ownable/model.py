"""The `ownable` contract block: the owner the YAML declares, and whether it may be renounced."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tempoctl.desired.base import EvmContract
from tempoctl.desired.types import EvmAddress

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class OwnableContract(EvmContract):
    """OpenZeppelin Ownable / Ownable2Step (told apart on chain by whether `pendingOwner()` answers)."""

    profile: Literal["ownable"]
    owner: EvmAddress = Field(
        description="The owner. On a one-step Ownable it must be a declared signer (or Safe): a typo there "
                    "hands the contract away for good. 0x000…000 renounces ownership (needs allow_renounce).")
    allow_renounce: bool = Field(
        default=False, description="Allow `owner: 0x000…000` to call renounceOwnership(): irreversible.")
