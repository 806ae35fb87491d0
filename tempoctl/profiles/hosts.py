"""Hosts planner: env files (`<host>.env_file[path]`) and systemd services (`<host>.service[unit]`).

Pure, like every planner: it looks at the desired state and what the hosts source observed. Env-file keys
come from every block that reaches a host (`observed.host.managed`): one change per file, values written
with `host_command` steps. Units named in `restart:` of a changed file are restarted once, after every
change to any of their files; a unit that is also being started is just started after them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tempoctl.core.addrs import attribute
from tempoctl.core.steps import HostCommand
from tempoctl.desired.models import Service
from tempoctl.observed.host.managed import ManagedFile, ManagedHost, managed_hosts
from tempoctl.observed.host.secretcmp import CHANGED, UNCHANGED
from tempoctl.observed.host.secretcmp import SENSITIVE as MASK
from tempoctl.plan.model import Action, Change, DriftItem, Step
from tempoctl.profiles.base import PlanContext, PlanItem


def host_step(cmd: HostCommand, display: str) -> Step:
    return Step(kind=HostCommand.KIND, display=display, fields=cmd.to_fields())


def _norm_mode(mode: str | None) -> str | None:
    return None if mode is None else mode.lstrip("0").zfill(3).rjust(4, "0")


def _owner_differs(declared: str | None, live: str) -> bool:
    if declared is None:
        return False
    return declared != live if ":" in declared else declared != live.split(":")[0]


def env_file_items(ctx: PlanContext, mf: ManagedFile) -> list[PlanItem]:
    """The change that brings one env file to its declared keys (or drift it cannot fix)."""
    live = ctx.observed.values.get(mf.address, "unread")
    if live == "unread":
        return []
    if isinstance(live, dict) and "refused" in live:
        return [DriftItem(mf.address, "outside_roots", "a path inside the host's roots", live["refused"],
                          f"{mf.path} is not read or written: it {live['refused']}")]
    live_values: dict[str, Any] = (live or {}).get("values", {})
    secrets = ctx.observed.host_secrets.get(mf.address, {})
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    to_set: dict[str, Any] = {}
    depends: list[str] = []
    sensitive_keys: list[str] = []
    where: tuple[str | int, ...] | None = None
    out: list[PlanItem] = []
    for key, entry in mf.entries.items():
        have = live_values.get(key)
        if entry.expect_address is not None:
            want: Any = f"address:{entry.expect_address}"
            write: Any = {"from_env": (entry.secret or "")[4:], "expect_address": entry.expect_address}
            if have != want and entry.secret is None:
                out.append(DriftItem(mf.address, "relay_key", want, have,
                                     f"{key} is not the key of the oracle {entry.expect_address}; set oracle.relay.new_key "
                                     "to let apply write it"))
                continue
        elif entry.sensitive:
            # Compared by the source (keyed HMAC): `have` is only a verdict; `secrets` says why it is missing.
            why = secrets.get(key, "")
            write = {"from_env": entry.secret[4:]} if entry.secret is not None else entry.value
            if why.startswith("unread:"):  # under --trusted-base: the PR's own value is not compared (a note says so)
                continue
            if why.startswith("unset:"):
                out.append(DriftItem(mf.address, "unknown", f"{key} from {entry.secret}", have,
                                     f"{why[len('unset: '):]} is not set here, so {key} cannot be compared"))
                continue
            if why.startswith("no key:"):
                out.append(DriftItem(mf.address, "not_compared", f"{key}: (sensitive)", have,
                                     f"{key} was not compared: {why[len('no key: '):]}"))
                continue
            if have == UNCHANGED:
                continue
            before[key], after[key], to_set[key] = (None if have is None else MASK), CHANGED, write
            sensitive_keys.append(key)
            depends += [d for d in entry.depends_on if d not in depends]
            where = where or entry.where
            continue
        else:
            want = write = entry.value
        if have == want:
            continue
        before[key], after[key], to_set[key] = have, want, write
        if entry.sensitive:
            sensitive_keys.append(key)
        depends += [d for d in entry.depends_on if d not in depends]
        where = where or entry.where
    mode = _norm_mode(mf.mode)
    if live is not None and mode is not None and _norm_mode(live.get("mode")) != mode:
        before["mode"], after["mode"] = live.get("mode"), mode
    if live is not None and _owner_differs(mf.owner, str(live.get("owner", ""))):
        before["owner"], after["owner"] = live.get("owner"), mf.owner
    if not before and live is not None:
        return out
    keys = ", ".join(to_set) or "owner/mode"
    step = host_step(HostCommand(mf.host, "write_env", path=mf.path, set=to_set, owner=mf.owner, mode=mode),
                     f"write {mf.path} on {mf.host}: set {keys}")
    out.append(Change(
        address=mf.address, action=Action.CREATE if live is None else Action.UPDATE,
        before=None if live is None else before, after=after, reason=ctx.env.where(*(where or mf.where)),
        steps=[step], depends_on=depends, sensitive=bool(sensitive_keys), sensitive_keys=sensitive_keys,
        note=f"restarts {', '.join(mf.restart)} after writing" if mf.restart else None,
    ))
    return out


_CANNOT = {
    "masked": "unit {unit} is masked on {host}: tempoctl does not unmask units (`systemctl unmask {unit}` is an "
              "operator's decision)",
    "broken": "systemd cannot load unit {unit} on {host} (a bad setting or an unreadable unit file): "
              "`systemctl status {unit}` says why",
    "maintenance": "unit {unit} on {host} is in maintenance (`systemctl clean` is running): try again later",
}
# Live states that satisfy `state: running`: a oneshot without RemainAfterExit that ran and exited 0 is
# inactive/dead by design (systemd.service(5), Type=oneshot) and counts as done, not as stopped.
_UP = ("running", "done")


def service_change(ctx: PlanContext, host: str, unit: str, spec: Service) -> list[PlanItem]:
    address = attribute(host, "service", unit)
    live = ctx.observed.values.get(address)
    if live is None:
        return []
    where = ctx.env.where("hosts", host, "services", unit)
    state = live["state"]
    if state == "missing":
        return [DriftItem(address, "missing", spec.state, "not installed",
                          f"unit {unit} is not installed on {host}; tempoctl manages units, it does not install them")]
    if state in _CANNOT:
        if spec.state == "running" or spec.enabled:
            return [DriftItem(address, state, spec.state, state, _CANNOT[state].format(unit=unit, host=host))]
        return []
    out: list[PlanItem] = []
    instances = live.get("instances", 0)
    if spec.single_instance and instances > 1:
        out.append(DriftItem(address, "single_instance", 1, instances,
                             f"{instances} processes run {unit}'s command; it must run once (single_instance)"))
    steps: list[Step] = []
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    enabled = live.get("enabled")  # True | False | "runtime" | None (not applicable: see the plan's notes)
    if spec.enabled is not None and enabled is not None and enabled is not spec.enabled:
        if spec.enabled:
            steps.append(host_step(HostCommand(host, "enable", unit=unit), f"systemctl enable {unit}"))
        else:
            if enabled is True:
                steps.append(host_step(HostCommand(host, "disable", unit=unit), f"systemctl disable {unit}"))
            if enabled == "runtime":  # `disable` alone leaves /run's link: systemctl(1), --runtime
                steps.append(host_step(HostCommand(host, "disable-runtime", unit=unit),
                                       f"systemctl disable --runtime {unit}"))
        before["enabled"], after["enabled"] = enabled, spec.enabled
    note = None
    if spec.state == "running" and state not in _UP:
        steps.append(host_step(HostCommand(host, "start", unit=unit, single_instance=spec.single_instance,
                                           settle=spec.settle), f"systemctl start {unit}"))
        before["state"], after["state"] = state, "running"
        if spec.single_instance and instances >= 1:
            note = f"{instances} process(es) of {unit}'s command already run outside the unit: apply refuses to start another"
    elif spec.state == "stopped" and state in ("running", "starting", "restarting"):
        steps.append(host_step(HostCommand(host, "stop", unit=unit), f"systemctl stop {unit}"))
        before["state"], after["state"] = state, "stopped"
    if steps:
        out.append(Change(address=address, action=Action.UPDATE, before=before, after=after, reason=where,
                          steps=steps, note=note))
    return out


def restart_items(ctx: PlanContext, mh: ManagedHost, changed: list[ManagedFile],
                  service_changes: dict[str, Change]) -> list[Change]:
    """Restart each unit named by a changed file once, after all of them; a unit being started instead
    just waits for the files."""
    declared = ctx.env.state.hosts[mh.name].services if mh.name in ctx.env.state.hosts else {}
    triggers: dict[str, list[ManagedFile]] = {}
    for mf in changed:
        for unit in mf.restart:
            triggers.setdefault(unit, []).append(mf)
    out = []
    for unit, files in triggers.items():
        address = attribute(mh.name, "service", unit)
        spec = declared.get(unit)
        if spec is not None and spec.state == "stopped":
            continue
        deps = [f.address for f in files]
        existing = service_changes.get(address)
        if existing is not None and any(HostCommand.of(s).op == "start" for s in existing.steps if s.kind == HostCommand.KIND):
            existing.depends_on += [d for d in deps if d not in existing.depends_on]
            continue
        live = ctx.observed.values.get(address) or {}
        if live.get("state") not in ("running", "starting", "restarting"):
            continue  # nothing runs the old values; a later start reads the new file
        step = host_step(HostCommand(mh.name, "restart", unit=unit, single_instance=bool(spec and spec.single_instance),
                                     settle=spec.settle if spec is not None else None),
                         f"systemctl restart {unit}  # {', '.join(f.path for f in files)} changed")
        if existing is not None:
            existing.steps.append(step)
            existing.depends_on += [d for d in deps if d not in existing.depends_on]
            existing.after = {**(existing.after or {}), "restarted": True}
            continue
        out.append(Change(address=address, action=Action.UPDATE, before={"state": live.get("state")},
                          after={"state": "running", "restarted": True}, reason=ctx.env.where(*files[0].where),
                          steps=[step], depends_on=deps, note="restarted to read the changed env file"))
    return out


class HostsPlanner:
    name = "hosts"

    def plan(self, ctx: PlanContext) -> Iterable[PlanItem]:
        out: list[PlanItem] = []
        for mh in managed_hosts(ctx.env).values():
            changed: list[ManagedFile] = []
            for mf in mh.files.values():
                items = env_file_items(ctx, mf)
                out += items
                if any(isinstance(i, Change) for i in items):
                    changed.append(mf)
            service_changes: dict[str, Change] = {}
            host = ctx.env.state.hosts.get(mh.name)
            for unit, spec in (host.services.items() if host else ()):
                for item in service_change(ctx, mh.name, unit, spec):
                    out.append(item)
                    if isinstance(item, Change):
                        service_changes[item.address] = item
            out += restart_items(ctx, mh, changed, service_changes)
        return out
