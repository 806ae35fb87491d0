"""What tempoctl manages on each host, gathered from every block of the YAML that reaches a host.

An env file can be named by `hosts.<h>.env_files`, by a Soroban contract's `consumers` (its contract-ID
variable) and by `oracle.relay` (the relay's key), and the same file often by several (the example's relay
reads the service's main `.env`). The source reads each file once and the planner writes it once, so both
work from this one merged view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tempoctl.core.addrs import RoleMember, attribute
from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.models import SecretValue
from tempoctl.observed.host.plainfiles import PlainFile, declared_content
from tempoctl.profiles.vision_records.model import VisionRecordsContract


@dataclass
class Entry:
    """One managed key of an env file.

    `value` is a plain desired value; `secret` an `env:VAR` reference read only at plan (digest) and apply
    (write) time; `expect_address` marks the relay key: the key must belong to that EVM address.
    """

    value: str | None = None
    secret: str | None = None
    expect_address: str | None = None
    where: tuple[str | int, ...] = ()
    depends_on: list[str] = field(default_factory=list)
    public: bool = False
    public_shape: str | None = None
    """`contract`: public only while the live value is a contract ID (a consumer's `variable:` comes from a
    PR too, and could name DATABASE_URL)."""

    @property
    def sensitive(self) -> bool:
        """Live values are sensitive unless declared public (a plain key can hold a password)."""
        return not self.public


@dataclass
class ManagedFile:
    host: str
    path: str
    entries: dict[str, Entry] = field(default_factory=dict)
    restart: list[str] = field(default_factory=list)
    owner: str | None = None
    mode: str | None = None
    where: tuple[str | int, ...] = ()

    @property
    def address(self) -> str:
        return attribute(self.host, "env_file", self.path)


@dataclass
class ManagedHost:
    name: str
    connection: str
    units: list[str] = field(default_factory=list)
    files: dict[str, ManagedFile] = field(default_factory=dict)
    plain: dict[str, PlainFile] = field(default_factory=dict)
    """Whole files (`hosts.<h>.files`), by path."""

    def file(self, path: str, where: tuple[str | int, ...]) -> ManagedFile:
        if path not in self.files:
            self.files[path] = ManagedFile(self.name, path, where=where)
        return self.files[path]

    def unit(self, name: str) -> None:
        if name not in self.units:
            self.units.append(name)


def managed_hosts(env: DesiredEnvironment) -> dict[str, ManagedHost]:
    """Every host with the units and env-file keys the YAML manages on it."""
    state = env.state
    hosts = {name: ManagedHost(name, h.connection) for name, h in state.hosts.items()}
    for hname, h in state.hosts.items():
        mh = hosts[hname]
        for unit in h.services:
            mh.unit(unit)
        for i, hf in enumerate(h.files):
            mh.plain[hf.path] = PlainFile(hname, hf.path, i, declared_content(env, hf), hf.mode, hf.owner)
        for path, ef in h.env_files.items():
            where: tuple[str | int, ...] = ("hosts", hname, "env_files", path)
            mf = mh.file(path, where)
            mf.owner, mf.mode = ef.owner, ef.mode
            for key, v in ef.values.items():
                if isinstance(v, SecretValue):
                    mf.entries[key] = Entry(secret=v.secret, where=(*where, "values", key))
                else:
                    mf.entries[key] = Entry(value=v, where=(*where, "values", key), public=key in ef.public)
            for unit in ef.restart:
                _add_restart(mh, mf, unit)
    for cname, c in state.contracts.items():
        if not isinstance(c, VisionRecordsContract):
            continue
        for i, consumer in enumerate(c.consumers):
            consumer_host = hosts.get(consumer.host)
            if consumer_host is None:
                continue
            where = ("contracts", cname, "consumers", i)
            mf = consumer_host.file(consumer.env_file, where)
            deps = [attribute(cname, "descriptor")] if c.descriptor else [attribute(cname, "contract_id")]
            # A contract ID is public (it is on chain and in the YAML): shown as it is.
            mf.entries[consumer.variable] = Entry(value=c.contract_id, where=(*where, "variable"), depends_on=deps,
                                                  public=True, public_shape="contract")
            for unit in consumer.restart:
                _add_restart(consumer_host, mf, unit)
    relay = state.oracle.relay if state.oracle is not None else None
    if relay is not None and relay.host in hosts and state.oracle is not None:
        mh = hosts[relay.host]
        where = ("oracle", "relay")
        mf = mh.file(relay.env_file, where)
        grant = str(RoleMember(state.oracle.contract, state.oracle.role, state.oracle.address))
        mf.entries[relay.key_variable] = Entry(secret=relay.new_key, expect_address=state.oracle.address,
                                               where=(*where, "new_key") if relay.new_key else where,
                                               depends_on=[grant])
        _add_restart(mh, mf, relay.service)
    return hosts


def _add_restart(mh: ManagedHost, mf: ManagedFile, unit: str) -> None:
    mh.unit(unit)
    if unit not in mf.restart:
        mf.restart.append(unit)


def descriptor_contracts(env: DesiredEnvironment) -> dict[str, VisionRecordsContract]:
    """Soroban contracts whose deployment descriptor tempoctl writes when their contract ID changes."""
    return {n: c for n, c in env.state.contracts.items() if isinstance(c, VisionRecordsContract) and c.descriptor}

