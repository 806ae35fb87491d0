"""Desired state: `state/<env>/*.yaml` → validated, normalised models, with compiler-like diagnostics
(file:line:col) for every problem. The first stage of the data flow; imports nothing from web3 or stellar-sdk.
"""

from tempoctl.desired.loader import DesiredEnvironment, load_environment, resolve_environment
from tempoctl.desired.models import DesiredState

__all__ = ["DesiredEnvironment", "DesiredState", "load_environment", "resolve_environment"]
