"""Backups and host checks run against one real PostgreSQL server per session (tests/support/postgres.py)."""

from tests.support.postgres import postgres  # noqa: F401
