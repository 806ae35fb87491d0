"""Soroban RPC emulator for tests: real JSON-RPC over HTTP, real XDR, a Python model of vision_records.

Driven by the unmodified ``stellar_sdk.SorobanServer``. Independent of tempoctl.
"""

from .contract_handle import ContractHandle
from .emulator import Emulator, Faults, start_emulator
from .host import ContractError, HostError
from .ledger import NetworkConfig

__all__ = ["ContractError", "ContractHandle", "Emulator", "Faults", "HostError", "NetworkConfig", "start_emulator"]
