"""Editors: every committed state file names the committed JSON Schema in a yaml-language-server modeline
whose relative path resolves from its folder, the schema accepts every committed file (so an editor shows no
false errors), the files still validate, and the committed schema is not stale (test_desired_loader)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from tempoctl.desired import load_environment
from tests.support.local_state import SCHEMA_MODELINE

REPO = Path(__file__).resolve().parents[1]
STATE_FILES = sorted((REPO / "state").glob("*/*.yaml"))
PREFIX = "# yaml-language-server: $schema="


@pytest.mark.parametrize("path", STATE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_state_file_names_the_committed_schema(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert first == SCHEMA_MODELINE
    target = (path.parent / first.removeprefix(PREFIX)).resolve()
    assert target == (REPO / "schemas" / "tempoctl-state.schema.json").resolve() and target.is_file()
    schema = json.loads(target.read_text())
    jsonschema.Draft202012Validator(schema).validate(YAML(typ="safe", pure=True).load(path.read_text()) or {})


def test_schema_rejects_what_validate_rejects() -> None:
    schema = json.loads((REPO / "schemas" / "tempoctl-state.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate({"contracts": {"x": {"network": "n", "bogus_key": 1}}})


@pytest.mark.parametrize("env", sorted(p.name for p in (REPO / "state").iterdir() if p.is_dir()))
def test_committed_environments_still_validate(env: str) -> None:
    loaded = load_environment(env, cwd=REPO, environ={})
    assert loaded.name == env and len(loaded.files) >= 2
