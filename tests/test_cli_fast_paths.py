"""`tempoctl --help` and `validate` must not import web3 or stellar-sdk (about 1 s of imports), nor the parts of
tempoctl that read chains, hosts or backends: DESIGN §10 wants both under 0.3 s, and every import on their path
is paid on every run. Behavioural (what loads), not timed: the benchmark under bench/ measures the time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import sys
from tempoctl.cli import main
try:
    main(sys.argv[1:])
except SystemExit as e:
    code = e.code
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('web3', 'stellar_sdk', 'eth_account', 'eth_abi'))
print('HEAVY:' + ','.join(heavy))
sys.exit(code)
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True)


def test_help_does_not_import_web3_or_stellar() -> None:
    r = _run("--help")
    assert r.returncode == 0
    assert "plan" in r.stdout and "HEAVY:\n" in r.stdout


def test_help_does_not_build_the_models_or_load_yaml() -> None:
    """`--help` needs neither pydantic (~0.2 s to build the state models) nor the YAML parser: a command module
    that imports them at the top makes every invocation of every command pay for them."""
    probe = "import sys\nfrom tempoctl.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n" \
            "print('LOADED:' + ','.join(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'ruamel'})))"
    r = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert r.stdout.strip().endswith("LOADED:"), r.stdout[-300:]


def test_validate_does_not_import_web3_or_stellar() -> None:
    r = _run("validate", "state/tempo-testnet", "state/local")
    assert r.returncode == 0, r.stderr
    assert "tempo-testnet: valid" in r.stdout
    assert r.stdout.strip().endswith("HEAVY:")


# What validate never needs: the later stages of the data flow (desired → observed → profiles/diff → plan →
# apply), the state backends and their drivers, eth_hash/eth_utils (keccak for EIP-55 comes from
# tempoctl.eip55, which imports pycryptodome directly) and cffi/pycparser (eip55 binds pycryptodome through
# ctypes: ~20 ms less).
NOT_ON_VALIDATE = (
    "tempoctl.observed", "tempoctl.profiles", "tempoctl.diff", "tempoctl.plan", "tempoctl.apply",
    "tempoctl.backend", "tempoctl.backup", "psycopg", "requests", "eth_hash", "eth_utils", "cffi", "pycparser",
)


def _loaded_after(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    probe = "import sys\nfrom tempoctl.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n" \
            "    code = e.code\nprint('LOADED:' + ','.join(sorted(sys.modules)))\nsys.exit(code)\n"
    r = subprocess.run([sys.executable, "-c", probe, *args], cwd=ROOT, capture_output=True, text=True)
    line = next((x for x in r.stdout.splitlines() if x.startswith("LOADED:")), "LOADED:")
    return r, set(line.removeprefix("LOADED:").split(","))


# The light half of each profile folder is part of the desired stage: the `contracts:` union is built from the
# folders' schema models and validate runs their semantic checks (tempoctl/profiles/folder.py). Their plug-ins
# (reading, planning) are not.
_FOLDERS = [p.parent.name for p in (ROOT / "tempoctl" / "profiles").glob("*/model.py")]
SCHEMA_HALF = {"tempoctl.profiles", "tempoctl.profiles.catalog", "tempoctl.profiles.folder"} | {
    f"tempoctl.profiles.{f}{part}" for f in _FOLDERS for part in ("", ".model", ".check")}


def _under(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)
                  and m not in SCHEMA_HALF)


def test_validate_loads_only_the_desired_stage() -> None:
    r, loaded = _loaded_after("validate", "state/tempo-testnet", "state/local")
    assert r.returncode == 0, r.stderr
    assert "local: valid" in r.stdout
    assert "tempoctl.desired.loader" in loaded and "tempoctl.eip55" in loaded  # the probe saw the real run
    assert _under(loaded, NOT_ON_VALIDATE) == []


def test_help_loads_no_engine_module() -> None:
    r, loaded = _loaded_after("--help")
    assert r.returncode == 0
    assert _under(loaded, ("tempoctl.desired", *NOT_ON_VALIDATE)) == []


def test_model_field_descriptions_are_not_attribute_docstrings() -> None:
    """pydantic's use_attribute_docstrings re-reads and parses models.py for every model class on every run
    (~40 ms of `validate`); descriptions for the editor schema are written as Field(description=...). A field
    docstring added later would silently be missing from schemas/, so it fails here instead."""
    from pydantic import BaseModel

    from tempoctl.desired import models

    classes = [c for c in vars(models).values() if isinstance(c, type) and issubclass(c, BaseModel)]
    assert models.DesiredState in classes
    assert [c.__name__ for c in classes if c.model_config.get("use_attribute_docstrings")] == []
    source = (ROOT / "tempoctl" / "desired" / "models.py").read_text()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            for before, stmt in zip(node.body, node.body[1:], strict=False):
                if isinstance(before, ast.AnnAssign) and isinstance(stmt, ast.Expr) \
                        and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                    found.append(f"{node.name}.{ast.unparse(before.target)} (line {stmt.lineno})")
    assert found == [], f"use Field(description=...) instead of a field docstring: {found}"


def test_unexpected_errors_never_print_a_traceback(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "tempoctl", "show", str(tmp_path / "missing.json")],
                       cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "missing.json" in r.stderr
