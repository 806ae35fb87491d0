"""The base classes every state model derives from, profile folders' contract models included.

Kept apart from `desired/models.py` (which assembles the whole document, contracts union included) so a
profile folder's model can derive from them without importing the module that imports it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from tempoctl.desired.types import EvmAddress

NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
"""A name that can be part of a resource address (contracts, hosts, backups, breakers)."""


class Model(BaseModel):
    # Field descriptions (for editors, in schemas/) are given as Field(description=...), not as attribute
    # docstrings: pydantic's use_attribute_docstrings re-reads and parses this file's source for every
    # class, which cost `tempoctl validate` ~40 ms per run (tests/test_cli_fast_paths.py keeps it out).
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContractModel(Model):
    """What the engine may rely on for any contract, whatever its profile: its network, its `profile:`
    discriminator and its default signer. Declared for the type checker only: each subclass declares them as
    fields where it always did, so the generated schema and error messages keep their order."""

    if TYPE_CHECKING:
        network: str
        profile: str
        signer: str | None


class EvmContract(ContractModel):
    network: str
    address: EvmAddress
    signer: str | None = Field(
        default=None,
        description="Default signer; where absent, each step is sent by a declared signer holding the required "
        "role.",
    )


# --- networks (here so a profile folder can tell them apart without importing the state models) --------


class EvmNetwork(Model):
    """An EVM JSON-RPC endpoint. Apply refuses when the node reports another `chain_id`."""

    type: Literal["evm"]
    chain_id: int = Field(gt=0)
    rpc_url: str
    fee_token: EvmAddress | None = Field(
        default=None, description="TIP-20 token paying fees on chains with no native gas token (Tempo: pathUSD)."
    )
    multicall: EvmAddress | Literal[False] | None = Field(
        default=None,
        description="Multicall3 address to batch reads through (used only when its code hash matches); "
        "False disables.",
    )
    gas_margin_percent: int = Field(default=25, ge=0, le=500)
    fork: bool = Field(
        default=False,
        description="`tempoctl plan` runs every step on a local anvil fork of this network at the pinned block "
        "(as `plan --fork`; `--no-fork` overrides) and shows what would remain after apply.",
    )


class StellarNetwork(Model):
    """A Stellar RPC endpoint. Apply refuses when `getNetwork` reports another passphrase."""

    type: Literal["stellar"]
    passphrase: str
    rpc_url: str
