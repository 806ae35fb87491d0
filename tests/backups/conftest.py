"""Backups and host checks run against one real PostgreSQL server per session (tests/support/postgres.py)
and, for the ssh transport, one real sshd (tests/support/sshd.py)."""

from collections.abc import Iterator

import pytest

from tests.support.postgres import postgres  # noqa: F401
from tests.support.sshd import Sshd, sshd_available, start_sshd


@pytest.fixture(scope="session")
def backup_sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """A real sshd on 127.0.0.1 for backups over the ssh transport."""
    if not sshd_available():
        pytest.fail("sshd is not installed: run `make setup` (it installs openssh-server)")
    with start_sshd(tmp_path_factory.mktemp("backup-sshd")) as server:
        yield server
