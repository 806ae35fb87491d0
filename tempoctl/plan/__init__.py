"""Plan stage of the data flow (desired → observed → diff → **plan** → apply): the plan model, its saved
file and its renderers. Import-light on purpose: `validate` and `--help` must not pull in web3/stellar-sdk.
"""

from __future__ import annotations

from tempoctl.plan.model import FORMAT_VERSION, Action, Change, DriftItem, Plan, Simulation, Step

__all__ = ["FORMAT_VERSION", "Action", "Change", "DriftItem", "Plan", "Simulation", "Step"]
