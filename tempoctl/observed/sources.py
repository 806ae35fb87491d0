"""Every source of live state, read one after another into one `Observation`.

A source is a small plug-in for one kind of thing tempoctl reads (EVM networks, Stellar networks, hosts):
`wanted(env)` says whether the environment declares anything it reads, `read(env, out, options)` adds its
values, facts, pins and clients to `out`. Adding a source is adding a class and a line in `SOURCES`; the
plan builder does not change.
"""

from __future__ import annotations

from typing import Any, Protocol

from tempoctl.desired import DesiredEnvironment
from tempoctl.observed.backups import BackupsSource
from tempoctl.observed.checks import ChecksSource
from tempoctl.observed.engine import EvmSource
from tempoctl.observed.host.pool import DEFAULT_PARALLELISM
from tempoctl.observed.host.source import HostsSource
from tempoctl.observed.observation import Observation, ObservationError, ReadOptions
from tempoctl.observed.stellar.source import StellarSource
from tempoctl.profiles.base import ObservedValues


class Source(Protocol):
    name: str

    def wanted(self, env: DesiredEnvironment) -> bool:
        """True when `env` declares something this source reads."""
        ...

    def read(self, env: DesiredEnvironment, out: Observation, options: ReadOptions) -> None:
        """Read live state into `out` (values by resource address, facts, pins, clients)."""
        ...


SOURCES: list[Source] = [EvmSource(), StellarSource()]
SOURCES.append(BackupsSource())
SOURCES.append(ChecksSource())
SOURCES.append(HostsSource())


def observe(env: DesiredEnvironment, *, batching: bool = True, clients: dict[str, Any] | None = None,
            create_secret_key: bool = False, parallelism: int = DEFAULT_PARALLELISM) -> Observation:
    """Read everything `env` manages. Interface mismatches found by any source are reported together."""
    out = Observation(observed=ObservedValues(), clients=dict(clients or {}))
    options = ReadOptions(batching=batching, create_secret_key=create_secret_key, parallelism=parallelism)
    from tempoctl.profiles.registry import REGISTRY

    for cname, contract in env.state.contracts.items():
        if contract.profile not in REGISTRY:
            out.skipped.append(f"{cname}: profile {contract.profile} has no provider yet; not planned")
    for source in SOURCES:
        if source.wanted(env):
            source.read(env, out, options)
    errors = out.observed.errors
    if errors:
        lines = [f"{env.where(*d.path)}: {d.message}" for d in errors]
        raise ObservationError("live state does not match the declared contract interfaces", detail="\n".join(lines))
    return out
