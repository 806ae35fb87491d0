"""Issue 12 item 3 with issue 10's trusted base (DESIGN §8): under `--trusted-base REF`, host and database reads
are limited to what REF declares. Each attack is a pull request on a real git repository: `main` holds the
base, the working tree holds the PR's changes, and `plan`/`drift --trusted-base main` run on it.

What the base does not declare is not read (no ssh connection, no file read, no database or backend
connection) and is marked in the plan as "not read … (read after merge)"; it plans no change and counts as no
drift. What the base declares unchanged is read and planned as before."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.backups.support import make_world
from tests.conftest import Workspace
from tests.hostile.test_checks_hostile import _Listener, listener  # noqa: F401 - the fixture
from tests.hosts.conftest import units  # noqa: F401 - the stand-in systemctl fixture
from tests.hosts.support import define_units, sleeper, write_env
from tests.support.anvil import Anvil
from tests.support.postgres import Postgres
from tests.support.sshd import Sshd

SECRET = "pr-reach-secret-value-0123456789"
DB_PASSWORD = "Pg-Pa55word-live-trusted-0123456789"
PGPASSWORD = "pgpassword-from-env-trusted-0123456789"
PRIVY = "privy-live-secret-trusted-abcdef123456"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.email=t@example.invalid", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


def commit_base(root: Path) -> None:
    """Make `root` a repository whose `main` holds the state files as they are now (the trusted base)."""
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A", "state")
    _git(root, "commit", "-qm", "base")


def plan_json(ws: Workspace, env: str, *extra: str) -> dict[str, object]:
    res = ws.run("plan", env, "--trusted-base", "main", "--format", "json", *extra)
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    doc: dict[str, object] = json.loads(res.output)
    return doc


def _notes(doc: dict[str, object]) -> str:
    notes = doc.get("notes")
    assert isinstance(notes, list)
    return "\n".join(str(n) for n in notes)


def _addresses(doc: dict[str, object]) -> set[str]:
    return {str(c["address"]) for key in ("changes", "drift") for c in doc.get(key) or []  # type: ignore[attr-defined]
            }


def test_a_pr_adding_a_root_and_an_env_file_there_gets_it_unread(workspace: Workspace, tmp_path: Path) -> None:
    """(a) A PR widens `roots:` to a directory holding credentials and declares a file there public."""
    srv = workspace.root / "srv"
    srv.mkdir()
    (srv / "app.env").write_text("A=1\n")
    outside = tmp_path.parent / f"{tmp_path.name}-creds"
    outside.mkdir()
    (outside / "token.env").write_text(f"TOKEN={SECRET}\n")
    write_env(workspace.root, "pr", """hosts:
  app:
    connection: local
    env_files:
      srv/app.env:
        values: {A: "2"}
        public: [A]
""")
    commit_base(workspace.root)
    write_env(workspace.root, "pr", f"""hosts:
  app:
    connection: local
    roots: ["{workspace.root}", "{outside}"]
    env_files:
      srv/app.env:
        values: {{A: "2"}}
        public: [A]
      {outside}/token.env:
        values: {{TOKEN: "x"}}
        public: [TOKEN]
""")
    assert workspace.run("validate", "pr").exit_code == 0  # the PR's files are valid on their own
    doc = plan_json(workspace, "pr")
    text = json.dumps(doc)
    assert SECRET not in text
    assert (f"app.env_file[{outside}/token.env]: not read: hosts.app.env_files.{outside}/token.env is not "
            "declared on main (read after merge)") in _notes(doc)
    assert f"app.env_file[{outside}/token.env]" not in _addresses(doc)  # no change planned for unread state
    assert "app.env_file[srv/app.env]" in _addresses(doc)  # the base's file is still read and planned
    for fmt in ("text", "markdown"):
        out = workspace.run("plan", "pr", "--trusted-base", "main", "--format", fmt).output
        assert SECRET not in out and "not read" in out and "read after merge" in out, out
    comment = workspace.run("plan", "pr", "--trusted-base", "main", "--format", "markdown").output
    visible = comment.split("<details>")[0]  # a reviewer sees it without unfolding the plan
    assert "**Not read until merged (1):**" in visible and "token.env" in visible, comment
    res = workspace.run("drift", "pr", "--trusted-base", "main", "--format", "json")
    assert SECRET not in res.output and "not read" in res.output
    assert f"{outside}/token.env]" not in json.dumps(json.loads(res.output)["drift"])


def test_a_pr_widening_roots_does_not_let_a_declared_symlink_out(workspace: Workspace, tmp_path: Path) -> None:
    """The base declares `srv/link.env`, a symlink on the host to a file outside its roots (so it is neither
    read nor written); a PR adds the target's directory to `roots:`. The roots stay the base's."""
    srv = workspace.root / "srv"
    srv.mkdir()
    outside = tmp_path.parent / f"{tmp_path.name}-target"
    outside.mkdir()
    (outside / "secret.env").write_text(f"TOKEN={SECRET}\n")
    (srv / "link.env").symlink_to(outside / "secret.env")
    base = """hosts:
  app:
    connection: local
{roots}    env_files:
      srv/link.env: {{values: {{TOKEN: "x"}}, public: [TOKEN]}}
"""
    write_env(workspace.root, "pr", base.format(roots=""))
    commit_base(workspace.root)
    write_env(workspace.root, "pr", base.format(roots=f'    roots: ["{workspace.root}", "{outside}"]\n'))
    doc = plan_json(workspace, "pr")
    assert SECRET not in json.dumps(doc)
    assert any(d["kind"] == "outside_roots" for d in doc["drift"])  # type: ignore[attr-defined]


def test_a_pr_pointing_a_host_elsewhere_connects_nowhere(workspace: Workspace, listener: _Listener) -> None:  # noqa: F811
    """(b) A PR changes a declared host's `connection` to its own ssh destination."""
    srv = workspace.root / "srv"
    srv.mkdir()
    (srv / "app.env").write_text("A=1\n")
    write_env(workspace.root, "pr", """hosts:
  app:
    connection: local
    env_files:
      srv/app.env: {values: {A: "2"}, public: [A]}
""")
    commit_base(workspace.root)
    write_env(workspace.root, "pr", f"""hosts:
  app:
    connection: ssh://deploy@127.0.0.1:{listener.port}
    roots: ["~", "/srv"]
    env_files:
      /srv/app.env: {{values: {{A: "2"}}, public: [A]}}
""")
    assert workspace.run("validate", "pr").exit_code == 0
    for cmd in ("plan", "drift"):
        res = workspace.run(cmd, "pr", "--trusted-base", "main", "--format", "json")
        assert res.exit_code == 0, res.output
        assert "app: not read: hosts.app.connection differs from main (read after merge)" in res.output
    assert listener.received == b""


def test_a_pr_making_a_key_public_does_not_show_its_value(workspace: Workspace) -> None:
    """(c) `public:` comes from the base: a PR adding `public: [DATABASE_URL]` shows no live value."""
    srv = workspace.root / "srv"
    srv.mkdir()
    (srv / "app.env").write_text(f"DATABASE_URL=postgresql://app:{DB_PASSWORD}@db/app\nPORT=8080\n")
    write_env(workspace.root, "pr", """hosts:
  app:
    connection: local
    env_files:
      srv/app.env:
        values: {DATABASE_URL: "x", PORT: "8080"}
        public: [PORT]
""")
    commit_base(workspace.root)
    write_env(workspace.root, "pr", """hosts:
  app:
    connection: local
    env_files:
      srv/app.env:
        values: {DATABASE_URL: "x", PORT: "8080"}
        public: [PORT, DATABASE_URL]
""")
    for fmt in ("json", "text", "markdown"):
        res = workspace.run("plan", "pr", "--trusted-base", "main", "--format", fmt)
        assert res.exit_code == 0, res.output
        assert DB_PASSWORD not in res.output, res.output
        assert "(sensitive) changed" in res.output, res.output
    res = workspace.run("drift", "pr", "--trusted-base", "main", "--format", "json")
    assert DB_PASSWORD not in res.output and "(sensitive) changed" in res.output


def test_a_pr_cannot_test_a_guess_of_a_live_value(workspace: Workspace) -> None:
    """A PR writing its guess of a sensitive value gets the same plan whether the guess is right or wrong:
    the verdict `(sensitive) unchanged`/`changed` on a value only the PR declares is not computed."""
    srv = workspace.root / "srv"
    srv.mkdir()
    live = PRIVY
    (srv / "app.env").write_text(f"PRIVY_APP_SECRET={live}\nPORT=8080\n")
    body = """hosts:
  app:
    connection: local
    env_files:
      srv/app.env:
        values: {{PRIVY_APP_SECRET: "{value}", PORT: "{port}"}}
        public: [PORT]
"""
    write_env(workspace.root, "pr", body.format(value="privy-old-value-000", port="8080"))
    commit_base(workspace.root)
    seen, notes = [], []
    for guess in (live, "privy-wrong-guess-111"):
        write_env(workspace.root, "pr", body.format(value=guess, port="9090"))
        doc = plan_json(workspace, "pr")
        notes.append(_notes(doc))
        changes = [{k: v for k, v in c.items() if k != "reason"} for c in doc["changes"]]  # type: ignore[attr-defined]
        seen.append((json.dumps(changes), json.dumps(doc["drift"])))  # `reason` is a file:line:col
        assert PRIVY not in json.dumps(doc)
    assert seen[0] == seen[1]
    assert all("PRIVY_APP_SECRET not compared: hosts.app.env_files.srv/app.env.values.PRIVY_APP_SECRET differs from "
               "main (compared after merge)" in n for n in notes)
    assert '"PORT": "9090"' in seen[0][0]  # the plain, public key the PR changes is still planned


def test_a_pr_pointing_the_indexer_check_at_a_listener_sends_nothing(
        tmp_path: Path, postgres: Postgres, anvil: Anvil, listener: _Listener) -> None:  # noqa: F811
    """(d) A PR declares its own server under `databases:` and points the check's DSN at it."""
    world = make_world(tmp_path, postgres)
    world.env["PGPASSWORD"] = PGPASSWORD
    world.extra["networks"] = {"tempo": {"type": "evm", "chain_id": anvil.chain_id, "rpc_url": anvil.url}}
    world.extra["databases"] = {"main": {"host": "127.0.0.1", "port": postgres.port}}
    world.hosts["db-1"]["checks"] = {"indexer_lag": {
        "database": f"postgresql://{postgres.superuser}@127.0.0.1:{postgres.port}/postgres?sslmode=disable",
        "network": "tempo", "max_blocks": 1}}
    world.write()
    commit_base(world.root)
    world.extra["databases"]["pr"] = {"host": "127.0.0.1", "port": listener.port}
    world.hosts["db-1"]["checks"]["indexer_lag"]["database"] = (
        f"postgresql://victim@127.0.0.1:{listener.port}/x?sslmode=disable")
    assert world.run("validate", "bk").exit_code == 0
    for cmd in (("drift", "bk", "--format", "json"), ("plan", "bk", "--format", "json")):
        res = world.run(*cmd, "--trusted-base", "main")
        assert res.exit_code in (0, 2), res.output
        assert ("db-1.check[indexer_lag]: not read: hosts.db-1.checks.indexer_lag.database differs from main "
                "(read after merge)") in res.output
        assert PGPASSWORD not in res.output
    assert listener.received == b""


def test_a_pr_changing_the_databases_entry_of_the_base_dsn_sends_nothing(
        tmp_path: Path, postgres: Postgres, anvil: Anvil, listener: _Listener) -> None:  # noqa: F811
    """(d) The check is the base's, but only servers the base declares count as declared."""
    world = make_world(tmp_path, postgres)
    world.env["PGPASSWORD"] = PGPASSWORD
    world.extra["networks"] = {"tempo": {"type": "evm", "chain_id": anvil.chain_id, "rpc_url": anvil.url}}
    world.hosts["db-1"]["checks"] = {"indexer_lag": {
        "database": f"postgresql://victim@127.0.0.1:{listener.port}/x?sslmode=disable", "network": "tempo",
        "max_blocks": 1}}
    world.extra["databases"] = {}
    world.write()  # the base names a server it does not declare: validate refuses it there
    commit_base(world.root)
    world.extra["databases"] = {"pr": {"host": "127.0.0.1", "port": listener.port}}
    res = world.run("drift", "bk", "--format", "json", "--trusted-base", "main")
    assert f"127.0.0.1:{listener.port} is not declared" in res.output, res.output
    assert listener.received == b""


def test_a_pr_naming_another_backend_opens_none(workspace: Workspace, listener: _Listener) -> None:  # noqa: F811
    """(e) A PR's `backend:` is not opened: the comparison key and records stay with the base's backend."""
    srv = workspace.root / "srv"
    srv.mkdir()
    (srv / "app.env").write_text("A=2\nTOKEN=live-token-value-0123456789\n")
    write_env(workspace.root, "pr", """hosts:
  app:
    connection: local
    env_files:
      srv/app.env: {values: {A: "2"}, public: [A]}
""")
    commit_base(workspace.root)
    write_env(workspace.root, "pr", """hosts:
  app:
    connection: local
    env_files:
      srv/app.env: {values: {A: "2", TOKEN: {secret: env:APP_TOKEN}}, public: [A]}
""")
    _git(workspace.root, "commit", "-qam", "base: a secret compared under the backend's key")
    workspace.env["APP_TOKEN"] = SECRET
    env = (workspace.root / "state/pr/environment.yaml")
    env.write_text(env.read_text().replace("backend: sqlite:///.tempoctl/pr.db",
                                           f"backend: postgresql://victim@127.0.0.1:{listener.port}/x"))
    workspace.env["PGPASSWORD"] = PGPASSWORD
    for cmd in ("plan", "drift"):
        res = workspace.run(cmd, "pr", "--trusted-base", "main", "--format", "json")
        assert res.exit_code == 0, res.output  # A is in sync; the uncompared TOKEN is not drift
        assert "backend: not opened: backend differs from main (read after merge)" in res.output
        assert SECRET not in res.output
        if cmd == "plan":  # the base's file is still read
            assert json.loads(res.output)["inputs"]["app.env_file[srv/app.env]"]["values"]["A"] == "2"
    assert listener.received == b""


def test_a_pr_moving_a_backup_destination_gets_it_unread(tmp_path: Path, postgres: Postgres) -> None:
    """A PR points a declared backup at another directory (it would be listed, verified and, on apply,
    pruned): that backup is not read; the base's unchanged backup still is."""
    from tests.backups.support import pg_backup

    world = make_world(tmp_path, postgres)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    (elsewhere / "db_20260101-000000.sql.gz").write_bytes(b"not a backup")
    world.backups["db"] = pg_backup(world, "tempovault")
    world.backups["other"] = pg_backup(world, "tempovault", filename="other_{date:%Y%m%d-%H%M%S}.sql.gz")
    world.write()
    commit_base(world.root)
    world.hosts["db-1"]["roots"] = [str(world.root), str(elsewhere)]
    world.backups["db"]["destination"] = str(elsewhere)
    assert world.run("validate", "bk").exit_code == 0
    res = world.run("drift", "bk", "--format", "json", "--trusted-base", "main")
    assert "db: not read: backups.db.destination differs from main (read after merge)" in res.output, res.output
    doc = json.loads(res.output)
    assert not [d for d in doc["drift"] if d["address"].startswith("db.")]
    assert [d for d in doc["drift"] if d["address"] == "other.freshness"]  # read: no backup there yet
    plan = plan_json_world(world)
    addresses = {c["address"] for c in plan["changes"]}  # type: ignore[attr-defined]
    assert "other.schedule" in addresses and "db.schedule" not in addresses


def plan_json_world(world: object) -> dict[str, object]:
    res = world.run("plan", "bk", "--format", "json", "--trusted-base", "main")  # type: ignore[attr-defined]
    assert res.exit_code == 0, res.output
    doc: dict[str, object] = json.loads(res.output)
    return doc


def test_a_pr_adding_an_http_check_runs_no_curl(workspace: Workspace, listener: _Listener) -> None:  # noqa: F811
    """An `http` check a PR adds on a declared host is not run (curl on the host would fetch the PR's URL)."""
    write_env(workspace.root, "pr", """hosts:
  app:
    connection: local
""")
    commit_base(workspace.root)
    write_env(workspace.root, "pr", f"""hosts:
  app:
    connection: local
    checks:
      http:
        - url: http://127.0.0.1:{listener.port}/admin/flush
""")
    res = workspace.run("drift", "pr", "--trusted-base", "main", "--format", "json")
    assert res.exit_code == 0, res.output
    assert (f"app.check[http://127.0.0.1:{listener.port}/admin/flush]: not read: hosts.app.checks.http"
            f"[http://127.0.0.1:{listener.port}/admin/flush] is not declared on main") in res.output
    assert listener.received == b""


def test_the_base_declarations_are_read_and_planned_over_ssh(
        units: Path, sshd: Sshd, workspace: Workspace, listener: _Listener) -> None:  # noqa: F811
    """(f) The base's own declarations, unchanged by the PR, are read and planned as before, over a real
    sshd; the PR's additions (another host, another file) are marked, not read."""
    srv = workspace.root / "srv"
    srv.mkdir()
    (srv / "api.env").write_text("POLL=5\n")
    (srv / "extra.env").write_text(f"TOKEN={SECRET}\n")
    define_units(units, {"api": {"exec": sleeper(), "state": "inactive"}})
    base = f"""hosts:
  app:
    connection: {sshd.connection}
    roots: ["{workspace.root}"]
    services:
      api: {{state: running}}
    env_files:
      {srv}/api.env: {{values: {{POLL: "2"}}, public: [POLL], restart: [api]}}
"""
    write_env(workspace.root, "pr", base)
    commit_base(workspace.root)
    write_env(workspace.root, "pr", base + f"""      {srv}/extra.env: {{values: {{TOKEN: "x"}}, public: [TOKEN]}}
  other:
    connection: ssh://deploy@127.0.0.1:{listener.port}
    services:
      api: {{state: running}}
""")
    before = sshd.accepted_logins()
    doc = plan_json(workspace, "pr")
    assert sshd.accepted_logins() > before  # the base's host was really read over ssh
    changes = {str(c["address"]): c for c in doc["changes"]}  # type: ignore[attr-defined]
    assert changes[f"app.env_file[{srv}/api.env]"]["after"] == {"POLL": "2"}
    assert changes[f"app.env_file[{srv}/api.env]"]["before"] == {"POLL": "5"}
    assert "app.service[api]" in changes
    notes = _notes(doc)
    assert f"app.env_file[{srv}/extra.env]: not read" in notes
    assert "other: not read: hosts.other is not declared on main (read after merge)" in notes
    assert not any(a.startswith("other.") or "extra.env" in a for a in changes)
    assert SECRET not in json.dumps(doc) and listener.received == b""


def test_reach_follows_every_block_that_names_a_host_path() -> None:
    """Consumers' and the relay's env files, descriptors and databases, decided on the templates as written."""
    from tempoctl.desired.reach import Reach
    from tempoctl.desired.trusted import TrustedBase

    base_doc = {
        "backend": "${TEMPOCTL_BACKEND:-sqlite:///.tempoctl/x.db}",
        "hosts": {"app": {"connection": "ssh://deploy@${APP_HOST}"}},
        "contracts": {"records": {"descriptor": "deployments/x.json",
                                  "consumers": [{"host": "app", "env_file": "srv/api.env"}]}},
        "oracle": {"relay": {"host": "app", "env_file": "srv/relay.env"}},
        "databases": {"main": {"host": "db.internal", "port": 5432}},
    }
    base = TrustedBase.of_documents("main", "e", {"a.yaml": base_doc})
    same = Reach(base, base_doc)
    assert same.host("app") is None and same.backend() is None and same.descriptor("records") is None
    assert same.env_file("app", "srv/api.env") is None and same.env_file("app", "srv/relay.env") is None
    assert same.database("main")
    assert same.env_file("app", "srv/other.env") == ("hosts.app.env_files.srv/other.env is not declared on main "
                                                     "(read after merge)")
    # A literal equal to what the base's template may expand to is still "differs": no guessing oracle.
    pr = {**base_doc, "hosts": {"app": {"connection": "ssh://deploy@10.0.0.7", "roots": ["/etc"]}},
          "contracts": {"records": {"descriptor": "deployments/y.json"}},
          "databases": {"main": {"host": "127.0.0.1", "port": 5432}}, "backend": "sqlite:///.tempoctl/x.db"}
    changed = Reach(base, pr)
    assert changed.host("app") == "hosts.app.connection differs from main (read after merge)"
    assert changed.env_file("app", "srv/api.env") == changed.host("app")
    assert changed.descriptor("records") and changed.backend() and not changed.database("main")
    assert changed.roots_for("app", ["/etc"]) is None  # the base declares no roots: its defaults, not the PR's
    trusted = Reach(TrustedBase.working_tree("e"), pr)  # no --trusted-base: the working tree decides
    assert trusted.host("app") is None and trusted.backend() is None and trusted.roots_for("app", ["/etc"]) == ["/etc"]


def test_an_environment_new_in_the_pr_reads_nothing(workspace: Workspace, listener: _Listener) -> None:  # noqa: F811
    """An environment folder the base does not have has no trusted declarations: nothing of it is read."""
    write_env(workspace.root, "old", "")
    commit_base(workspace.root)
    write_env(workspace.root, "new", f"""hosts:
  app:
    connection: ssh://deploy@127.0.0.1:{listener.port}
    services:
      api: {{state: running}}
""")
    res = workspace.run("plan", "new", "--trusted-base", "main", "--format", "markdown")
    assert res.exit_code == 0, res.output
    assert "app: not read: hosts.app is not declared on main (read after merge)" in res.output
    assert "backend: not opened: backend differs from main" in res.output and "Traceback" not in res.output
    assert listener.received == b""
