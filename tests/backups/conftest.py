"""Backups and host checks run against the session's real PostgreSQL server (tests/support/postgres.py)
and, for the ssh transport, its real sshd (tests/support/sshd.py); both fixtures are registered in
tests/conftest.py."""
