"""The installed schedule of a backup: a managed block in the crontab of the backup's user.

One block per backup, between markers that name the environment and the backup; tempoctl rewrites only
what is between its own markers and leaves every other line of the crontab as it was:

    # BEGIN tempoctl backup tempo-testnet/tempovault-db (managed by tempoctl: edits here are overwritten)
    0 2 * * * /usr/local/bin/tempoctl backup run --on-host /srv/ops/state/tempo-testnet tempovault-db >>…log 2>&1
    # END tempoctl backup tempo-testnet/tempovault-db

The crontab is read with `crontab -l` and written with `crontab -` (`-u USER` when `user:` names someone
other than the login user of the host). `TEMPOCTL_CRONTAB=PATH` makes tempoctl manage a crontab *file* at
PATH on the host instead (hosts whose cron reads a file, and the tests, which keep one under a temp HOME).
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.cron import MACROS
from tempoctl.desired.hostpaths import has_control
from tempoctl.desired.models import Backup
from tempoctl.observed.host.transport import HostError, Transport

BEGIN = "# BEGIN tempoctl backup {key} (managed by tempoctl: edits here are overwritten)"
END = "# END tempoctl backup {key}"


def block_key(env_name: str, backup: str) -> str:
    return f"{env_name}/{backup}"


def tempoctl_command() -> str:
    """How a job on this machine calls tempoctl: the executable beside this Python (a venv), else PATH."""
    beside = Path(sys.executable).parent / "tempoctl"
    if beside.exists():
        return str(beside)
    return shutil.which("tempoctl") or "tempoctl"


def job_command(env: DesiredEnvironment, name: str, backup: Backup) -> str:
    """The command the schedule runs: `tempoctl backup run --on-host ENV NAME`, output appended to a log
    beside the backups.

    A `local` host runs this machine's tempoctl on this checkout (absolute paths). A remote host runs the
    `tempoctl` on its PATH from the backup user's home, where `state/<env>/` must be checked out."""
    host = env.state.hosts[backup.host]
    if host.connection == "local":
        exe, env_ref = tempoctl_command(), str(env.root.resolve())
    else:
        exe, env_ref = "tempoctl", env.name
    log = backup.destination.rstrip("/") + f"/.tempoctl-{name}.log"
    return f"{shlex.join([exe, 'backup', 'run', '--on-host', env_ref, name])} >>{shlex.quote(log)} 2>&1"


def desired_schedule(env: DesiredEnvironment, name: str, backup: Backup) -> dict[str, Any]:
    """The value `<backup>.schedule` should have: what the crontab block says, field by field."""
    return {"via": backup.via, "user": backup.user, "schedule": backup.schedule,
            "command": job_command(env, name, backup)}


def cron_line(value: Mapping[str, Any]) -> str:
    """The crontab entry of a desired schedule. In a crontab, % in the command means newline (escaped); a
    real newline would start another entry that shlex.quote cannot prevent, so it is refused here too
    (validate refuses it first, with file:line:col)."""
    line = f"{value['schedule']} {str(value['command']).replace('%', chr(92) + '%')}"
    if has_control(line):
        raise ValueError(f"refusing to write a crontab line with a control character: {line!r}")
    return line


def parse_line(line: str) -> tuple[str, str] | None:
    """(schedule, command) of one crontab entry, or None for a line that is not one."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if text.startswith("@"):
        macro, _, command = text.partition(" ")
        return (macro, command.strip()) if macro.lower() in MACROS else None
    parts = text.split(None, 5)
    if len(parts) < 6:
        return None
    return " ".join(parts[:5]), parts[5].replace("\\%", "%")


def block_names(crontab: str, env_name: str) -> list[str]:
    """Names of the backups of `env_name` that have a block in `crontab`."""
    prefix = BEGIN.split("{key}")[0] + f"{env_name}/"
    suffix = BEGIN.split("{key}")[1]
    return [line.strip()[len(prefix):-len(suffix)] for line in crontab.splitlines()
            if line.strip().startswith(prefix) and line.strip().endswith(suffix)]


def find_block(crontab: str, key: str) -> list[str] | None:
    """The lines between this backup's markers (None when there is no block)."""
    lines = crontab.splitlines()
    begin, end = BEGIN.format(key=key), END.format(key=key)
    starts = [i for i, line in enumerate(lines) if line.strip() == begin]
    if not starts:
        return None
    i = starts[0]
    j = next((k for k in range(i + 1, len(lines)) if lines[k].strip() == end), len(lines))
    return lines[i + 1:j]


def observed_schedule(crontab: str, key: str, user: str | None) -> dict[str, Any] | None:
    """What the crontab block of `key` installs, in the shape of `desired_schedule` (None: not installed)."""
    block = find_block(crontab, key)
    if block is None:
        return None
    entries = [e for e in (parse_line(line) for line in block) if e is not None]
    if len(entries) != 1:
        return {"via": "cron", "user": user, "schedule": None, "command": None,
                "entries": [line for line in block if line.strip()]}
    schedule, command = entries[0]
    return {"via": "cron", "user": user, "schedule": schedule, "command": command}


def replace_block(crontab: str, key: str, value: Mapping[str, Any] | None) -> str:
    """`crontab` with this backup's block set to `value` (removed when None); other lines untouched."""
    lines = crontab.splitlines()
    begin, end = BEGIN.format(key=key), END.format(key=key)
    new = [begin, cron_line(value), end] if value is not None else []
    starts = [i for i, line in enumerate(lines) if line.strip() == begin]
    if starts:
        i = starts[0]
        j = next((k for k in range(i + 1, len(lines)) if lines[k].strip() == end), len(lines) - 1)
        lines[i:j + 1] = new
    else:
        lines.extend(new)
    return "\n".join(lines) + "\n" if lines else ""


class Crontab:
    """Reads and writes one user's crontab on a host (see the module docstring for TEMPOCTL_CRONTAB)."""

    def __init__(self, host: Transport, user: str | None, environ: Mapping[str, str]) -> None:
        self.host = host
        self.user = user
        self.file = environ.get("TEMPOCTL_CRONTAB") or None
        self._login: str | None = None

    def _user_args(self) -> list[str]:
        # `crontab -u` is for root; the user's own crontab needs no -u (and refuses it for non-root).
        if not self.user:
            return []
        if self._login is None:
            self._login = self.host.run(["id", "-un"]).text.strip()
        return [] if self._login == self.user else ["-u", self.user]

    def read(self) -> str:
        if self.file:
            data = self.host.read_file(self.file)
            return data.decode("utf-8", "replace") if data is not None else ""
        result = self.host.run(["crontab", *self._user_args(), "-l"], check=False)
        if result.returncode == 0:
            return result.text
        err = result.stderr.decode("utf-8", "replace")
        if "no crontab for" in err:
            return ""
        raise HostError(f"cannot read the crontab{' of ' + self.user if self.user else ''} on host {self.host.name}",
                        detail=err.strip(),
                        hint="Install cron (Debian: cron) and, for `user:`, connect as root or as that user.")

    def write(self, text: str) -> None:
        if self.file:
            self.host.write_file_atomic(self.file, text.encode(), mode=0o600)
            return
        self.host.run(["crontab", *self._user_args(), "-"], input=text.encode())
