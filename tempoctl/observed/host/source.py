"""The hosts source: reads services, env files and deployment descriptors into the observation.

One command per host per run (`facts.read_script`) over one connection; the transport is kept in
`out.clients["host:<name>"]` so apply and the re-plan after it reuse the same connection. Secrets are read
from the environment only to be compared (`secretcmp`): no secret value, and no digest of one, ever
enters the observation. Every env-file value not declared `public` is sensitive: its observed value is
only the verdict `(sensitive) unchanged` / `(sensitive) changed` (None when the key is absent).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tempoctl.core.addrs import attribute
from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.reach import written_template
from tempoctl.desired.types import strkey_valid
from tempoctl.errors import TempoctlError
from tempoctl.observed.host.facts import (
    FactsError,
    FileFacts,
    HostFacts,
    count_instances,
    parse_env,
    parse_read,
    read_script,
)
from tempoctl.observed.host.managed import (
    Entry,
    ManagedFile,
    ManagedHost,
    descriptor_contracts,
    managed_hosts,
)
from tempoctl.observed.host.plainfiles import observed_file
from tempoctl.observed.host.pool import map_hosts, name_host, raise_first
from tempoctl.observed.host.roots import Confined, confine, local_confined
from tempoctl.observed.host.secretcmp import CHANGED, SENSITIVE, ComparisonKey, verdict
from tempoctl.observed.host.transport import Transport, shared_transport
from tempoctl.observed.observation import Observation, ObservedValues, ReadOptions


def client_key(host: str) -> str:
    return f"host:{host}"


def transport_for(out_clients: dict[str, Any], host: str, connection: str) -> Transport:
    """The run's one transport for `host` (opened on first use)."""
    key = client_key(host)
    if key not in out_clients:
        out_clients[key] = shared_transport(connection)
    t: Transport = out_clients[key]
    return t


class HostsSource:
    name = "hosts"

    def wanted(self, env: DesiredEnvironment) -> bool:
        return bool(env.state.hosts) or bool(descriptor_contracts(env))

    def read(self, env: DesiredEnvironment, out: Observation, options: ReadOptions) -> None:
        values, observed = out.observed.values, out.observed
        reach = env.reach
        key = ComparisonKey(env.state.backend, env.name, out.cwd, options.create_secret_key,
                            refused=reach.backend())
        # 1. In declaration order, here: what the trusted base lets us read, and each host's transport. What
        # is not read is noted in step 3, in the same order as before hosts were read in parallel.
        hosts: list[tuple[ManagedHost, str, list[tuple[str, str]]]] = []  # (host, why unread, files unread)
        todo: list[tuple[ManagedHost, Transport, list[str] | None]] = []
        for mh in managed_hosts(env).values():
            problem = reach.host(mh.name)
            if problem:  # not even a connection: the PR chose this host or where it points
                hosts.append((mh, problem, []))
                continue
            skipped: list[tuple[str, str]] = []
            for path, mf in list(mh.files.items()):
                problem = reach.env_file(mh.name, _path_template(env, mf))
                if problem:
                    skipped.append((mf.address, problem))
                    del mh.files[path]
                else:
                    for name, entry in mf.entries.items():
                        entry.public = reach.public(mh.name, path, name, entry.public) or (
                            entry.public_shape is not None and entry.public)
            for path, pf in list(mh.plain.items()):
                problem = reach.host_file(mh.name, pf.index)
                if problem:
                    skipped.append((pf.address, problem))
                    del mh.plain[path]
            hosts.append((mh, "", skipped))
            host = env.state.hosts.get(mh.name)
            todo.append((mh, transport_for(out.clients, mh.name, mh.connection),
                         reach.roots_for(mh.name, host.roots if host else None)))

        # 2. The hosts themselves, read at the same time (at most `parallelism`): one command each.
        def read_one(job: tuple[ManagedHost, Transport, list[str] | None]) -> tuple[Confined, HostFacts]:
            mh, t, roots = job
            confined = confine(t, mh.connection, roots, [*mh.files, *mh.plain])
            paths = list(dict.fromkeys(confined.real.values()))  # at their real place: a symlink is followed
            result = t.run(read_script(mh.units, paths)) if (mh.units or paths) else None
            return confined, (parse_read(result.stdout, mh.units, paths) if result is not None else HostFacts())

        read = dict(zip((mh.name for mh, _, _ in todo), map_hosts(read_one, todo, options.parallelism), strict=True))
        # 3. Back in declaration order: the values, so the plan does not depend on which host answered first.
        errors: list[TempoctlError] = []
        for mh, problem, skipped in hosts:
            if problem:
                unread(out, mh.name, problem)
                continue
            for address, why in skipped:
                unread(out, address, why)
            got = read[mh.name]
            try:
                if isinstance(got, TempoctlError):
                    raise got
                self._host_values(env, mh, got[0], got[1], key, values, observed)
            except TempoctlError as exc:  # this host's error; the other hosts are still read and reported
                errors.append(name_host(exc, mh.name))
        raise_first(errors)
        for cname, c in descriptor_contracts(env).items():
            problem = reach.descriptor(cname)
            if problem:
                unread(out, attribute(cname, "descriptor"), problem)
                continue
            values[attribute(cname, "descriptor")] = _read_descriptor(str(c.descriptor), out.cwd)

    def _host_values(self, env: DesiredEnvironment, mh: ManagedHost, confined: Confined, hf: HostFacts,
                     key: ComparisonKey, values: dict[str, Any], observed: ObservedValues) -> None:
        reach = env.reach
        self._units(env, mh, hf, values, observed)
        for path, mf in mh.files.items():
            if path in confined.refused:
                values[mf.address] = {"refused": confined.refused[path]}
                continue
            status = observed.host_secrets.setdefault(mf.address, {})
            for name, entry in mf.entries.items():
                guessable = entry.sensitive and entry.public_shape is None and entry.expect_address is None
                problem = reach.entry_value(entry.where) if guessable else None
                if problem:  # a verdict on a value the PR chose would confirm or deny the PR's guess
                    status[name] = f"unread: {problem}"
                    observed.notes.append(
                        f"{mf.address}: {name} not compared: {problem}")
            real = confined.real[path]
            values[mf.address] = _file_value(mf, hf.files.get(real, FileFacts(None)), key, status)
        for path, pf in mh.plain.items():
            if path in confined.refused:
                values[pf.address] = {"refused": confined.refused[path]}
                continue
            values[pf.address] = observed_file(pf, hf.files.get(confined.real[path], FileFacts(None)))

    def _units(self, env: DesiredEnvironment, mh: ManagedHost, hf: HostFacts, values: dict[str, Any],
               observed: ObservedValues) -> None:
        declared = env.state.hosts[mh.name].services if mh.name in env.state.hosts else {}
        unit_facts = observed.host_units.setdefault(mh.name, {})
        for unit in mh.units:
            uf = hf.units.get(unit)
            if uf is None:
                continue
            state = uf.state  # UnitStateError for a value systemd does not document: never a guess
            value: dict[str, Any] = {"state": state, "enabled": uf.enabled}
            spec = declared.get(unit)
            if spec is not None and spec.enabled is not None and uf.enabled is None and state != "missing":
                observed.notes.append(
                    f"{attribute(mh.name, 'service', unit)}: `enabled:` does not apply to this unit (systemd reports "
                    f"UnitFileState={uf.unit_file or '(none)'}: it has no [Install] section of its own) and is "
                    "ignored")
            if spec is not None and spec.single_instance:
                if hf.processes_error:  # never "0 instances" for a list that could not be read
                    raise FactsError(f"host {mh.name}: cannot list processes for single_instance of {unit}",
                                     detail=hf.processes_error)
                value["instances"] = count_instances(hf.processes, uf.argv)
            values[attribute(mh.name, "service", unit)] = value
            unit_facts[unit] = {"main_pid": uf.main_pid, "argv": uf.argv}


def unread(out: Observation, address: str, reason: str) -> None:
    """Mark `address` (and everything under it) as not read under the trusted base: a note in the plan, and
    no change or drift is computed for it (plan/build.py drops them)."""
    out.observed.mark_unread(address, reason)


def _path_template(env: DesiredEnvironment, mf: ManagedFile) -> str:
    """The env file's path as written (`hosts.<h>.env_files` keys are never expanded)."""
    if len(mf.where) >= 3 and mf.where[2] == "env_files":
        return mf.path
    return written_template(env.written, mf.where, "env_file") or ""


def observed_entry(mf: ManagedFile, name: str, entry: Entry, raw: str | None, key: ComparisonKey,
                   status: dict[str, str]) -> str | None:
    """The public form of a live value: a public value as it is; the relay key as the address it belongs to;
    any other value only as the verdict of a keyed comparison with the desired value. `status[name]` says
    why a sensitive value could not be compared ("unset: VAR", "no key: reason")."""
    if raw is None:
        return None
    if entry.expect_address is not None:
        return key_address(raw) or SENSITIVE
    if not entry.sensitive:
        if entry.public_shape == "contract" and not strkey_valid(raw.strip(), "C"):
            return CHANGED  # not a contract ID, so not the desired one; and not shown: it may be anything
        return raw
    desired = _desired_value(entry)
    if desired is None:
        status[name] = f"unset: {(entry.secret or '')[len('env:'):]}"
        return SENSITIVE
    if entry.secret is None:
        # A plain value is in the YAML already: compared directly, the verdict is all that is kept.
        return verdict(None, mf.host, mf.path, name, raw, desired)
    hkey = key.get()
    if hkey is None:
        # A backend the PR named is not opened (the plan notes it): not compared, and not drift either.
        status[name] = f"unread: {key.refused}" if key.refused else f"no key: {key.unavailable}"
        return SENSITIVE
    return verdict(hkey, mf.host, mf.path, name, raw, desired)


def key_address(raw: str) -> str | None:
    """`address:0x…` of an EVM private key, or None when it is not one."""
    try:
        from eth_account import Account

        return "address:" + str(Account.from_key(raw.strip()).address)
    except Exception:  # noqa: BLE001 - anything that is not a valid key
        return None


def _file_value(mf: ManagedFile, ff: FileFacts, key: ComparisonKey, status: dict[str, str]) -> dict[str, Any] | None:
    for name, entry in mf.entries.items():
        if status.get(name, "").startswith("unread:"):
            continue
        if entry.secret is not None and entry.expect_address is None and _desired_value(entry) is None:
            status[name] = f"unset: {entry.secret[len('env:'):]}"
    if ff.content is None:
        return None
    live = parse_env(ff.content.decode("utf-8", "replace"))
    return {
        "values": {k: (SENSITIVE if live.get(k) is not None else None) if status.get(k, "").startswith("unread:")
                   else observed_entry(mf, k, e, live.get(k), key, status) for k, e in mf.entries.items()},
        "owner": ff.owner,
        "mode": ff.mode,
    }


def _desired_value(entry: Entry) -> str | None:
    """The desired plaintext of a non-relay entry: the YAML value, or the secret's variable (None: unset)."""
    if entry.secret is not None:
        return os.environ.get(entry.secret[len("env:"):])
    return entry.value


def _read_descriptor(rel: str, cwd: Path | None) -> dict[str, Any] | None:
    try:
        path = Path(local_confined(rel, str(cwd or Path.cwd())))
    except TempoctlError as exc:
        return {"unreadable": exc.summary}
    try:
        doc = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return {"unreadable": str(exc)}
    return doc if isinstance(doc, dict) else {"unreadable": "not a JSON object"}
