"""What a profile folder (`tempoctl/profiles/<name>/`) gives the rest of tempoctl, in two weights.

`ProfileFolder` is the light part, exported by the folder's `__init__` as `FOLDER` and listed in
`tempoctl.profiles.catalog`: the schema model (joined into the `contracts:` union by its `profile:` literal)
and the semantic check `tempoctl validate` runs after the schema. Both import only pydantic and
`tempoctl.desired.base`/`types`, because `validate` must not load the engine (tests/test_cli_fast_paths.py).
`plugin()` loads the heavy part on first use: the `EvmFolderProfile` that reads, plans, imports and may
contribute executors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tempoctl.desired.base import ContractModel
    from tempoctl.profiles.base import EvmFolderProfile


class Validator(Protocol):
    """What a profile's semantic check may use: the validated state, a way to report a problem at a YAML path
    (the CLI shows it as file:line:col), and the shared check that a named signer is on the given network."""

    @property
    def state(self) -> Any:
        ...

    def err(self, path: tuple[Any, ...], message: str, *, at_key: bool = False) -> None:
        ...

    def signer_on(self, path: tuple[Any, ...], name: str, network: str) -> None:
        ...


def no_checks(v: Validator, path: tuple[Any, ...], contract: Any) -> None:
    """The semantic check of a profile whose schema says it all."""
    return


@dataclass(frozen=True)
class ProfileFolder:
    """One profile folder: its `profile:` name, schema model, semantic check and (lazily) its plug-in."""

    name: str
    model: type[ContractModel]
    plugin: Callable[[], EvmFolderProfile]
    validate: Callable[[Validator, tuple[Any, ...], Any], None] = no_checks
    _loaded: list[EvmFolderProfile] = field(default_factory=list, compare=False, repr=False)

    def profile(self) -> EvmFolderProfile:
        """The plug-in, loaded once."""
        if not self._loaded:
            self._loaded.append(self.plugin())
        return self._loaded[0]
