"""The test PostgreSQL server behaves like a production one for libpq clients: the password comes only from
PGPASSFILE, so a client that ignores libpq conventions fails here as it would on a real host."""

from __future__ import annotations

import os
import subprocess

import psycopg
import pytest

from tests.support.postgres import Postgres


def test_password_comes_from_the_passfile_named_by_libpq_env(postgres: Postgres) -> None:
    db = postgres.create_database()
    env = {**os.environ, **postgres.env(dbname=db)}
    out = subprocess.run(["psql", "-XAtc", "select current_user, current_database()"], env=env,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"{postgres.superuser}|{db}"

    without = {k: v for k, v in env.items() if k != "PGPASSFILE"}
    without["PGPASSFILE"] = "/nonexistent"
    denied = subprocess.run(["psql", "-XAtc", "select 1", "-w"], env=without, capture_output=True, text=True,
                            check=False)
    assert denied.returncode != 0
    assert "password" in denied.stderr


def test_url_without_password_connects_with_psycopg(postgres: Postgres) -> None:
    db = postgres.create_database()
    role = postgres.create_role("reader_" + db)
    with psycopg.connect(postgres.url(db, role), passfile=str(postgres.passfile)) as conn:
        assert conn.execute("select current_user").fetchone() == (role,)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(postgres.url(db, role), passfile="/nonexistent", connect_timeout=5)


def test_pg_dump_of_the_same_version_is_first_on_path(postgres: Postgres) -> None:
    db = postgres.create_database()
    postgres.execute(db, "create table t (x int); insert into t values (41)")
    env = {**os.environ, **postgres.env(dbname=db)}
    dump = subprocess.run(["pg_dump", "--format=plain"], env=env, capture_output=True, text=True, check=True)
    assert "CREATE TABLE public.t" in dump.stdout
