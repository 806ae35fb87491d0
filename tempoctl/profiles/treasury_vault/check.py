"""`tempoctl validate` checks of a `tempovault/treasury-vault` block beyond its schema."""

from __future__ import annotations

from typing import Any

from tempoctl.profiles.folder import Validator
from tempoctl.profiles.treasury_vault.model import TreasuryVaultContract


def check(v: Validator, path: tuple[Any, ...], c: Any) -> None:
    """A zero fee treasury would revert FeeTreasuryNotSet() at apply: refuse it here."""
    if not isinstance(c, TreasuryVaultContract):
        return
    if c.fee_config is not None and int(c.fee_config.treasury, 16) == 0:
        v.err((*path, "fee_config", "treasury"),
                 "the fee treasury must not be the zero address: setFeeConfig reverts FeeTreasuryNotSet()")
