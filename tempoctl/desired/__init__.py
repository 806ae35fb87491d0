"""Desired state: `state/<env>/*.yaml` → validated, normalised models, with compiler-like diagnostics
(file:line:col) for every problem. The first stage of the data flow; imports nothing from web3 or stellar-sdk.

The names below are loaded on first use (PEP 562), not when the package is imported: a profile folder's model
imports `tempoctl.desired.base`, and the state models import the profile folders' models, so importing the
package must not run the loader (and through it the models) before that profile model is defined.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tempoctl.desired.loader import DesiredEnvironment, load_environment, resolve_environment
    from tempoctl.desired.models import DesiredState

__all__ = ["DesiredEnvironment", "DesiredState", "load_environment", "resolve_environment"]


def __getattr__(name: str) -> Any:
    if name == "DesiredState":
        from tempoctl.desired import models

        return models.DesiredState
    if name in ("DesiredEnvironment", "load_environment", "resolve_environment"):
        from tempoctl.desired import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
