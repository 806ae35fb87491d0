"""The backups source: for each declared backup, what schedule its host has installed and how old the
newest verified backup is.

Values: `<backup>.schedule` (the crontab block, in the shape of `tempoctl.backup.schedule.desired_schedule`,
or None) and `<backup>.freshness` (newest verified file, its time, `age_seconds`, and the newer files that
failed verification). Freshness is evidence, not managed state: it is listed in `observed.drift_only` so a
saved plan does not record it (it changes every second and apply never acts on it).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from tempoctl.backup.schedule import Crontab, block_key, block_names, observed_schedule
from tempoctl.backup.store import list_backups, newest_verified
from tempoctl.backup.timer import observed_timer
from tempoctl.core.addrs import attribute
from tempoctl.desired import DesiredEnvironment
from tempoctl.observed.host.roots import confine
from tempoctl.observed.host.source import unread
from tempoctl.observed.host.transport import Transport, shared_transport
from tempoctl.observed.observation import Observation, ReadOptions


def host_transport(clients: dict[str, Any], env: DesiredEnvironment, host: str) -> Transport:
    """The run's one transport for `host`, shared with the hosts source (`clients["host:<name>"]`)."""
    key = f"host:{host}"
    if key not in clients:
        clients[key] = shared_transport(env.state.hosts[host].connection)
    t: Transport = clients[key]
    return t


class BackupsSource:
    name = "backups"

    def wanted(self, env: DesiredEnvironment) -> bool:
        return bool(env.state.backups)

    def read(self, env: DesiredEnvironment, out: Observation, options: ReadOptions) -> None:
        now = dt.datetime.now(dt.UTC)
        values = out.observed.values
        crontabs: dict[tuple[str, str | None], str] = {}
        reach = env.reach
        for name, backup in env.state.backups.items():
            problem = reach.backup(name, backup.host)
            if problem:  # its host, destination and user are the PR's own: nothing of it is read
                unread(out, name, problem)
                continue
            t = host_transport(out.clients, env, backup.host)
            if backup.via == "cron":
                if (backup.host, backup.user) not in crontabs:
                    crontabs[(backup.host, backup.user)] = Crontab(t, backup.user, os.environ).read()
                crontab = crontabs[(backup.host, backup.user)]
                values[attribute(name, "schedule")] = observed_schedule(crontab, block_key(env.name, name), backup.user)
            else:
                values[attribute(name, "schedule")] = observed_timer(t, env.name, name, os.environ)
            host = env.state.hosts[backup.host]
            roots = reach.roots_for(backup.host, host.roots)
            refused = confine(t, host.connection, roots, [backup.destination]).refused
            if refused:  # a destination symlinked out of the roots is neither listed, verified nor pruned
                values[attribute(name, "freshness")] = {"refused": refused[backup.destination], "newest": None,
                                               "max_age_seconds": int(backup.max_age), "files": 0}
                out.observed.drift_only.append(attribute(name, "freshness"))
                continue
            files = list_backups(t, backup)
            fresh = newest_verified(t, backup, files)
            values[attribute(name, "freshness")] = {
                "newest": fresh.newest.name if fresh.newest else None,
                "newest_at": fresh.newest.mtime.isoformat(timespec="seconds") if fresh.newest else None,
                "age_seconds": fresh.age_seconds(now),
                "max_age_seconds": int(backup.max_age),
                "files": fresh.count,
                "failed_verification": [{"file": f, "problem": p} for f, p in fresh.failed],
            }
            out.observed.drift_only.append(attribute(name, "freshness"))
        _orphan_blocks(env, crontabs, values, out.observed.orphan_schedules)
        from tempoctl.observed.drills import read_drills

        read_drills(env, out)


def _orphan_blocks(env: DesiredEnvironment, crontabs: dict[tuple[str, str | None], str], values: dict[str, Any],
                   orphans: dict[str, dict[str, Any]]) -> None:
    """Blocks of this environment, in the crontabs read, for backups the YAML no longer declares: the plan
    removes them (a backup taken off the YAML must stop running)."""
    for (host, user), crontab in crontabs.items():
        for name in block_names(crontab, env.name):
            if name not in env.state.backups:
                values[attribute(name, "schedule")] = observed_schedule(crontab, block_key(env.name, name), user)
                orphans[name] = {"host": host, "user": user}
