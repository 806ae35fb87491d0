"""Saved plan files: atomic 0600 writes, round trip, and a clear error for every way a file can be wrong."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tempoctl.atomic import write_atomic
from tempoctl.errors import TempoctlError
from tempoctl.plan.planfile import (
    PlanFileCorruptError,
    PlanFileNotFoundError,
    PlanFormatError,
    PlanTamperedError,
    load_plan,
    save_plan,
)
from tempoctl.plan.render import render_json, render_text
from tests import render_plans as rp


@pytest.mark.parametrize("name", ["roles", "drift_only", "soroban"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    plan = rp.PLANS[name]()
    path = tmp_path / "plans" / "nested" / "p.json"
    save_plan(plan, path)
    loaded = load_plan(path)
    assert loaded.to_dict() == plan.to_dict()
    assert loaded == plan
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(path.parent) == ["p.json"]  # no temp file left behind


def test_saved_file_is_the_json_rendering(tmp_path: Path) -> None:
    """`plan --out` and `plan --format json` write the same document, and `show` renders it identically."""
    plan = rp.roles_plan()
    path = tmp_path / "p.json"
    save_plan(plan, path)
    assert path.read_text(encoding="utf-8") == render_json(plan.to_dict())
    assert render_text(load_plan(path).to_dict()) == render_text(plan.to_dict())


def test_sensitive_plan_is_saved_masked_and_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    save_plan(rp.risk_plan(), path)
    raw = path.read_text(encoding="utf-8")
    for secret in (rp.SECRET_TOKEN, "tok_old_value_123456", rp.SECRET_KEY, rp.SECRET_SEED):
        assert secret not in raw
    loaded = load_plan(path)  # fingerprint was recomputed over the masked document
    assert loaded.changes[2].sensitive
    assert render_text(loaded.to_dict()) == render_text(rp.risk_plan().to_dict())


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanFileNotFoundError) as e:
        load_plan(tmp_path / "nope.json")
    assert "nope.json not found" in e.value.summary
    assert "tempoctl plan" in e.value.hint


def test_not_json_points_at_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{\n  "format_version": "1",\n  oops\n}\n')
    with pytest.raises(PlanFileCorruptError) as e:
        load_plan(path)
    assert f"{path}:3:3: not valid JSON" in e.value.summary


@pytest.mark.parametrize("content", ["[1, 2]", '{"hello": 1}', '{"format_version": "1"}'])
def test_not_a_plan(tmp_path: Path, content: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(content)
    with pytest.raises(PlanFileCorruptError):
        load_plan(path)


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(PlanFileCorruptError):
        load_plan(path)


def test_newer_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    save_plan(rp.roles_plan(), path)
    d = json.loads(path.read_text())
    d["format_version"] = "2"
    path.write_text(json.dumps(d))
    with pytest.raises(PlanFormatError) as e:
        load_plan(path)
    assert "this plan was written by a newer tempoctl" in e.value.summary


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["changes"][0].__setitem__("after", False),
        lambda d: d["changes"][0]["steps"][0].__setitem__("to", "0x" + "00" * 20),
        lambda d: d["changes"].pop(),
        lambda d: d.__setitem__("inputs", {}),
        lambda d: d.__setitem__("fingerprint", "sha256:" + "0" * 64),
        lambda d: d["summary"].__setitem__("create", 7),
    ],
    ids=["after", "step-target", "dropped-change", "inputs", "fingerprint", "summary"],
)
def test_tampered_file_is_refused(tmp_path: Path, edit: object) -> None:
    path = tmp_path / "p.json"
    save_plan(rp.roles_plan(), path)
    d = json.loads(path.read_text())
    assert callable(edit)
    edit(d)
    path.write_text(json.dumps(d))
    with pytest.raises(PlanTamperedError) as e:
        load_plan(path)
    assert "was modified after it was saved" in e.value.summary
    assert isinstance(e.value, TempoctlError)


def test_write_atomic_replaces_and_keeps_old_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f.txt"
    write_atomic(path, "one")
    write_atomic(path, b"two", mode=0o640)
    assert path.read_bytes() == b"two"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640

    def boom(src: str, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_atomic(path, "three")
    assert path.read_bytes() == b"two"
    assert os.listdir(tmp_path) == ["f.txt"]
