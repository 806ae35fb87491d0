"""Run commands and move files on a host: here (`local`) or through the OpenSSH client (`ssh://user@host[:port]`).

Everything that touches a host goes through a `Transport`, so the hosts source, the host executors and the
backups code read and write the same way on both kinds of host. Over ssh one master connection is opened per
host per run (ControlMaster, socket in a private temp dir) and every command multiplexes over it (DESIGN §10:
one SSH session per host). The user's own ssh config and agent are honoured; `TEMPOCTL_SSH_CONFIG` names
another config file (tests, CI). Every command is passed to `log` (shown at `-v`) with secrets masked.
"""

from __future__ import annotations

import atexit
import logging
import os
import shlex
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Self
from urllib.parse import urlsplit

from tempoctl.errors import TempoctlError

MASK = "***"

# Writes `data` (stdin) next to the target and renames it over, keeping the old file's owner and mode unless
# told otherwise. A new file gets mode 0600 (mktemp's) unless `mode` is given: env files hold secrets.
_WRITE_SCRIPT = r"""set -e
target=$1; mode=$2; owner=$3
dir=$(dirname -- "$target")
tmp=$(mktemp -- "$dir/.tempoctl.XXXXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
# The caller passes a symlink's resolved target (roots.confine); a link here means it changed since: refuse
# rather than replace the link by a copy (which left a 0777 file holding the secret).
if [ -L "$target" ]; then echo "refusing to replace symlink $target (resolve it first)" >&2; exit 1; fi
if [ -e "$target" ]; then
  [ -n "$owner" ] || owner=$(stat -c '%u:%g' -- "$target")
  [ -n "$mode" ] || mode=$(stat -c '%a' -- "$target")
fi
if [ -n "$owner" ]; then chown -- "$owner" "$tmp"; fi
if [ -n "$mode" ]; then chmod -- "$mode" "$tmp"; fi
sync -- "$tmp" 2>/dev/null || true
mv -f -- "$tmp" "$target"
trap - EXIT
"""

# Exit status meaning "no such file" for `read_file` (distinct from cat's own failures).
_ABSENT = 66
_READ_SCRIPT = f'if [ -e "$1" ]; then exec cat -- "$1"; else exit {_ABSENT}; fi'


class HostError(TempoctlError):
    """A host could not be reached, or a command on it failed."""


@dataclass(frozen=True)
class CommandResult:
    """What a command did: exit status and its raw output."""

    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")


class Transport(Protocol):
    """One host, for the length of a run. Call `close()` at the end (or use it as a context manager)."""

    name: str

    def run(
        self, argv: list[str], *, input: bytes | None = None, check: bool = True, sensitive: Sequence[str] = ()
    ) -> CommandResult:
        """Run `argv` on the host (no shell). `sensitive` strings are masked in the log and in errors.

        Raises:
            HostError: the host is unreachable, or (with `check`) the command exited non-zero.
        """
        ...

    def read_file(self, path: str) -> bytes | None:
        """The file's bytes, or None when it does not exist."""
        ...

    def write_file_atomic(self, path: str, data: bytes, *, mode: str | int | None = None, owner: str | None = None) -> None:
        """Replace `path` by a temp file in the same directory + rename; keeps the existing owner/mode."""
        ...

    def close(self) -> None: ...


def mask(text: str, sensitive: Sequence[str]) -> str:
    """`text` with every sensitive string replaced by `***` (longest first, so overlaps cannot leak a tail)."""
    for s in sorted((s for s in sensitive if s), key=len, reverse=True):
        text = text.replace(s, MASK)
    return text


class _BaseTransport:
    """Shared command, read and write logic; subclasses only say how an argv reaches the host."""

    name: str

    def __init__(self, name: str, log: Callable[[str], None] | None) -> None:
        self.name = name
        self._log = log

    def _exec(self, argv: list[str], input: bytes | None) -> CommandResult:
        raise NotImplementedError

    def run(
        self, argv: list[str], *, input: bytes | None = None, check: bool = True, sensitive: Sequence[str] = ()
    ) -> CommandResult:
        shown = mask(shlex.join(argv), sensitive)
        if self._log is not None:
            self._log(f"{self.name}: {shown}")
        result = self._exec(argv, input)
        if check and result.returncode != 0:
            err = mask(result.stderr.decode("utf-8", "replace").strip(), sensitive)
            raise HostError(
                f"command failed on host {self.name} (exit {result.returncode}): {shown}",
                detail="\n".join(err.splitlines()[-20:]),
            )
        return result

    def read_file(self, path: str) -> bytes | None:
        result = self.run(["sh", "-c", _READ_SCRIPT, "sh", path], check=False)
        if result.returncode == _ABSENT:
            return None
        if result.returncode != 0:
            raise HostError(
                f"cannot read {path} on host {self.name}",
                detail=result.stderr.decode("utf-8", "replace").strip(),
            )
        return result.stdout

    def write_file_atomic(self, path: str, data: bytes, *, mode: str | int | None = None, owner: str | None = None) -> None:
        mode_text = "" if mode is None else (format(mode, "o") if isinstance(mode, int) else str(mode))
        result = self.run(["sh", "-c", _WRITE_SCRIPT, "sh", path, mode_text, owner or ""], input=data, check=False)
        if result.returncode != 0:
            raise HostError(
                f"cannot write {path} on host {self.name}",
                detail=result.stderr.decode("utf-8", "replace").strip(),
                hint="The file was left as it was (writes go to a temp file that is renamed only when complete).",
            )

    def close(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalTransport(_BaseTransport):
    """Commands run here, as the user running tempoctl."""

    def __init__(self, log: Callable[[str], None] | None = None, environ: Mapping[str, str] | None = None) -> None:
        super().__init__("local", log)
        self._environ = dict(environ) if environ is not None else None

    def _exec(self, argv: list[str], input: bytes | None) -> CommandResult:
        try:
            proc = subprocess.run(argv, input=input, capture_output=True, env=self._environ, check=False)
        except OSError as exc:
            return CommandResult(127, b"", f"{argv[0]}: {exc.strerror}".encode())
        return CommandResult(proc.returncode, proc.stdout, proc.stderr)


class SshTransport(_BaseTransport):
    """Commands run through `ssh`; one master connection per host, opened on first use, closed by `close()`."""

    def __init__(
        self,
        destination: str,
        port: int | None,
        *,
        log: Callable[[str], None] | None = None,
        ssh_config: str | None = None,
    ) -> None:
        super().__init__(destination.split("@")[-1], log)
        self.destination = destination
        self._dir = tempfile.mkdtemp(prefix="tempoctl-ssh-")  # mkdtemp: mode 0700, ours alone
        self.control_path = os.path.join(self._dir, "cm")
        base = ["ssh", "-o", "BatchMode=yes", "-o", f"ControlPath={self.control_path}"]
        if ssh_config:
            base += ["-F", ssh_config]
        if port is not None:
            base += ["-p", str(port)]
        self._base = base
        self._master_up = False
        # Hosts are read in parallel (observed/host/pool.py) and two declared hosts may share a connection:
        # the first command opens the master, the others wait for it rather than open a second one.
        self._master_lock = threading.Lock()

    def _open_master(self) -> None:
        # -f: ssh forks into the background only once authenticated, so a zero exit means the socket is ready.
        # Its stderr goes to a file, not a pipe: a pipe held open by the background master would hang us.
        os.makedirs(self._dir, mode=0o700, exist_ok=True)  # again after a close(): the run may reuse us
        errlog = os.path.join(self._dir, "master.err")
        argv = [*self._base, "-o", "ControlMaster=yes", "-o", "ControlPersist=no", "-f", "-N", "--", self.destination]
        if self._log is not None:
            self._log(f"{self.name}: (opening ssh connection) {shlex.join(argv)}")
        with open(errlog, "wb") as err:
            try:
                proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, check=False)
            except OSError as exc:
                raise HostError(f"cannot run ssh for host {self.name}: {exc.strerror}",
                                hint="Install the OpenSSH client (Debian: openssh-client).") from exc
        if proc.returncode != 0:
            detail = Path(errlog).read_text("utf-8", "replace").strip()
            raise HostError(
                f"cannot connect to host {self.name} over ssh ({self.destination})",
                detail=detail,
                hint="Check that `ssh " + self.destination + " true` works non-interactively (ssh config, agent, known_hosts).",
            )
        self._master_up = True
        atexit.register(self.close)  # never leave a master connection behind when the run ends

    def _exec(self, argv: list[str], input: bytes | None) -> CommandResult:
        with self._master_lock:
            if not self._master_up:
                self._open_master()
        # `--` before the destination: ssh stops reading options there (and does not re-read any after the
        # host, which it otherwise does: OpenSSH ssh.c, main(), `opt_terminated`).
        cmd = [*self._base, "-o", "ControlMaster=no", "--", self.destination, shlex.join(argv)]
        proc = subprocess.run(cmd, input=input if input is not None else b"", capture_output=True, check=False)
        if proc.returncode == 255:
            raise HostError(
                f"lost the ssh connection to host {self.name}",
                detail=proc.stderr.decode("utf-8", "replace").strip(),
            )
        return CommandResult(proc.returncode, proc.stdout, proc.stderr)

    def close(self) -> None:
        with self._master_lock:
            if self._master_up:
                subprocess.run(
                    [*self._base, "-O", "exit", "--", self.destination],
                    stdin=subprocess.DEVNULL, capture_output=True, check=False,
                )
                self._master_up = False
            shutil.rmtree(self._dir, ignore_errors=True)


def parse_connection(connection: str) -> tuple[str, int | None]:
    """`ssh://user@host[:port]` → (`user@host`, port). Raises HostError for anything else."""
    parts = urlsplit(connection)
    if parts.scheme != "ssh" or not parts.hostname or parts.password is not None or parts.path not in ("", "/"):
        raise HostError(f"not a host connection: {connection}", hint="Expected `local` or ssh://user@host[:port].")
    try:
        port = parts.port
    except ValueError as exc:
        raise HostError(f"bad port in {connection}") from exc
    if parts.hostname.startswith("-") or (parts.username or "").startswith("-"):
        raise HostError(f"refusing host connection {connection}: a user or host starting with '-' would reach ssh "
                        "as an option")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    dest = f"{parts.username}@{host}" if parts.username else host
    return dest, port


def open_transport(
    connection: str,
    *,
    log: Callable[[str], None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Transport:
    """A transport for a host's `connection:` value (`local` or `ssh://user@host[:port]`).

    `environ` (default: os.environ) supplies `TEMPOCTL_SSH_CONFIG`, an ssh config file used instead of
    `~/.ssh/config`. Nothing connects until the first command. Without `log`, commands go to the
    `tempoctl.host` logger, which the CLI shows at `-v`.
    """
    env = os.environ if environ is None else environ
    log = log or logging.getLogger("tempoctl.host").info
    if connection == "local":
        return LocalTransport(log=log)
    dest, port = parse_connection(connection)
    return SshTransport(dest, port, log=log, ssh_config=env.get("TEMPOCTL_SSH_CONFIG") or None)


_SHARED: dict[tuple[str, str], Transport] = {}
_SHARED_LOCK = threading.Lock()  # hosts are read from a pool of threads: one transport per connection still


def shared_transport(connection: str) -> Transport:
    """The run's one transport for `connection`: plan, apply and the re-plan after it all use it, so a
    host gets one ssh connection per run. `close_shared()` ends them (the CLI calls it after each command)."""
    key = (connection, os.environ.get("TEMPOCTL_SSH_CONFIG", ""))
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = open_transport(connection)
        return _SHARED[key]


def close_shared() -> None:
    while True:
        with _SHARED_LOCK:
            if not _SHARED:
                return
            _, t = _SHARED.popitem()
        t.close()
