"""Issue 13: a profile is one folder plus one catalog line. The engine modules name no profile, every catalog
folder's model is in the `contracts:` union, a folder's light half (what `validate` loads) imports neither
the state models nor the engine, and executors a folder contributes join the registry without replacing a
built-in kind."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from tests.test_import_cycles import import_graph

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ["desired/models.py", "desired/semantic.py", "plan/order.py", "plan/safety.py", "plan/build.py",
          "plan/importer.py", "diff/__init__.py", "observed/engine.py", "observed/sources.py"]
PROFILE_NAMES = re.compile(r"access-control|tempovault/|teye/vision|\"ownable\"|\"timelock\"|\"custom\"|"
                           r"AccessControlContract|RiskControllerContract|TreasuryVaultContract|VisionRecordsContract")


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def test_engine_modules_name_no_profile() -> None:
    hits = []
    for rel in ENGINE:
        source = (ROOT / "tempoctl" / rel).read_text()
        docs = _docstring_lines(ast.parse(source))
        for n, line in enumerate(source.splitlines(), 1):
            if n not in docs and PROFILE_NAMES.search(line.split("#", 1)[0]):
                hits.append(f"{rel}:{n}: {line.strip()}")
    # The oracle block is declared on an access-control contract: its checks name that model, nothing else.
    allowed = [h for h in hits if h.startswith("desired/semantic.py")
               and ("AccessControlContract" in h or "access-control contract" in h)]
    assert [h for h in hits if h not in allowed] == []


def test_every_catalog_folder_is_in_the_contracts_union() -> None:
    from tempoctl.desired.schema import state_file_schema
    from tempoctl.profiles.catalog import FOLDERS

    union = state_file_schema()["properties"]["contracts"]["additionalProperties"]
    mapping = union["discriminator"]["mapping"]
    assert {f.name for f in FOLDERS} == set(mapping)
    assert all(mapping[f.name] == f"#/$defs/{f.model.__name__}" for f in FOLDERS)


def test_a_folders_light_half_imports_no_state_model_and_no_engine() -> None:
    graph = import_graph()
    folders = [p.parent.name for p in (ROOT / "tempoctl" / "profiles").glob("*/model.py")]
    light = [f"tempoctl.profiles.{f}{part}" for f in folders for part in ("", ".model", ".check")]
    forbidden = ("tempoctl.desired.models", "tempoctl.desired.loader", "tempoctl.observed", "tempoctl.plan",
                 "tempoctl.apply", "tempoctl.diff")
    bad = [(m, t, line) for m in light if m in graph for _, t, line in graph[m]
           if t.startswith(forbidden) and not t.startswith(tuple(f"tempoctl.profiles.{f}.profile" for f in folders))]
    assert bad == []


def test_folder_executors_join_without_replacing_a_built_in(monkeypatch: Any) -> None:
    from tempoctl.apply import executors
    from tempoctl.profiles import catalog
    from tempoctl.profiles.folder import ProfileFolder
    from tempoctl.profiles.ownable.model import OwnableContract
    from tempoctl.profiles.ownable.profile import OwnableProfile

    def mine(actx: Any, group: str) -> Any:
        return None

    class WithExecutors(OwnableProfile):
        executors = {"evm_transaction": mine, "example_kind": mine}

    extra = ProfileFolder(name="example", model=OwnableContract, plugin=WithExecutors)
    monkeypatch.setattr(catalog, "FOLDERS", (*catalog.FOLDERS, extra))
    found = executors._folder_executors()
    assert found == {"example_kind": mine}  # never the built-in evm_transaction
