"""A real PostgreSQL server for the tests (DESIGN §9): initdb + pg_ctl from the Debian `postgresql` package,
run as an unprivileged OS user (PostgreSQL refuses root; `make setup` creates `tempoctl-test`), in a temp
dir, on a free port, listening on 127.0.0.1 and on a unix socket dir. One server per test session.

Credentials follow libpq conventions, the way tempoctl reads them in production: TCP connections need a
password (scram-sha-256) that lives only in a PGPASSFILE; `Postgres.env()` gives PGHOST/PGPORT/PGUSER/
PGPASSFILE for a subprocess or a CliRunner, `Postgres.url()` a postgresql:// URL without a password. The unix
socket dir trusts local roles (for the server's own user only; tests should use TCP + the passfile).

Use from any conftest:  `from tests.support.postgres import postgres  # noqa: F401` (session fixture), then
`postgres.create_database()` for a fresh database per test.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.anvil import free_port

TEST_OS_USER = "tempoctl-test"
SUPERUSER = "tempoctl"
_counter = itertools.count(1)


def find_bin_dir() -> Path:
    """The directory holding initdb/pg_ctl/pg_dump of one PostgreSQL version: the newest
    /usr/lib/postgresql/<v>/bin (Debian keeps them off PATH), else wherever `initdb` on PATH really lives."""
    candidates = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()]

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p.parent.name)) or (0,)

    if candidates:
        return max(candidates, key=version)
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found: run `make setup`")


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    try:
        pwd.getpwnam(TEST_OS_USER)
    except KeyError:
        raise RuntimeError(f"OS user {TEST_OS_USER!r} is missing: run `make setup`") from None
    return ["runuser", "-u", TEST_OS_USER, "--", *argv]


@dataclass
class Postgres:
    host: str
    port: int
    socket_dir: Path
    bin_dir: Path
    passfile: Path
    superuser: str = SUPERUSER
    passwords: dict[str, str] = field(default_factory=dict)

    def env(self, user: str | None = None, dbname: str | None = None) -> dict[str, str]:
        """libpq environment for a client: no password in it, only the passfile. PATH puts this server's
        client tools (pg_dump/pg_restore of the same version) first."""
        out = {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": user or self.superuser,
            "PGPASSFILE": str(self.passfile),
            "PATH": f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        if dbname:
            out["PGDATABASE"] = dbname
        return out

    def url(self, dbname: str, user: str | None = None) -> str:
        """postgresql://user@127.0.0.1:port/dbname: the password comes from PGPASSFILE, never the URL."""
        return f"postgresql://{user or self.superuser}@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", user: str | None = None) -> Any:
        """An autocommit psycopg connection (password read by libpq from the passfile)."""
        import psycopg

        return psycopg.connect(self.url(dbname, user), autocommit=True, passfile=str(self.passfile))

    def execute(self, dbname: str, sql: str, params: tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
        with self.connect(dbname) as conn, conn.cursor() as cur:
            cur.execute(sql, params)  # type: ignore[arg-type]
            return list(cur.fetchall()) if cur.description else []

    def create_role(self, name: str, password: str | None = None, superuser: bool = False) -> str:
        """A login role whose password is added to the passfile (libpq finds it there)."""
        from psycopg import sql

        password = password or secrets.token_hex(12)
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} {}").format(
                sql.Identifier(name), sql.Literal(password), sql.SQL("SUPERUSER" if superuser else "")))
        self.passwords[name] = password
        self._write_passfile()
        return name

    def create_database(self, name: str | None = None, owner: str | None = None) -> str:
        """A fresh, uniquely named database (tests never share one)."""
        from psycopg import sql

        name = name or f"t{os.getpid()}_{next(_counter)}"
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(owner or self.superuser)))
        return name

    def _write_passfile(self) -> None:
        lines = [f"{self.host}:{self.port}:*:{user}:{pw}" for user, pw in self.passwords.items()]
        self.passfile.write_text("\n".join(lines) + "\n")
        self.passfile.chmod(0o600)


@contextlib.contextmanager
def start_postgres() -> Iterator[Postgres]:
    """initdb a throw-away cluster, start it, yield it, stop it (immediate) and remove every file."""
    bin_dir = find_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="tempoctl-pg-"))
    data, sockets, client = root / "data", root / "sockets", root / "client"
    for d in (sockets, client):
        d.mkdir()
    password = secrets.token_hex(16)
    pwfile = root / "initdb-pw"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        _as_server_user([])  # fails clearly when the user is missing
        owner = pwd.getpwnam(TEST_OS_USER)
        for p in (root, sockets, pwfile):
            os.chown(p, owner.pw_uid, owner.pw_gid)
    # The client dir (passfile) stays private to the test process.
    client.chmod(0o700)
    log = root / "server.log"
    server: Postgres | None = None
    try:
        subprocess.run(
            _as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, f"--pwfile={pwfile}",
                             "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                             "--locale=C", "--no-sync"]),
            check=True, capture_output=True)
        pwfile.unlink()
        for attempt in range(3):
            port = free_port()
            opts = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
            started = subprocess.run(
                _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts,
                                 "-w", "-t", "60", "start"]),
                capture_output=True, text=True, check=False)
            if started.returncode == 0:
                break
            if attempt == 2:
                detail = log.read_text() if log.exists() else started.stderr
                raise RuntimeError(f"PostgreSQL did not start:\n{started.stderr}\n{detail[-2000:]}")
        server = Postgres("127.0.0.1", port, sockets, bin_dir, client / "pgpass",
                          passwords={SUPERUSER: password})
        server._write_passfile()
        yield server
    finally:
        if data.exists():
            subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                            "stop"]), capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One real PostgreSQL server per test session (see the module docstring)."""
    with start_postgres() as server:
        yield server
