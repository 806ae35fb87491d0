"""The backend API both flavours share: schema on first use, managed keys, cursors, journal, audit, locks."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tempoctl.backend import open_backend, parse_duration
from tempoctl.backend.holder import LockHolder
from tempoctl.errors import ConfigError, LockError


def test_managed_keys_and_cursors_are_kept_per_environment_and_survive_reopening(backend_spec: str) -> None:
    with open_backend(backend_spec) as b:
        b.remember_keys("prod", "vision_records.whitelist", ["GA", "GB", "GB"])
        b.remember_keys("staging", "vision_records.whitelist", ["GC"])
        b.forget_keys("prod", "vision_records.whitelist", ["GA", "GZ"])
        b.set_cursor("prod", "events.ledger", "100")
        b.set_cursor("prod", "events.ledger", "250")
    with open_backend(backend_spec) as b:
        assert b.managed_keys("prod", "vision_records.whitelist") == {"GB"}
        assert b.managed_keys("staging", "vision_records.whitelist") == {"GC"}
        assert b.managed_keys("prod", "other") == set()
        assert b.get_cursor("prod", "events.ledger") == "250"
        assert b.get_cursor("staging", "events.ledger") is None


def test_schema_version_is_recorded_and_a_newer_schema_is_refused(backend_spec: str) -> None:
    from tempoctl.backend.base import BackendError
    from tempoctl.backend.schema import LATEST

    with open_backend(backend_spec) as b:
        assert b._exec("SELECT version FROM schema_version") == [(LATEST,)]
        b._exec("UPDATE schema_version SET version = ?", (LATEST + 1,))
    with pytest.raises(BackendError, match="knows up to"):
        open_backend(backend_spec)


def test_journal_rows_are_settled_by_a_receipt_or_abandonment(backend_spec: str) -> None:
    with open_backend(backend_spec) as b:
        for n, h in enumerate(["0xa1", "0xa2", "0xa3"]):
            b.journal_append("prod", "run1", "intent", {"tx_hash": h, "nonce": n, "sender": "0xS", "address": f"x{n}"})
        b.journal_append("prod", "run1", "receipt", {"tx_hash": "0xa1", "status": 1})
        b.journal_append("prod", "run1", "abandoned", {"tx_hash": "0xa3"})
        b.journal_append("staging", "run2", "intent", {"tx_hash": "0xb1", "nonce": 0})
        assert [e["tx_hash"] for e in b.unsettled("prod")] == ["0xa2"]
        assert b.unsettled("prod")[0]["nonce"] == 1
        assert [e["event"] for e in b.journal_entries("prod", "run1")] == ["intent"] * 3 + ["receipt", "abandoned"]


def test_audit_log_records_who_which_plan_and_each_step(backend_spec: str) -> None:
    with open_backend(backend_spec) as b:
        me = LockHolder.me("prod", "apply prod")
        b.audit_begin("prod", "run1", holder=me, git_commit="abc123", plan_fingerprint="fp1")
        b.journal_append("prod", "run1", "intent", {"tx_hash": "0xa1", "address": "c.roles"})
        b.journal_append("prod", "run1", "receipt", {"tx_hash": "0xa1", "status": 1})
        b.audit_end("run1", "ok")
        [entry] = b.applies("prod")
        assert entry["outcome"] == "ok" and entry["git_commit"] == "abc123" and entry["plan_fingerprint"] == "fp1"
        assert entry["holder"] == me.holder and entry["finished_at"]
        assert [(s["event"], s["tx_hash"]) for s in entry["steps"]] == [("intent", "0xa1"), ("receipt", "0xa1")]
        assert b.applies("staging") == []


def test_lock_is_per_environment_and_a_second_holder_is_told_who_holds_it(backend_spec: str) -> None:
    with open_backend(backend_spec) as one, open_backend(backend_spec) as two:
        with one.lock("prod", command="apply prod") as held:
            assert two.lock_status("prod") == held
            with pytest.raises(LockError) as err, two.lock("prod", command="apply prod"):
                pass
            assert held.lock_id in err.value.detail and f"pid {os.getpid()}" in err.value.detail
            with two.lock("staging", command="apply staging"):  # another environment is not blocked
                pass
        assert two.lock_status("prod") is None
        with two.lock("prod", command="apply prod"):
            pass


HOLDER = """
import os, sys, time
from tempoctl.backend import open_backend
b = open_backend(sys.argv[1])
with b.lock("prod", command="apply prod"):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
print("released", flush=True)
time.sleep(60)
"""


def _holder(spec: str, seconds: float) -> subprocess.Popen[str]:
    """Another process that takes the lock of `prod`, holds it `seconds`, releases it, then idles."""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, spec, str(seconds)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(root)})
    assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
    return proc


def test_lock_timeout_waits_for_the_holder_to_finish(backend_spec: str) -> None:
    holder = _holder(backend_spec, 1.0)
    try:
        with open_backend(backend_spec) as b:
            with pytest.raises(LockError), b.lock("prod", command="apply prod"):
                pass
            with b.lock("prod", command="apply prod", timeout=60, poll=0.05) as mine:
                assert b.lock_status("prod") == mine
            assert holder.stdout is not None and holder.stdout.readline() == "released\n"
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_holder_does_not_leave_a_stuck_lock(backend_spec: str) -> None:
    holder = _holder(backend_spec, 600)
    try:
        with open_backend(backend_spec) as b:
            status = b.lock_status("prod")
            assert status is not None and status.pid == holder.pid
            with pytest.raises(LockError), b.lock("prod", command="apply prod"):
                pass
            holder.kill()
            holder.wait()
            # PostgreSQL notices the dropped connection a moment later; SQLite sees the dead pid at once.
            with b.lock("prod", command="apply prod", timeout=30, poll=0.05) as mine:
                assert mine.pid == os.getpid()
    finally:
        holder.kill()
        holder.wait()


def test_force_release_needs_the_right_id(tmp_path: Path) -> None:
    spec = f"sqlite:///{tmp_path}/s.db"
    stuck = LockHolder("prod", "deadbeef0001", "ci", "other-host", 1, "", "apply prod", "2026-01-01T00:00:00Z")
    with open_backend(spec) as b:
        b._write_holder(stuck)
        with pytest.raises(LockError) as err, b.lock("prod", command="apply prod"):
            pass
        assert "ci@other-host" in err.value.detail and "lock release prod --id deadbeef0001" in err.value.hint
        with pytest.raises(LockError, match="not wrong"):
            b.force_release("prod", "wrong")
        assert b.force_release("prod", stuck.lock_id) == stuck
        assert b.lock_status("prod") is None


def test_sqlite_file_is_private_and_relative_to_the_working_directory(tmp_path: Path) -> None:
    with open_backend("sqlite:///sub/state.db", tmp_path):
        pass
    path = tmp_path / "sub" / "state.db"
    assert path.stat().st_mode & 0o077 == 0
    assert sqlite3.connect(path).execute("SELECT count(*) FROM schema_version").fetchone() == (1,)


def test_a_password_in_the_postgresql_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as err:
        open_backend("postgresql://ops:hunter2secret@db.example/tempoctl")
    assert "hunter2secret" not in err.value.render() and "PGPASSFILE" in err.value.render()


@pytest.mark.parametrize(("text", "seconds"), [("0", 0), ("30s", 30), ("5m", 300), ("1h30m", 5400), ("500ms", 0.5)])
def test_lock_timeout_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5", "five minutes", "-1s", "5x"])
def test_bad_lock_timeout_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_duration(text)


def test_a_ci_role_with_only_table_grants_can_lock_and_journal(postgres, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL 15+ gives ordinary roles no CREATE on schema public: an administrator creates the schema
    once (first use), then grants the CI role read/write on tempoctl's tables."""
    db = postgres.create_database()
    role = postgres.create_role("ci_runner_" + db)
    for k, v in postgres.env().items():
        monkeypatch.setenv(k, v)
    with open_backend(postgres.url(db)):
        pass  # the administrator's first use creates the schema
    postgres.execute(db, f"REVOKE CREATE ON SCHEMA public FROM PUBLIC; "
                         f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}; "
                         f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    with open_backend(postgres.url(db, user=role)) as b, b.lock("prod", command="apply prod") as held:
        b.journal_append("prod", "run1", "intent", {"tx_hash": "0xa1", "nonce": 0})
        b.remember_keys("prod", "s", ["k"])
        assert b.lock_status("prod") == held and [e["tx_hash"] for e in b.unsettled("prod")] == ["0xa1"]


def test_a_new_sqlite_file_opened_while_another_process_writes_it_waits_instead_of_failing(tmp_path: Path) -> None:
    """Two applies started by one CI job create the file together. Switching a brand-new file to WAL needs an
    exclusive lock and SQLite answers "database is locked" at once, without waiting, when the other
    opener holds the write lock; the loser must wait for it and go on to the lock row."""
    import threading
    import time

    path = tmp_path / ".tempoctl" / "state.db"
    path.parent.mkdir()
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE opened_first (x)")
    release = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    try:
        with open_backend(f"sqlite:///{path}") as b:
            assert b.lock_status("local") is None
    finally:
        release.join()
        other.close()
    assert time.monotonic() - started >= 0.4  # it waited for the other writer rather than racing past it


def test_an_older_schema_is_brought_forward_by_an_administrator_not_half_by_a_ci_role(postgres, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A backend written by the previous tempoctl (schema 1, no hand-off table): a CI role without CREATE
    gets a message saying who must migrate it, and nothing changes; the administrator's next use migrates."""
    from tempoctl.backend.base import BackendError
    from tempoctl.backend.schema import LATEST

    db = postgres.create_database()
    role = postgres.create_role("ci_runner_" + db)
    for k, v in postgres.env().items():
        monkeypatch.setenv(k, v)
    with open_backend(postgres.url(db)) as b:
        import re

        from tempoctl.backend.schema import MIGRATIONS

        for later in MIGRATIONS[1:]:  # every table a later migration created, so schema 1 is what remains
            for table in re.findall(r"CREATE TABLE (\w+)", " ".join(later)):
                b._exec(f"DROP TABLE {table}")
            for table, column in re.findall(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", " ".join(later)):
                b._exec(f"ALTER TABLE {table} DROP COLUMN {column}")
        b._exec("UPDATE schema_version SET version = 1")
    postgres.execute(db, f"REVOKE CREATE ON SCHEMA public FROM PUBLIC; "
                         f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}; "
                         f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    with pytest.raises(BackendError) as err:
        open_backend(postgres.url(db, user=role))
    assert "from schema version 1 to" in err.value.summary and "CREATE on the schema" in err.value.hint
    assert "permission denied" in err.value.detail
    with open_backend(postgres.url(db)) as b:  # the administrator
        assert b._exec("SELECT version FROM schema_version") == [(LATEST,)]
        assert b.pending_records("prod") == {}
    postgres.execute(db, f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    with open_backend(postgres.url(db, user=role)) as b:
        b.update_pending("prod", {"governance.role.ADMIN[0xabc]": {"digest": "sha256:1", "handoff": "Safe batch"}})
        assert b.pending_records("prod") == {"governance.role.ADMIN[0xabc]": {"digest": "sha256:1", "handoff": "Safe batch"}}
        b.update_pending("prod", {}, drop=["governance.role.ADMIN[0xabc]"])
        assert b.pending_records("prod") == {}


def test_a_postgres_holder_caught_before_writing_its_row_is_still_named(postgres, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL the lock is the advisory lock and the row describing its holder follows a moment later.
    A second apply arriving in that moment waits for the row, so the operator is told whose apply it is
    (pid, command) rather than an anonymous session."""
    import threading

    from tempoctl.backend.postgres import lock_key

    for k, v in postgres.env().items():
        monkeypatch.setenv(k, v)
    url = postgres.url(postgres.create_database())
    with open_backend(url) as one, open_backend(url) as two:
        holder = LockHolder.me("prod", "apply prod (the first)")
        [(session, taken)] = one._exec("SELECT pg_backend_pid(), pg_try_advisory_lock(?)", (lock_key("prod"),))
        assert taken
        writer = threading.Timer(0.3, one._take, (holder, int(session)))  # type: ignore[attr-defined]
        writer.start()
        try:
            with pytest.raises(LockError) as err, two.lock("prod", command="apply prod"):
                pass
        finally:
            writer.join()
        assert holder.lock_id in err.value.detail and f"pid {os.getpid()}" in err.value.detail
        assert "apply prod (the first)" in err.value.detail


def test_the_secret_comparison_key_is_made_once_and_only_when_asked(backend_spec: str) -> None:
    """Issue 10 item 4: a random 32-byte key per environment, created by drift/apply (create=True), read by
    plan (create=False); concurrent first uses agree on one key."""
    with open_backend(backend_spec) as b:
        assert b.comparison_key("prod", create=False) is None
        key = b.comparison_key("prod", create=True)
        assert key is not None and len(key) == 32
        assert b.comparison_key("prod", create=True) == key == b.comparison_key("prod", create=False)
        assert b.comparison_key("staging", create=True) != key
