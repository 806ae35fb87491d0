"""Security tests attack every kind of step, so they use the Soroban and host fixtures too."""

from tests.hosts.conftest import units  # noqa: F401 - the stand-in systemctl's state per test
from tests.stellar.conftest import emulator, teye  # noqa: F401 - the Soroban RPC emulator, a fresh contract
