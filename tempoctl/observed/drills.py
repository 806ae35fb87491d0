"""Restore-drill evidence for drift (`<backup>.drill`): when each backup with a `drill:` block last passed a
drill, read from the backend's `backup_drills` table.

Like freshness, it is evidence, not managed state (listed in `observed.drift_only`): it ages every second and
apply never acts on it — a drill is run with `tempoctl backup drill`. A plan never creates a backend; one that
does not exist yet reads as "never drilled". Under `--trusted-base`, a backend the PR names is not opened.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tempoctl.core.addrs import attribute
from tempoctl.desired import DesiredEnvironment
from tempoctl.errors import TempoctlError
from tempoctl.observed.host.source import unread
from tempoctl.observed.observation import Observation


def _summary(env: DesiredEnvironment, out: Observation) -> tuple[dict[str, dict[str, Any]], str | None]:
    from tempoctl.backend import backend_exists, open_backend

    if not backend_exists(env.state.backend, out.cwd):
        return {}, None
    try:
        with open_backend(env.state.backend, cwd=out.cwd) as be:
            return be.drill_summary(env.name), None
    except TempoctlError as exc:
        return {}, f"the backend is not readable here ({exc.summary})"
    except Exception as exc:  # noqa: BLE001 - a driver error is evidence ("unreadable"), never a crash
        return {}, f"the backend is not readable here ({type(exc).__name__})"


def _age(stamp: str | None, now: dt.datetime) -> int | None:
    if not stamp:
        return None
    return max(0, int((now - dt.datetime.fromisoformat(stamp)).total_seconds()))


def read_drills(env: DesiredEnvironment, out: Observation) -> None:
    """Write `<backup>.drill` for every backup that declares `drill:`."""
    names = [n for n, b in env.state.backups.items() if b.drill is not None]
    if not names:
        return
    refused = env.reach.backend()
    if refused:
        for name in names:
            unread(out, attribute(name, "drill"), refused)
        return
    summary, error = _summary(env, out)
    now = dt.datetime.now(dt.UTC)
    for name in names:
        row = summary.get(name, {})
        value: dict[str, Any] = {
            "drill_every_seconds": int(env.state.backups[name].drill_every),
            "last_success_at": row.get("last_success_at"),
            "last_success_age_seconds": _age(row.get("last_success_at"), now),
            "last_at": row.get("last_at"),
            "last_outcome": row.get("last_outcome"),
            "last_detail": row.get("last_detail"),
        }
        if error:
            value["error"] = error
        address = attribute(name, "drill")
        out.observed.values[address] = value
        out.observed.drift_only.append(address)
