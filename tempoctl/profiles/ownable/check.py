"""`tempoctl validate` checks of an `ownable` block beyond its schema."""

from __future__ import annotations

from typing import Any

from tempoctl.profiles.folder import Validator
from tempoctl.profiles.ownable.model import ZERO_ADDRESS, OwnableContract


def check(v: Validator, path: tuple[Any, ...], contract: Any) -> None:
    """Renouncing is irreversible (no owner can ever call an onlyOwner function again): the YAML must say
    `allow_renounce: true` next to the zero owner, so a blanked variable cannot renounce by accident."""
    if isinstance(contract, OwnableContract) and contract.owner == ZERO_ADDRESS and not contract.allow_renounce:
        v.err((*path, "owner"), "owner 0x000…000 renounces ownership for good; set `allow_renounce: true` to "
                                "mean it")
