"""Team-mode tests: both backend flavours, on a real PostgreSQL server per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import Postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_spec(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, empty backend of each flavour: a `sqlite:///` file in a temp dir, or a new PostgreSQL
    database reached with libpq environment variables (the password only in PGPASSFILE)."""
    monkeypatch.chdir(tmp_path)
    if request.param == "sqlite":
        yield "sqlite:///.tempoctl/state.db"
        return
    pg: Postgres = request.getfixturevalue("postgres")
    for k, v in pg.env().items():
        monkeypatch.setenv(k, v)
    yield pg.url(pg.create_database())
