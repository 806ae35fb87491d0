"""`tempoctl import`: find live state that the YAML does not declare yet, as additions to the state files.

Sits beside the plan: it observes like a plan does (same engine, same pinned block), but instead of
computing changes towards the YAML it computes the YAML that would make the plan empty for those items:

* whatever each EVM profile folder's import hooks find (`import_probe` says how to read, e.g. with undeclared
  roles added; `import_undeclared` reports live items the YAML lacks: role holders, tripped breakers);
* the same for Stellar profile folders (`teye/vision-records`: whitelist members and admin tiers live but not
  declared, among the keys the Stellar source reads).

The result is plain data (per file, a nested dict to merge); printing and writing are the CLI's business.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tempoctl.desired import DesiredEnvironment
from tempoctl.observed.engine import connect, read_calls
from tempoctl.observed.sources import observe
from tempoctl.profiles.base import Call, ImportContext, Result
from tempoctl.profiles.catalog import folder_of


@dataclass(frozen=True)
class ImportedItem:
    """One live item that is not declared: its resource address and the state file it goes into."""

    address: str
    file: Path


@dataclass
class ImportResult:
    """What import found. `additions[file]` is a nested plain dict to merge into that file."""

    environment: str
    pins: dict[str, dict[str, Any]]
    items: list[ImportedItem] = field(default_factory=list)
    additions: dict[Path, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, file: Path, address: str, path: tuple[str, ...], value: Any) -> None:
        node = self.additions.setdefault(file, {})
        for key in path[:-1]:
            node = node.setdefault(key, {})
        last = path[-1]
        if isinstance(value, list) and isinstance(node.get(last), list):
            node[last].extend(v for v in value if v not in node[last])
        else:
            node[last] = value
        self.items.append(ImportedItem(address, file))


def find_undeclared(env: DesiredEnvironment, *, from_block: int = 0,
                    clients: dict[str, Any] | None = None) -> ImportResult:
    """Observe `env` as each profile asks (`import_probe`) and return what is live but not declared.

    Args:
        env: the loaded environment.
        from_block: first block to scan event logs from (a contract's deployment block).
        clients: EVM clients by network name (tests pass their own), else connected from the YAML.
    """
    clients = connect(env, clients=clients)
    result = ImportResult(environment=env.name, pins={})

    def read(network: str, calls: list[Call], block: int | str) -> list[Result]:
        return read_calls(clients[network], block, calls) if calls else []

    base = ImportContext(env=env, read=read, client=clients.get, found=_nowhere, note=result.notes.append,
                         from_block=from_block)
    read_as: dict[str, Any] = {}
    for name, contract in env.state.contracts.items():
        folder = folder_of(contract.profile)
        evm = folder.profile() if folder is not None else None
        if evm is not None and contract.network in clients:
            read_as[name] = evm.import_probe(base, name, contract)
    obs = observe(_reading(env, read_as), clients=clients)
    result.pins = obs.pins
    for name, contract in env.state.contracts.items():
        file = env.positions.file_of(("contracts", name))
        if file is None:
            continue
        folder = folder_of(contract.profile)
        if folder is None:
            continue
        ictx = dataclasses.replace(base, found=_adder(result, file), observed=obs.observed, pins=obs.pins)
        plugin = folder.profile() or folder.stellar_profile()
        if plugin is not None:
            plugin.import_undeclared(ictx, name, contract, read_as.get(name, contract))
    return result


def _nowhere(address: str, path: tuple[str, ...], value: Any) -> None:
    """`import_probe` reports nothing: it only says how to read."""
    return


def _adder(result: ImportResult, file: Path) -> Any:
    """A profile's `found(address, path, value)`: adds to `file`'s additions."""

    def found(address: str, path: tuple[str, ...], value: Any) -> None:
        result.add(file, address, path, value)

    return found


def _reading(env: DesiredEnvironment, read_as: dict[str, Any]) -> DesiredEnvironment:
    """`env` with each contract replaced by what its profile's `import_probe` asked to read."""
    changed = {n: c for n, c in read_as.items() if c is not env.state.contracts[n]}
    if not changed:
        return env
    contracts = {**env.state.contracts, **changed}
    return dataclasses.replace(env, state=env.state.model_copy(update={"contracts": contracts}))
