"""Drills of `kind: files` backups (the Teye runbook's `deployments/` and `dist/` archives): the archive is
unpacked into a temp directory on the host, its descriptors' contract IDs (strkey checksum) and wasm hashes
and its `SHA256SUMS.txt` are checked, and the directory is removed; a drill over ssh runs on the host."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from tests.backups.support import BackupWorld, make_world
from tests.support.postgres import Postgres
from tests.support.sshd import Sshd

CONTRACT = "CAAACAQDAQCQMBYIBEFAWDANBYHRAEISCMKBKFQXDAMRUGY4DUPB6N4O"
WASM = b"\0asm\1\0\0\0 vision records"


def _descriptor(contract_id: str = CONTRACT) -> bytes:
    return json.dumps({"network": "testnet", "contract": "vision_records", "contract_id": contract_id,
                       "admin": "", "deployed_at": "2026-11-01T00:00:00Z",
                       "wasm_hash": hashlib.sha256(WASM).hexdigest(), "admin_transferred": False}).encode()


def _archive(world: BackupWorld, members: dict[str, bytes], name: str = "deploy-20261101-000000.tgz") -> Path:
    world.dest.mkdir(exist_ok=True)
    path = world.dest / name
    with tarfile.open(path, "w:gz") as tar:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _world(tmp_path: Path, postgres: Postgres, **drill: Any) -> BackupWorld:
    world = make_world(tmp_path, postgres)
    world.backups["deploy"] = {
        "host": "db-1", "kind": "files", "paths": ["deployments/", "dist/"], "schedule": "0 3 * * *",
        "destination": str(world.dest), "filename": "deploy-{date:%Y%m%d-%H%M%S}.tgz", "retention_days": 30,
        "max_age": "26h", "drill": {"files_present": ["deployments", "dist/vision_records.wasm"],
                                    "descriptors": ["deployments/testnet_vision_records.json"],
                                    "checksums": ["dist/SHA256SUMS.txt"], **drill}}
    return world


def _members(descriptor: bytes | None = None, wasm: bytes = WASM) -> dict[str, bytes]:
    sums = f"{hashlib.sha256(WASM).hexdigest()}  vision_records.wasm\n".encode()
    return {"deployments/testnet_vision_records.json": descriptor or _descriptor(),
            "dist/vision_records.wasm": wasm, "dist/SHA256SUMS.txt": sums}


def _no_drill_dirs(before: set[str]) -> bool:
    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("tempoctl-drill-")} <= before


def _drill_dirs() -> set[str]:
    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("tempoctl-drill-")}


def test_files_drill_checks_descriptors_and_checksums(tmp_path: Path, postgres: Postgres) -> None:
    world = _world(tmp_path, postgres)
    _archive(world, _members())
    before = _drill_dirs()

    res = world.run("backup", "drill", "bk", "deploy")

    assert res.exit_code == 0, res.output
    assert "ok   descriptor deployments/testnet_vision_records.json: contract ID and wasm_hash valid" in res.output
    assert "ok   checksums in dist/SHA256SUMS.txt: 1/1 match" in res.output
    assert "removed drill directory" in res.output and _no_drill_dirs(before)


def test_a_descriptor_with_a_bad_contract_checksum_or_a_changed_wasm_fails(tmp_path: Path, postgres: Postgres) -> None:
    world = _world(tmp_path, postgres)
    bad_id = CONTRACT[:-1] + ("A" if CONTRACT[-1] != "A" else "B")  # one character off: CRC16 no longer holds
    _archive(world, _members(descriptor=_descriptor(bad_id), wasm=WASM + b"tampered"))
    before = _drill_dirs()

    res = world.run("backup", "drill", "bk", "deploy")

    assert res.exit_code == 1, res.output
    assert "FAIL descriptor deployments/testnet_vision_records.json: contract_id is not a valid contract ID" in res.output
    assert "FAIL checksums in dist/SHA256SUMS.txt: 0/1 match; vision_records.wasm (hash differs)" in res.output
    assert _no_drill_dirs(before)


def test_an_archive_member_cannot_make_the_drill_read_outside_its_directory(tmp_path: Path,
                                                                            postgres: Postgres) -> None:
    """A symlinked descriptor pointing at a host file is not a regular file of the restore: not read."""
    secret = tmp_path / "host-secret.json"
    secret.write_bytes(_descriptor())
    world = _world(tmp_path, postgres)
    path = world.dest / "deploy-20261101-000000.tgz"
    world.dest.mkdir()
    with tarfile.open(path, "w:gz") as tar:
        link = tarfile.TarInfo("deployments/testnet_vision_records.json")
        link.type, link.linkname = tarfile.SYMTYPE, str(secret)
        tar.addfile(link)
        for member, data in _members().items():
            if member.startswith("dist/"):
                info = tarfile.TarInfo(member)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))

    res = world.run("backup", "drill", "bk", "deploy")

    assert res.exit_code == 1, res.output
    assert "FAIL descriptor deployments/testnet_vision_records.json: missing or not a regular file" in res.output
    assert secret.exists()


def test_files_drill_over_ssh(tmp_path: Path, postgres: Postgres, sshd: Sshd) -> None:
    world = _world(tmp_path, postgres)
    world.env["TEMPOCTL_SSH_CONFIG"] = str(sshd.client_config)
    world.hosts["db-1"] = {"connection": sshd.connection, "roots": [str(tmp_path)]}
    _archive(world, _members())
    logins = sshd.accepted_logins()

    res = world.run("backup", "drill", "bk", "deploy")

    assert res.exit_code == 0, res.output
    assert "drill passed" in res.output
    assert sshd.accepted_logins() == logins + 1


def test_validate_refuses_what_would_reach_a_query_or_leave_the_restore(tmp_path: Path, postgres: Postgres) -> None:
    world = make_world(tmp_path, postgres)
    world.backups["db"] = {
        "host": "db-1", "kind": "postgres", "database": "x", "schedule": "0 2 * * *",
        "destination": str(world.dest), "filename": "db_{date:%Y%m%d}.sql.gz", "retention_days": 7,
        "max_age": "26h", "drill": {"tables_present": ['t"; DROP DATABASE prod; --'],
                                    "min_rows": {"a.b.c": 1}, "max_block_age": {"network": "nope", "blocks": 5}}}
    world.backups["deploy"] = {
        "host": "db-1", "kind": "files", "paths": ["deployments/"], "schedule": "0 3 * * *",
        "destination": str(world.dest), "filename": "deploy-{date:%Y%m%d}.tgz", "retention_days": 30,
        "max_age": "26h", "drill": {"descriptors": ["../../etc/passwd"], "checksums": ["/etc/shadow"],
                                    "tables_present": ["t"]}}

    res = world.run("validate", "bk")

    assert res.exit_code == 1
    out = res.output
    assert "backups.db.drill.tables_present[0]" in out and "not a table name" in out
    assert "backups.db.drill.min_rows.a.b.c" in out or "min_rows" in out
    assert 'unknown network "nope"' in out or "nope" in out
    assert "a path may not contain .." in out
    assert "relative to the restored archive's root" in out
    assert "this backup is kind files" in out
    assert "state/bk/backups.yaml:" in out and "Traceback" not in out
