"""The installed schedule of a backup with `via: systemd-timer`: a oneshot service and a timer unit,
`tempoctl-backup-<env>-<backup>.{service,timer}`, in the system unit directory of the host
(`/etc/systemd/system`; `TEMPOCTL_SYSTEMD_UNIT_DIR` names another, for tests), enabled and started.

The service runs the same job as the crontab line (`tempoctl backup run --on-host ENV NAME`) as `user:`
from that user's home; its output goes to the journal. `Persistent=true` runs a missed backup at boot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.cron import to_on_calendar
from tempoctl.desired.hostpaths import has_control
from tempoctl.desired.models import Backup
from tempoctl.observed.host.transport import Transport

MARK = "# Managed by tempoctl: edits are overwritten."


def unit_name(env_name: str, backup: str) -> str:
    return f"tempoctl-backup-{env_name}-{backup}"


def unit_dir(environ: Mapping[str, str]) -> str:
    return environ.get("TEMPOCTL_SYSTEMD_UNIT_DIR") or "/etc/systemd/system"


def desired_timer(env: DesiredEnvironment, name: str, backup: Backup, command: str) -> dict[str, Any]:
    """The value `<backup>.schedule` should have for a timer (command without the crontab's log redirect)."""
    return {"via": "systemd-timer", "user": backup.user, "schedule": to_on_calendar(backup.schedule),
            "command": command.split(" >>", 1)[0], "enabled": True}


def unit_value(text: str) -> str:
    """`text` as a unit-file setting value that systemd reads back as `text` (systemd.syntax: `%` starts a
    specifier, `$` an environment variable in ExecStart=). A control character would end the setting and
    start another line (`User=postgres\\nExecStartPre=+…` runs as root), so it is refused, not escaped."""
    if has_control(text):
        raise ValueError(f"refusing to write a unit-file value with a control character: {text!r}")
    return text.replace("%", "%%").replace("$", "$$")


def _read_value(text: str | None) -> str | None:
    return None if text is None else text.replace("%%", "%").replace("$$", "$")


def render_units(key: str, value: Mapping[str, Any]) -> tuple[str, str]:
    """(service, timer) unit file text for a desired timer value; every value escaped by `unit_value`."""
    user = f"User={unit_value(str(value['user']))}\n" if value.get("user") else ""
    service = (f"{MARK}\n[Unit]\nDescription=tempoctl backup {unit_value(key)}\n\n[Service]\nType=oneshot\n{user}"
               f"WorkingDirectory=~\nExecStart={unit_value(str(value['command']))}\n")
    timer = (f"{MARK}\n[Unit]\nDescription=tempoctl backup {unit_value(key)} schedule\n\n[Timer]\n"
             f"OnCalendar={unit_value(str(value['schedule']))}\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n")
    return service, timer


def _setting(text: str, key: str) -> str | None:
    for line in text.splitlines():
        k, eq, v = line.partition("=")
        if eq and k.strip() == key:
            return v.strip()
    return None


def observed_timer(host: Transport, env_name: str, name: str, environ: Mapping[str, str]) -> dict[str, Any] | None:
    """What the host has installed for this backup's timer, in the shape of `desired_timer` (None: nothing)."""
    unit, base = unit_name(env_name, name), unit_dir(environ).rstrip("/")
    service = host.read_file(f"{base}/{unit}.service")
    timer = host.read_file(f"{base}/{unit}.timer")
    if service is None and timer is None:
        return None
    stext = (service or b"").decode("utf-8", "replace")
    ttext = (timer or b"").decode("utf-8", "replace")
    shown = host.run(["systemctl", "show", "-p", "UnitFileState", "--", f"{unit}.timer"], check=False).text
    return {"via": "systemd-timer", "user": _read_value(_setting(stext, "User")),
            "schedule": _read_value(_setting(ttext, "OnCalendar")), "command": _read_value(_setting(stext, "ExecStart")),
            "enabled": _setting(shown, "UnitFileState") == "enabled"}


def install_timer(host: Transport, env_name: str, name: str, key: str, value: Mapping[str, Any],
                  environ: Mapping[str, str]) -> None:
    """Write both units (atomically, 0644), reload systemd, enable and start the timer."""
    unit, base = unit_name(env_name, name), unit_dir(environ).rstrip("/")
    service, timer = render_units(key, value)
    host.write_file_atomic(f"{base}/{unit}.service", service.encode(), mode=0o644)
    host.write_file_atomic(f"{base}/{unit}.timer", timer.encode(), mode=0o644)
    host.run(["systemctl", "daemon-reload"])
    host.run(["systemctl", "enable", "--now", "--", f"{unit}.timer"])
