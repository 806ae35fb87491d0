"""A real OpenSSH server on 127.0.0.1 for the ssh transport tests (Debian `openssh-server`, `make setup`).

Started once per test session in a temp dir with a throw-away host key and user key; the client gets its own
config file (passed as TEMPOCTL_SSH_CONFIG) so the user's ~/.ssh is never read or written. Sessions log in as
the user running the tests. `SetEnv` puts tests/support/bin (the stand-in `systemctl`/`journalctl`) first on
PATH and names the stand-in's state file, so remote commands see the same stand-in as local ones.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.anvil import free_port

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
STAND_IN_BIN = Path(__file__).resolve().parent / "bin"


def sshd_available() -> bool:
    return os.path.exists(SSHD) and shutil.which("ssh") is not None


@dataclass
class Sshd:
    port: int
    user: str
    root: Path
    client_config: Path
    log_file: Path
    systemctl_state: Path

    @property
    def connection(self) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}"

    def accepted_logins(self) -> int:
        """How many authenticated connections the server has accepted (one per ssh master)."""
        text = self.log_file.read_text("utf-8", "replace") if self.log_file.exists() else ""
        return text.count("Accepted publickey")


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tempoctl-test", "-f", str(path)], check=True)


@contextlib.contextmanager
def start_sshd(root: Path, extra_config: str = "") -> Iterator[Sshd]:
    """`extra_config`: more sshd_config lines (the hosts benchmark raises `MaxStartups`)."""
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    user = getpass.getuser()
    port = free_port()
    host_key, user_key = root / "host_ed25519", root / "user_ed25519"
    _keygen(host_key)
    _keygen(user_key)
    auth = root / "authorized_keys"
    shutil.copy(f"{user_key}.pub", auth)
    auth.chmod(0o600)
    state = root / "systemctl-state.json"
    log_file = root / "sshd.log"
    path = f"{STAND_IN_BIN}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
    (root / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile {root / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {auth}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        f"PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\n"
        f"LogLevel VERBOSE\nMaxSessions 50\nSetEnv PATH={path} TEMPOCTL_TEST_SYSTEMCTL_STATE={state}\n"
        + extra_config
    )
    pub_host = (root / "host_ed25519.pub").read_text().split()
    known = root / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {pub_host[0]} {pub_host[1]}\n")
    client = root / "ssh_config"
    client.write_text(
        f"Host 127.0.0.1\n  IdentityFile {user_key}\n  IdentitiesOnly yes\n  UserKnownHostsFile {known}\n"
        f"  StrictHostKeyChecking yes\n  GlobalKnownHostsFile /dev/null\n  LogLevel ERROR\n"
    )
    os.makedirs("/run/sshd", exist_ok=True)  # privilege-separation dir sshd insists on when run as root
    proc = subprocess.Popen([SSHD, "-D", "-f", str(root / "sshd_config"), "-E", str(log_file)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while "Server listening" not in (log_file.read_text() if log_file.exists() else ""):
            if proc.poll() is not None:
                err = (proc.stderr.read() if proc.stderr else b"").decode()
                log = log_file.read_text() if log_file.exists() else ""
                raise RuntimeError(f"sshd exited: {err}{log}")
            if time.monotonic() > deadline:
                raise RuntimeError("sshd did not start listening")
            time.sleep(0.05)
        yield Sshd(port, user, root, client, log_file, state)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """One real sshd per test session, for hosts, backups and consumers over the ssh transport. Registered
    once, in tests/conftest.py: a fixture imported by two conftests would start two servers."""
    if not sshd_available():
        pytest.fail("sshd is not installed: run `make setup` (it installs openssh-server)")
    with start_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server
