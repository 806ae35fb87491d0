"""The backups planner: installs each backup's schedule (`<backup>.schedule`, create/update) and reports
`<backup>.freshness` as drift when the newest *verified* backup is older than `max_age` or there is none.

Freshness has no apply action: a stale backup is fixed by a backup, not by reconciling; the drift item
says which command takes one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from tempoctl.backup.schedule import BEGIN, END, block_key, cron_line, desired_schedule
from tempoctl.backup.timer import desired_timer, render_units, unit_name
from tempoctl.core.addrs import attribute
from tempoctl.core.steps import BackupSchedule
from tempoctl.plan.model import Action, Change, DriftItem, Step
from tempoctl.profiles.base import PlanContext, PlanItem

_KEY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def _duration(seconds: int) -> str:
    """26h, 90m, 45s; an age like 27h03m keeps minutes (operators compare it with `max_age`)."""
    if seconds >= 2 * 86400:  # drill_every and week-scale ages read in days (30d, 31d04h)
        d, rem = divmod(seconds, 86400)
        return f"{d}d" if not rem else f"{d}d{rem // 3600:02d}h"
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    if h and (m or s):
        return f"{h}h{m:02d}m"
    if h:
        return f"{h}h"
    return f"{m}m" if m and not s else f"{seconds}s"


class BackupsPlanner:
    name = "backups"

    def plan(self, ctx: PlanContext) -> Iterable[PlanItem]:
        env, values = ctx.env, ctx.observed.values
        for name, backup in env.state.backups.items():
            addr = attribute(name, "schedule")
            if addr in values:
                want = desired_schedule(env, name, backup)
                if backup.via == "systemd-timer":
                    want = desired_timer(env, name, backup, str(want["command"]))
                have = values[addr]
                if have != want:
                    who = backup.user or "the login user"
                    what = (f"install crontab block {block_key(env.name, name)} for {who}" if backup.via == "cron"
                            else f"install and enable {unit_name(env.name, name)}.timer on {backup.host}")
                    try:
                        installs = _installs(env.name, name, backup.host, who, backup.via, want)
                    except ValueError as exc:
                        yield DriftItem(address=addr, kind="unsafe_schedule", expected="a schedule without control "
                                        "characters", actual=str(exc), message="no apply action: fix the backup")
                        continue
                    sched = BackupSchedule(host=backup.host, backup=name, key=block_key(env.name, name),
                                           user=backup.user, value=want, installs=installs)
                    step = Step(kind=BackupSchedule.KIND, display=what, fields=sched.to_fields())
                    yield Change(address=addr, action=Action.CREATE if have is None else Action.UPDATE,
                                 before=have, after=want, reason=env.where("backups", name, "schedule"),
                                 steps=[step])
            fresh = values.get(attribute(name, "freshness"))
            if fresh is not None:
                item = _freshness_drift(env.name, name, fresh, int(backup.max_age))
                if item is not None:
                    yield item
            drill = values.get(attribute(name, "drill"))
            if drill is not None:
                item = _drill_drift(env.name, name, drill)
                if item is not None:
                    yield item
        for name, where in ctx.observed.orphan_schedules.items():
            key = block_key(env.name, name)
            sched = BackupSchedule(host=where["host"], backup=name, key=key, user=where["user"], value=None)
            step = Step(kind=BackupSchedule.KIND, display=f"remove crontab block {key}", fields=sched.to_fields())
            yield Change(address=attribute(name, "schedule"), action=Action.DELETE, before=values.get(attribute(name, "schedule")),
                         after=None, reason="not declared", steps=[step])


def _installs(env_name: str, name: str, host: str, who: str, via: str, want: dict[str, Any]) -> dict[str, str]:
    """Exactly what apply will install, for the plan to show (issue 12 item 4): the crontab block with its
    markers, or the two unit files."""
    key = block_key(env_name, name)
    if not _KEY.fullmatch(key):
        # The environment's folder name reaches the crontab markers and unit names; git allows a newline in it.
        raise ValueError(f"environment and backup names may only use letters, digits, _ . - (got {key!r})")
    if via == "cron":
        return {f"crontab of {who} on {host}": "\n".join([BEGIN.format(key=key), cron_line(want), END.format(key=key)])}
    service, timer = render_units(key, want)
    unit = unit_name(env_name, name)
    return {f"{unit}.service on {host}": service.rstrip("\n"), f"{unit}.timer on {host}": timer.rstrip("\n")}


def _freshness_drift(env_name: str, name: str, fresh: dict[str, Any], max_age: int) -> DriftItem | None:
    failed = fresh.get("failed_verification") or []
    failed_note = (f"; {len(failed)} newer file(s) failed verification ({failed[0]['file']}: {failed[0]['problem']})"
                   if failed else "")
    if fresh.get("refused"):
        return DriftItem(address=attribute(name, "freshness"), kind="outside_roots", expected="a destination inside the "
                         "host's roots", actual=f"destination {fresh['refused']}",
                         message="no apply action: backups there are not listed, verified or pruned")
    fix = f"no apply action: take one with `tempoctl backup run {env_name} {name}` and check the schedule"
    expected = f"a verified backup newer than {_duration(max_age)}"
    if fresh.get("newest") is None:
        return DriftItem(address=attribute(name, "freshness"), kind="no_verified_backup", expected=expected,
                         actual=f"no verified backup ({fresh.get('files', 0)} file(s) found)",
                         message=f"{fix}{failed_note}")
    age = int(fresh["age_seconds"])
    if age <= max_age:
        return None
    return DriftItem(address=attribute(name, "freshness"), kind="stale_backup", expected=expected,
                     actual=f"newest verified backup {fresh['newest']} is {_duration(age)} old "
                            f"({fresh['newest_at']})",
                     message=f"{fix}{failed_note}")


def _drill_drift(env_name: str, name: str, drill: dict[str, Any]) -> DriftItem | None:
    """A backup with `drill:` whose last successful restore drill is older than `drill_every` (or that never
    passed one), or whose last drill failed: the backups may not restore, whatever their framing says."""
    every = int(drill["drill_every_seconds"])
    fix = f"no apply action: run `tempoctl backup drill {env_name} {name}`"
    expected = f"a passed restore drill within {_duration(every)}"
    if drill.get("error"):
        return DriftItem(address=attribute(name, "drill"), kind="drill_unknown", expected=expected,
                         actual=f"drill record unreadable: {drill['error']}", message=fix)
    if drill.get("last_outcome") == "failed":
        return DriftItem(address=attribute(name, "drill"), kind="drill_failed", expected=expected,
                         actual=f"the last drill ({drill.get('last_at')}) failed: {drill.get('last_detail')}",
                         message=f"{fix} once the backup is fixed")
    age = drill.get("last_success_age_seconds")
    if age is None:
        return DriftItem(address=attribute(name, "drill"), kind="drill_overdue", expected=expected,
                         actual="never drilled", message=fix)
    if int(age) <= every:
        return None
    return DriftItem(address=attribute(name, "drill"), kind="drill_overdue", expected=expected,
                     actual=f"last passed drill is {_duration(int(age))} old ({drill.get('last_success_at')})",
                     message=fix)
