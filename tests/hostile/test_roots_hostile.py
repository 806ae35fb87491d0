"""Issue 12 item 2: tempoctl reads and writes only inside declared roots. Relative paths resolve against the
base and must stay inside it after normalisation and symlink resolution; absolute paths need a root; a
symlinked env file is written at its real target with owner and mode kept; descriptors stay in the
repository; `plan` and `drift` on a hostile PR state write nothing and print no live secret."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tempoctl.errors import TempoctlError
from tests.conftest import Workspace
from tests.hosts.support import write_env

SECRET = "outside-secret-value-0123456789"


def _tree(root: Path) -> dict[str, tuple[int, float]]:
    out = {}
    for p in root.rglob("*"):
        rel = str(p.relative_to(root))
        if rel.startswith((".tempoctl", "crash", "home")):
            continue
        st = p.lstat()
        out[rel] = (st.st_mode, st.st_mtime)
    return out


@pytest.mark.parametrize(("path", "needle"), [
    (".git/config", ".git holds credentials"),
    ("srv/../../outside.env", "may not contain .."),
    ("/etc/tempoctl-test.env", "outside the host's roots"),
    ("~/.ssh/authorized_keys", ".ssh holds credentials"),
    ("-oops.env", "may not start with -"),
])
def test_env_file_paths_outside_the_roots_are_refused_at_validate(workspace: Workspace, path: str,
                                                                  needle: str) -> None:
    write_env(workspace.root, "pr", f"""hosts:
  app:
    connection: local
    env_files:
      {json.dumps(path)}:
        values: {{A: "x"}}
""")
    for cmd in ("validate", "plan", "drift"):
        res = workspace.run(cmd, "pr")
        assert res.exit_code == 1, res.output
        assert needle in res.output and "environment.yaml:" in res.output, res.output
        assert "Traceback" not in res.output


def test_declared_roots_admit_absolute_paths(workspace: Workspace, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-etc"
    write_env(workspace.root, "ok", f"""hosts:
  app:
    connection: local
    roots: ["{outside}"]
    env_files:
      {outside}/app.env:
        values: {{A: "x"}}
""")
    assert workspace.run("validate", "ok").exit_code == 0
    write_env(workspace.root, "bad", """hosts:
  app:
    connection: local
    roots: ["/", "~/.ssh", "relative/dir"]
""")
    res = workspace.run("validate", "bad")
    assert res.exit_code == 1 and res.output.count("roots") >= 3, res.output


def test_a_symlink_out_of_the_roots_is_neither_read_nor_written(workspace: Workspace, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    target = outside / "secret.env"
    target.write_text(f"A={SECRET}\n")
    srv = workspace.root / "srv"
    srv.mkdir()
    (srv / "link.env").symlink_to(target)
    write_env(workspace.root, "pr", """hosts:
  app:
    connection: local
    env_files:
      srv/link.env:
        values: {A: "x"}
        public: [A]
""")
    before = target.read_text()
    res = workspace.run("plan", "pr", "--format", "json")
    assert SECRET not in res.output
    doc = json.loads(res.output)
    assert doc["changes"] == []
    [item] = doc["drift"]
    assert item["kind"] == "outside_roots" and "outside the host's roots" in json.dumps(item)
    res = workspace.run("apply", "pr", "--auto-approve")
    assert SECRET not in res.output
    assert target.read_text() == before and (srv / "link.env").is_symlink()


def test_a_symlinked_env_file_is_written_at_its_target_with_owner_and_mode_kept(workspace: Workspace) -> None:
    """The reported attack: `mv` replaced the link by a 0777 copy holding the secret; the target kept the old
    content."""
    srv = workspace.root / "srv"
    (srv / "real").mkdir(parents=True)
    real = srv / "real" / "app.env"
    real.write_text("# keep me\nA=1\n")
    real.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(real, 65534, 65534)
    link = srv / "link.env"
    link.symlink_to(real)
    write_env(workspace.root, "s", """hosts:
  app:
    connection: local
    env_files:
      srv/link.env:
        values: {A: {secret: env:A_SECRET}}
""")
    workspace.env["A_SECRET"] = SECRET
    res = workspace.run("apply", "s", "--auto-approve")
    assert res.exit_code == 0, res.output
    assert SECRET not in res.output
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == f"# keep me\nA={SECRET}\n"
    st = real.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (65534, 65534)
    assert "Re-plan after apply: no changes" in res.output


@pytest.mark.parametrize("descriptor", ["../escape.json", "/tmp/escape.json", "deployments/../../escape.json",
                                        ".git/hooks/x.json", "deployments/x.sh"])
def test_descriptor_paths_stay_in_the_repository(workspace: Workspace, descriptor: str) -> None:
    write_env(workspace.root, "d", f"""networks:
  stellar-local: {{type: stellar, passphrase: "Standalone Network ; February 2017", rpc_url: "http://127.0.0.1:9"}}
contracts:
  vr:
    network: stellar-local
    contract_id: CBTUY4LER7DVSAKYIR3VT5LVKE7VCWEDJ2TO7PAQSK6OGU7D3IUENQLW
    profile: teye/vision-records
    descriptor: {json.dumps(descriptor)}
""")
    res = workspace.run("validate", "d")
    assert res.exit_code == 1 and "descriptor" in res.output, res.output


def test_a_descriptor_symlinked_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    from tempoctl.observed.host.roots import local_confined

    repo = tmp_path / "repo"
    (repo / "deployments").mkdir(parents=True)
    (repo / "deployments" / "x.json").symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(TempoctlError, match="outside the repository root"):
        local_confined("deployments/x.json", str(repo))
    assert local_confined("deployments/y.json", str(repo)) == str(repo / "deployments" / "y.json")


def test_backup_destination_outside_the_roots_is_refused(workspace: Workspace) -> None:
    write_env(workspace.root, "b", """hosts:
  db: {connection: "ssh://backup@db.internal"}
backups:
  x:
    host: db
    kind: files
    paths: [deployments/, ../../etc/shadow]
    schedule: "0 2 * * *"
    destination: /etc/cron.d
    filename: "x_{date:%Y%m%d}.tar.gz"
    retention_days: 1
    max_age: 26h
""")
    res = workspace.run("validate", "b")
    assert res.exit_code == 1
    assert "/etc/cron.d is outside the host's roots" in res.output and "may not contain .." in res.output


def test_plan_and_drift_on_a_hostile_state_write_nothing_and_print_no_secret(workspace: Workspace,
                                                                            tmp_path: Path) -> None:
    srv = workspace.root / "srv"
    srv.mkdir()
    (srv / "app.env").write_text(f"DATABASE_URL=postgresql://u:{SECRET}@db/x\n")
    outside = tmp_path.parent / f"{tmp_path.name}-o"
    outside.mkdir()
    (outside / "t.env").write_text(f"K={SECRET}\n")
    (srv / "link.env").symlink_to(outside / "t.env")
    (workspace.root / "evil.curlrc").write_text('output = "./pwned"\n')
    write_env(workspace.root, "pr", """hosts:
  app:
    connection: local
    env_files:
      srv/app.env: {values: {DATABASE_URL: "x"}}
      srv/link.env: {values: {K: "x"}, mode: "0600"}
    checks:
      http: [{url: "http://127.0.0.1:9/ready"}]
""")
    before = _tree(workspace.root)
    outs = [workspace.run("plan", "pr").output, workspace.run("-v", "plan", "pr", "--format", "json").output,
            workspace.run("drift", "pr", "--format", "markdown").output]
    for out in outs:
        assert SECRET not in out, out
    after = _tree(workspace.root)
    assert after == before


def test_a_backup_destination_symlinked_out_of_the_roots_is_not_pruned(tmp_path: Path) -> None:
    import gzip
    import time

    from tests.backups.support import make_world, pg_backup
    from tests.support.postgres import Postgres  # noqa: F401 - type only

    outside = tmp_path.parent / f"{tmp_path.name}-victim"
    outside.mkdir()
    victim = outside / "db_20200101-020000.sql.gz"
    victim.write_bytes(gzip.compress(b"-- PostgreSQL database dump\n"))
    old = time.time() - 400 * 86400
    os.utime(victim, (old, old))

    class _NoPg:
        def env(self) -> dict[str, str]:
            return {"PATH": os.environ["PATH"]}

    world = make_world(tmp_path, _NoPg())  # type: ignore[arg-type]
    world.dest.symlink_to(outside)  # inside the base by name, outside the roots in fact
    world.backups["db"] = pg_backup(world, "tempovault", retention_days=1)
    drift = world.run("drift", "bk", "--format", "json")
    items = json.loads(drift.output)["drift"]
    assert any(i["kind"] == "outside_roots" for i in items), drift.output
    res = world.run("backup", "run", "bk", "db")
    assert res.exit_code == 1 and "refusing destination" in res.output, res.output
    assert victim.exists()


def test_a_files_backup_does_not_archive_a_symlink_out_of_the_roots(tmp_path: Path) -> None:
    import tarfile

    from tests.backups.support import make_world

    class _NoPg:
        def env(self) -> dict[str, str]:
            return {"PATH": os.environ["PATH"]}

    world = make_world(tmp_path, _NoPg())  # type: ignore[arg-type]
    secret_dir = tmp_path.parent / f"{tmp_path.name}-secrets"
    secret_dir.mkdir()
    (secret_dir / "key.pem").write_text(SECRET)
    home = Path(world.env["HOME"])
    (home / "dist").mkdir()
    (home / "dist" / "app.js").write_text("x")
    (home / "deployments").symlink_to(secret_dir)
    world.backups["artifacts"] = {
        "host": "db-1", "kind": "files", "paths": ["deployments/", "dist/"], "schedule": "30 2 * * *",
        "destination": str(world.dest), "filename": "artifacts-{date:%Y%m%d-%H%M%S}.tgz",
        "retention_days": 90, "max_age": "26h"}
    res = world.run("backup", "run", "bk", "artifacts")
    assert res.exit_code == 1 and "refusing to archive deployments/" in res.output, res.output
    for archive in world.dest.glob("*.tgz") if world.dest.exists() else []:
        with tarfile.open(archive) as tar:
            assert not any("key.pem" in n for n in tar.getnames())
