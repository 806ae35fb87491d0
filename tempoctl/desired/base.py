"""The base classes every state model derives from, profile folders' contract models included.

Kept apart from `desired/models.py` (which assembles the whole document, contracts union included) so a
profile folder's model can derive from them without importing the module that imports it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

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


