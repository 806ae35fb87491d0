"""Offline semantic checks on a validated `DesiredState` (DESIGN §3): every referenced name exists and is of
the right kind, signers sit on their contract's network, ADMIN is never emptied, cron schedules parse, names
can be resource addresses (§4). Runs after pydantic; also normalises signer addresses per network type.

Decisions: `oracle.relay.env_file` must be declared under its host's `env_files` (tempoctl rewrites the key
variable in that file, so the file is managed state); a consumer's `env_file` and `restart` need not be, since
repointing one variable does not make tempoctl own the file. "oracle" is reserved as a name (§4 `oracle.*`).
"""

from __future__ import annotations

import os
import posixpath
from datetime import datetime
from string import Formatter
from typing import Any
from urllib.parse import urlsplit

from tempoctl.desired.base import NAME
from tempoctl.desired.cron import cron_error, to_on_calendar
from tempoctl.desired.envgrammar import key_error, value_error
from tempoctl.desired.hostpaths import (
    USER_NAME,
    dsn_error,
    has_control,
    path_error,
    prefix,
    root_error,
    static_path_error,
    template_error,
)
from tempoctl.desired.models import (
    Backup,
    DesiredState,
    EvmNetwork,
    Oracle,
    StellarNetwork,
)
from tempoctl.desired.source import KeyPath, Positions, render_path
from tempoctl.desired.translate import did_you_mean
from tempoctl.desired.types import normalise_evm_address, strkey_valid
from tempoctl.desired.unitnames import unit_name_error
from tempoctl.errors import Diagnostic
from tempoctl.profiles.access_control.model import (  # the oracle block's target
    AccessControlContract,
    RoleSpec,
)
from tempoctl.profiles.catalog import folder_of

_A = {"evm": "an EVM", "stellar": "a Stellar"}
RESERVED = {"oracle"}  # `oracle.address` etc. are addresses of the oracle block (DESIGN §4)


def check(state: DesiredState, raw: dict[str, Any], pos: Positions) -> tuple[DesiredState, list[Diagnostic]]:
    """All semantic problems of `state`, and the state with signer addresses normalised.

    `raw` is the merged document before validation: a name present there but absent from `state` belonged
    to an item that failed validation, so references to it are not reported a second time."""
    c = _Checker(state, raw, pos)
    c.names()
    c.networks()
    signers = c.signers()
    c.contracts()
    c.oracle()
    c.hosts()
    c.backups()
    c.backend()
    return state.model_copy(update={"signers": signers}), c.diags


class _Checker:
    def __init__(self, state: DesiredState, raw: dict[str, Any], pos: Positions) -> None:
        self.s, self.raw, self.pos = state, raw, pos
        self.diags: list[Diagnostic] = []

    @property
    def state(self) -> DesiredState:
        """The validated state (what a profile's `validate` hook reads)."""
        return self.s

    def err(self, path: KeyPath, message: str, *, at_key: bool = False) -> None:
        where = self.pos.key(path) if at_key else self.pos.value(path)
        self.diags.append(Diagnostic(where, render_path(path), message))

    def _raw_names(self, section: str) -> set[str]:
        items = self.raw.get(section)
        return set(items) if isinstance(items, dict) else set()

    def ref(self, path: KeyPath, name: str, section: str, what: str) -> bool:
        """True when `name` is a valid item of `section`; reports it (with a suggestion) when unknown."""
        items: dict[str, Any] = getattr(self.s, section)
        if name in items:
            return True
        if name not in self._raw_names(section):
            hint = did_you_mean(name, items)
            known = ", ".join(sorted(items)) or "none declared"
            self.err(path, f'unknown {what} "{name}" ({hint + " " if hint else ""}known: {known})')
        return False

    def network_type(self, name: str) -> str | None:
        net = self.s.networks.get(name)
        return net.type if net is not None else None

    # --- names --------------------------------------------------------------------------------------

    def names(self) -> None:
        owner: dict[str, str] = {}
        for section in ("contracts", "hosts", "backups"):
            for name in sorted(self._raw_names(section), key=lambda n: self.pos.key((section, n))):
                path = (section, name)
                if not NAME.match(name):
                    self.err(
                        path,
                        f'name "{name}" can only use letters, digits, "_", "." and "-" '
                        "(it is part of resource addresses)",
                        at_key=True,
                    )
                elif name in RESERVED:
                    self.err(
                        path, f'"{name}" is reserved for the oracle block\'s resource addresses', at_key=True
                    )
                if name in owner:
                    first = self.pos.key((owner[name], name))
                    self.err(
                        path,
                        f'name "{name}" is also used by {owner[name]}.{name} at {first}; contracts, '
                        "hosts and backups share one address namespace",
                        at_key=True,
                    )
                else:
                    owner[name] = section

    # --- networks -----------------------------------------------------------------------------------

    def networks(self) -> None:
        """An RPC URL is http(s) with a host, checked here rather than when plan first dials it. The URL is
        never echoed: its path or query may carry a provider's API key."""
        for name, net in self.s.networks.items():
            problem = _rpc_url_error(net.rpc_url)
            if problem:
                self.err(("networks", name, "rpc_url"), f'network "{name}": {problem}')

    # --- signers ------------------------------------------------------------------------------------

    def signers(self) -> dict[str, Any]:
        out = dict(self.s.signers)
        channel_of: dict[str, str] = {}  # channel address -> the signer declaring it (one lane per account)
        signer_addresses = {sg.address.strip(): n for n, sg in self.s.signers.items()}
        for name, signer in self.s.signers.items():
            path = ("signers", name)
            if not self.ref((*path, "network"), signer.network, "networks", "network"):
                continue
            kind = self.network_type(signer.network)
            if kind == "evm":
                try:
                    out[name] = signer.model_copy(update={"address": normalise_evm_address(signer.address)})
                except ValueError as exc:
                    self.err((*path, "address"), f"{exc} (signer on EVM network {signer.network})")
            elif kind == "stellar":
                if not strkey_valid(signer.address.strip(), "G"):
                    self.err(
                        (*path, "address"),
                        "not a valid Stellar account address (expected a G… strkey "
                        f"of 56 characters; signer on Stellar network {signer.network})",
                    )
                if signer.via == "safe":
                    self.err((*path, "via"), "via: safe is for EVM networks only")
                seen: set[str] = {signer.address.strip()}
                for i, ch in enumerate(signer.channels):
                    if not strkey_valid(ch.address.strip(), "G"):
                        self.err((*path, "channels", i, "address"),
                                 "not a valid Stellar account address (expected a G… strkey of 56 characters)")
                    elif ch.address.strip() in seen:
                        self.err((*path, "channels", i, "address"),
                                 "listed twice (or is the signer itself): each channel is its own source account")
                    elif ch.address.strip() in signer_addresses:
                        self.err((*path, "channels", i, "address"),
                                 f"is the address of signer {signer_addresses[ch.address.strip()]}: a channel must be "
                                 "an account of its own (one pending transaction per account)")
                    elif channel_of.setdefault(ch.address.strip(), name) != name:
                        self.err((*path, "channels", i, "address"),
                                 f"already a channel of signer {channel_of[ch.address.strip()]}: a channel account "
                                 "sends for one signer only")
                    seen.add(ch.address.strip())
            if kind == "evm" and signer.channels:
                self.err((*path, "channels"), "channels are for Stellar signers only")
        return out

    def signer_on(self, path: KeyPath, name: str, network: str) -> None:
        if self.ref(path, name, "signers", "signer"):
            other = self.s.signers[name].network
            if other != network:
                self.err(path, f'signer "{name}" is on network "{other}", not "{network}"')

    # --- contracts ----------------------------------------------------------------------------------

    def contracts(self) -> None:
        for name, contract in self.s.contracts.items():
            path = ("contracts", name)
            folder = folder_of(contract.profile)
            want = folder.chain if folder is not None else "evm"
            if self.ref((*path, "network"), contract.network, "networks", "network"):
                kind = self.network_type(contract.network)
                if kind != want:
                    self.err(
                        (*path, "network"),
                        f"profile {contract.profile} needs {_A[want]} network, but "
                        f'"{contract.network}" is {_A.get(kind or "", kind)}',
                    )
            if contract.signer is not None:
                self.signer_on((*path, "signer"), contract.signer, contract.network)
            if folder is not None:
                folder.validate(self, path, contract)

    # --- oracle, hosts, backups, backend ------------------------------------------------------------

    def oracle(self) -> None:
        o = self.s.oracle
        if o is None:
            return
        network: str | None = None
        if self.ref(("oracle", "contract"), o.contract, "contracts", "contract"):
            target = self.s.contracts[o.contract]
            if not isinstance(target, AccessControlContract):
                self.err(
                    ("oracle", "contract"),
                    f'"{o.contract}" has profile {target.profile}; the oracle '
                    "needs an access-control contract",
                )
            else:
                self._oracle_role_declared_twice(o, target)
                if isinstance(self.s.networks.get(target.network), EvmNetwork):
                    network = target.network
        if o.top_up_from is not None and network is not None:
            self.signer_on(("oracle", "top_up_from"), o.top_up_from, network)
        net = self.s.networks.get(network) if network else None
        if o.min_fee_balance is not None and isinstance(net, EvmNetwork) and net.fee_token is None:
            self.err(("oracle", "min_fee_balance"), f'network "{network}" has no fee_token to measure it in')
        r = o.relay
        if r is not None:
            self.env_key(("oracle", "relay", "key_variable"), r.key_variable)
            self.unit(("oracle", "relay", "service"), r.service)
        if r is not None and self.ref(("oracle", "relay", "host"), r.host, "hosts", "host"):
            host = self.s.hosts[r.host]
            if r.service not in host.services:
                hint = did_you_mean(r.service, host.services)
                self.err(
                    ("oracle", "relay", "service"),
                    f'service "{r.service}" is not declared under hosts.'
                    f"{r.host}.services" + (f" ({hint})" if hint else ""),
                )
            if r.env_file not in host.env_files:
                hint = did_you_mean(r.env_file, host.env_files)
                self.err(
                    ("oracle", "relay", "env_file"),
                    f'env file "{r.env_file}" is not declared under hosts.'
                    f"{r.host}.env_files" + (f" ({hint})" if hint else ""),
                )

    def _oracle_role_declared_twice(self, o: Oracle, target: AccessControlContract) -> None:
        """The oracle block makes `oracle.address` the only holder of its role, so members listed for that role
        under `roles:` would silently get nothing (the block wins): refuse the ambiguity instead."""
        spec = target.roles.get(o.role)
        if spec is None or (isinstance(spec, RoleSpec) and "members" not in spec.model_fields_set):
            return  # not declared there, or only its id (for a contract without a getter): no conflict
        members = "members" if isinstance(spec, RoleSpec) else None
        path: KeyPath = ("contracts", o.contract, "roles", o.role) + ((members,) if members else ())
        self.err(
            path,
            f"{o.role} is also declared by the oracle block (oracle.address at {self.pos.value(('oracle', 'address'))}), "
            f"which makes {o.address} its only holder, so the members listed here would be ignored; declare the "
            f"{o.role} holder in one place (remove it here, or change oracle.address)",
            at_key=True,
        )

    def unit(self, path: KeyPath, name: str, *, at_key: bool = False) -> None:
        problem = unit_name_error(name)
        if problem:
            self.err(path, problem, at_key=at_key)

    def env_key(self, path: KeyPath, key: str, *, at_key: bool = False) -> None:
        problem = key_error(key)
        if problem:
            self.err(path, problem, at_key=at_key)

    def host_path(self, path: KeyPath, host_name: str, value: str, *, at_key: bool = False) -> None:
        """A path tempoctl reads or writes on `host_name` must stay inside that host's roots."""
        host = self.s.hosts.get(host_name)
        if host is None:
            return
        problem = static_path_error(value, host.connection, host.roots, os.getcwd())
        if problem:
            self.err(path, problem, at_key=at_key)

    def hosts(self) -> None:
        for name, host in self.s.hosts.items():
            hpath: KeyPath = ("hosts", name)
            problem = _connection_error(host.connection)
            if problem:
                self.err((*hpath, "connection"), problem)
            for unit in host.services:
                self.unit((*hpath, "services", unit), unit, at_key=True)
            for fname, ef in host.env_files.items():
                fpath: KeyPath = (*hpath, "env_files", fname)
                for key, value in ef.values.items():
                    self.env_key((*fpath, "values", key), key, at_key=True)
                    problem = value_error(value) if isinstance(value, str) else None
                    if problem:
                        self.err((*fpath, "values", key), f"{key}: {problem}")
                for j, unit in enumerate(ef.restart):
                    self.unit((*fpath, "restart", j), unit)
                problem = _mode_error(ef.mode)
                if problem:
                    self.err((*fpath, "mode"), problem)
            for i, root in enumerate(host.roots or ()):
                problem = root_error(root)
                if problem:
                    self.err(("hosts", name, "roots", i), problem)
            for fname in host.env_files:
                self.host_path(("hosts", name, "env_files", fname), name, fname, at_key=True)
            self._host_files(name)
            for fname, ef in host.env_files.items():
                for i, key in enumerate(ef.public):
                    public = ef.values.get(key)
                    if public is None:
                        self.err(("hosts", name, "env_files", fname, "public", i),
                                 f'"{key}" is not a key of this file\'s values')
                    elif not isinstance(public, str):
                        self.err(("hosts", name, "env_files", fname, "public", i),
                                 f'"{key}" is a secret: it can never be public')
            lag = host.checks.indexer_lag if host.checks else None
            if lag is not None:
                problem = dsn_error(lag.database, {(d.host.lower(), d.port) for d in self.s.databases.values()})
                if problem:
                    self.err(("hosts", name, "checks", "indexer_lag", "database"), problem)
            path: KeyPath = ("hosts", name, "checks", "indexer_lag", "network")
            if (
                lag is not None
                and self.ref(path, lag.network, "networks", "network")
                and isinstance(self.s.networks[lag.network], StellarNetwork)
            ):
                self.err(path, f'indexer lag is measured on an EVM network; "{lag.network}" is stellar')

    def backups(self) -> None:
        for name, b in self.s.backups.items():
            path = ("backups", name)
            self.ref((*path, "host"), b.host, "hosts", "host")
            if b.kind == "postgres" and not b.database:
                self.err(
                    path, "kind postgres needs `database` (a name, or postgresql://user@host/db)", at_key=True
                )
            if not b.destination.startswith("/"):
                self.err((*path, "destination"), "destination must be an absolute path (the scheduled job runs "
                         "from the user's home directory)")
            else:
                self.host_path((*path, "destination"), b.host, b.destination)
            for i, p in enumerate(b.paths):
                self.host_path((*path, "paths", i), b.host, p)
            if b.user is not None and not USER_NAME.fullmatch(b.user):
                self.err((*path, "user"), "not a user name (letters, digits, _ and -, starting with a letter or _)")
            if b.database is not None and (has_control(b.database) or "%" in b.database):
                self.err((*path, "database"), "a database name or URL may not contain control characters or %")
            if b.kind == "files" and not b.paths:
                self.err(path, "kind files needs `paths` (the files and folders to archive)", at_key=True)
            problem = cron_error(b.schedule)
            if problem:
                self.err((*path, "schedule"), f"not a valid cron schedule: {problem}")
            elif b.via == "systemd-timer":
                try:
                    to_on_calendar(b.schedule)
                except ValueError as exc:
                    self.err((*path, "schedule"), f"via systemd-timer: {exc}")
            problem = _filename_error(b.filename) or template_error(b.filename, b.kind)
            if problem:
                self.err((*path, "filename"), problem)
            self._drill(path, b)
        self._shared_destinations()

    def _host_files(self, name: str) -> None:
        from tempoctl.desired.hostfiles import content_error, file_mode_error

        host = self.s.hosts[name]
        seen: dict[str, int] = {}
        for i, f in enumerate(host.files):
            fpath: KeyPath = ("hosts", name, "files", i)
            problem = path_error(f.path)
            if problem:
                self.err((*fpath, "path"), problem)
            else:
                self.host_path((*fpath, "path"), name, f.path)
            norm = posixpath.normpath(f.path)
            if norm in seen:
                self.err((*fpath, "path"), f"{f.path} is already declared at files[{seen[norm]}]")
            seen.setdefault(norm, i)
            if any(posixpath.normpath(e) == norm for e in host.env_files):
                self.err((*fpath, "path"), f"{f.path} is also an env file of this host: one file, one manager")
            for problem, key in ((content_error(f.content) if f.content is not None else None, "content"), (file_mode_error(f.mode), "mode")):
                if problem:
                    self.err((*fpath, key), problem)
            if f.owner is not None and not all(USER_NAME.fullmatch(p) for p in f.owner.split(":", 1)):
                self.err((*fpath, "owner"), "not user or user:group (POSIX names)")

    def _drill(self, path: KeyPath, b: Backup) -> None:
        from tempoctl.desired.drillcheck import drill_problems

        for sub, message in drill_problems(b):
            self.err((*path, *sub), message, at_key=isinstance(sub[-1], str) and sub[-2:-1] == ("min_rows",))
        age = b.drill.max_block_age if b.drill is not None else None
        if age is not None:
            npath: KeyPath = (*path, "drill", "max_block_age", "network")
            if self.ref(npath, age.network, "networks", "network") and isinstance(
                    self.s.networks[age.network], StellarNetwork):
                self.err(npath, f'block age is measured on an EVM network; "{age.network}" is stellar')

    def _shared_destinations(self) -> None:
        """Two backups in one destination must have prefixes that cannot match each other's files, or one's
        retention deletes the other's backups and freshness counts them as its own."""
        seen: list[tuple[str, str, str, str]] = []
        for name, b in self.s.backups.items():
            dest = posixpath.normpath(b.destination)
            mine = prefix(b.filename)
            for other, host, odest, oprefix in seen:
                if host == b.host and odest == dest and (mine.startswith(oprefix) or oprefix.startswith(mine)):
                    self.err(("backups", name, "filename"),
                             f'backups {other} and {name} share destination {dest} and file prefix '
                             f'"{min(mine, oprefix, key=len)}": give each its own prefix or destination')
            seen.append((name, b.host, dest, mine))

    def backend(self) -> None:
        b = self.s.backend
        if b.startswith("sqlite:///") and len(b) > len("sqlite:///"):
            return
        if b.startswith(("postgresql://", "postgres://")):
            return
        self.err(("backend",), "expected sqlite:///PATH or postgresql://user@host/db (no password)")


def _rpc_url_error(url: str) -> str | None:
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return "the RPC URL may not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "the RPC URL is not a valid URL (bad host or port)"
    if parts.scheme.lower() not in ("http", "https"):
        got = f'"{parts.scheme}://"' if parts.scheme and parts.scheme.isalnum() else "no scheme"
        return f"the RPC URL must start with http:// or https:// (got {got})"
    if not parts.hostname:
        return "the RPC URL has no host"
    return None


def _connection_error(connection: str) -> str | None:
    """A user or host starting with "-" would reach ssh as an option (`-oProxyCommand=…`)."""
    if not connection.startswith("ssh://"):
        return None
    parts = urlsplit(connection)
    if (parts.username or "").startswith("-") or (parts.hostname or "").startswith("-"):
        return "the ssh user and host may not start with \"-\" (ssh would read them as options)"
    if not parts.hostname:
        return "expected ssh://user@host[:port]"
    return None


def _mode_error(mode: str | None) -> str | None:
    """Env files hold secrets: no world-writable file, no setuid/setgid/sticky bits."""
    from tempoctl.desired.hostfiles import mode_error

    return mode_error(mode, "an env file", "env file world-writable: anyone on the host could change what services read")


def _filename_error(name: str) -> str | None:
    try:
        fields = [f for _, f, _, _ in Formatter().parse(name) if f is not None]
        if "date" not in fields or any(f != "date" for f in fields):
            return 'filename needs a {date:FORMAT} placeholder (e.g. "db_{date:%Y%m%d}.sql.gz") and no other'
        a = name.format(date=datetime(2024, 1, 2, 3, 4, 5))
        b = name.format(date=datetime(2025, 6, 7, 8, 9, 10))
    except (ValueError, IndexError, KeyError, AttributeError) as exc:
        return f"filename does not format: {exc}"
    if a == b:
        return (
            "the {date:...} format must change over time (e.g. %Y%m%d), or every backup overwrites the last"
        )
    if "/" in a:
        return "filename must not contain /; put folders in `destination`"
    return None
