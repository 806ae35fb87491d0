"""`tempoctl validate` checks of a `tempovault/risk-controller` block beyond its schema."""

from __future__ import annotations

from typing import Any

from tempoctl.desired.base import NAME
from tempoctl.profiles.folder import Validator
from tempoctl.profiles.risk_controller.model import RiskControllerContract


def check(v: Validator, path: tuple[Any, ...], c: Any) -> None:
    """Breaker names can be part of resource addresses; each breaker gives its pair one way."""
    if not isinstance(c, RiskControllerContract):
        return
    for name, b in c.circuit_breakers.items():
        bpath = (*path, "circuit_breakers", name)
        if not NAME.match(name):
            v.err(
                bpath,
                f'breaker name "{name}" can only use letters, digits, "_", "." and "-"',
                at_key=True,
            )
        if (b.id is None) == (b.tokens is None):
            v.err(
                bpath,
                "give exactly one of `id` (the raw pair id) or `tokens` (the two tokens)",
                at_key=True,
            )
        if b.tokens is not None and b.tokens[0] == b.tokens[1]:
            v.err((*bpath, "tokens"), "the two tokens of a pair must differ")
