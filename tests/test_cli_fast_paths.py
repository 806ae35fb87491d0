"""`tempoctl --help` and `validate` must not import web3 or stellar-sdk (about 1 s of imports)."""

from __future__ import annotations

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


def test_unexpected_errors_never_print_a_traceback(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "tempoctl", "show", str(tmp_path / "missing.json")],
                       cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "missing.json" in r.stderr
