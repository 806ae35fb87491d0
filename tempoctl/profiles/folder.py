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
    from tempoctl.profiles.base import EvmFolderProfile, StellarFolderProfile


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

    def ref(self, path: tuple[Any, ...], name: str, section: str, what: str) -> bool:
        """True when `name` is an item of `section` (`hosts`, `signers`, …); reports it when unknown."""
        ...

    def host_path(self, path: tuple[Any, ...], host_name: str, value: str, *, at_key: bool = False) -> None:
        """Reports a path on `host_name` that leaves that host's roots."""
        ...

    def env_key(self, path: tuple[Any, ...], key: str, *, at_key: bool = False) -> None:
        """Reports an env-file key that is not a valid variable name."""
        ...

    def unit(self, path: tuple[Any, ...], name: str, *, at_key: bool = False) -> None:
        """Reports a systemd unit name that is not one unit."""
        ...


def no_checks(v: Validator, path: tuple[Any, ...], contract: Any) -> None:
    """The semantic check of a profile whose schema says it all."""
    return


@dataclass(frozen=True)
class ProfileFolder:
    """One profile folder: its `profile:` name, schema model, semantic check and (lazily) its plug-in — an EVM
    one (`plugin`, read through the EVM engine's call batches) or a Stellar one (`stellar_plugin`, read by the
    Stellar source), never both."""

    name: str
    model: type[ContractModel]
    plugin: Callable[[], EvmFolderProfile] | None = None
    validate: Callable[[Validator, tuple[Any, ...], Any], None] = no_checks
    stellar_plugin: Callable[[], StellarFolderProfile] | None = None
    _loaded: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def chain(self) -> str:
        """The kind of network its contracts live on: "evm" or "stellar"."""
        return "stellar" if self.stellar_plugin is not None else "evm"

    def profile(self) -> EvmFolderProfile | None:
        """The EVM plug-in, loaded once (None for a Stellar profile)."""
        if self.plugin is None:
            return None
        if "evm" not in self._loaded:
            self._loaded["evm"] = self.plugin()
        loaded: EvmFolderProfile = self._loaded["evm"]
        return loaded

    def stellar_profile(self) -> StellarFolderProfile | None:
        """The Stellar plug-in, loaded once (None for an EVM profile)."""
        if self.stellar_plugin is None:
            return None
        if "stellar" not in self._loaded:
            self._loaded["stellar"] = self.stellar_plugin()
        loaded: StellarFolderProfile = self._loaded["stellar"]
        return loaded
