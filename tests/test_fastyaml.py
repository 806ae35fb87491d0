"""The C parser path of loading YAML (tempoctl/desired/fastyaml.py, issue 15) gives exactly what the pure
parser gives: the same data, the same file:line:col of every key and value, the same diagnostics. Checked on
every YAML file of the repository and on edge cases written to tell the two parsers apart (empty values, flow
collections, anchors, syntax errors, directives)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tempoctl.desired import fastyaml, source

ROOT = Path(__file__).resolve().parents[1]

EDGE = {
    "empty values": "a:\nb:\n  c:\n  d: 1\ne:\n",
    "empty at the end": "a: 1\nb:",
    "empty in flow": "a: {b: , c: 1}\nd: [1, , 2]\n",
    "empty in a sequence": "a:\n  -\n  - 1\n  -\n",
    "quoted empty": "a: ''\nb: \"\"\n",
    "anchors": "base: &b {x: 1, y: [1, 2]}\none: *b\ntwo: {<<: *b, x: 2}\n",
    "block scalars": "a: |\n  line 1\n  line 2\nb: >-\n  folded\n  text\nc: plain\n",
    "hex and numbers": "a: 0x5b891B43c5a555Cd37FD93892c8990F4b2Eb3E71\nb: 0o17\nc: 1_000\nd: 1e3\ne: .inf\n",
    "booleans 1.2": "a: yes\nb: true\nc: ~\nd: null\ne: 2024-01-01\n",
    "directive 1.1": "%YAML 1.1\n---\na: yes\nb: on\n",
    "complex key": "? [a, b]\n: 1\n",
    "comments": "# top\na: 1 # trailing\n# between\nb:\n  - x # item\n",
    "unicode": "name: \"caf\u00e9 \u2603\"\nk\u00e9y: v\u00e4lue\n",
    "tab indent": "a:\n\tb: 1\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "unclosed flow": "a: [1, 2\nb: 3\n",
    "bad indent": "a:\n  b: 1\n c: 2\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "undefined alias": "a: *nope\n",
    "control character": "a: \"\\x07\"\nb: \x07\n",
    "scalar root": "just text\n",
    "empty file": "",
    "only a comment": "# nothing\n",
    "crlf": "a: 1\r\nb:\r\n  c: 2\r\n",
}


def _both(path: Path, text: str) -> tuple[source.LoadedFile, source.LoadedFile]:
    fast = source._load_file(path, text, ROOT)
    original = fastyaml.load_c
    fastyaml.load_c = lambda _text: fastyaml.FALLBACK
    try:
        pure = source._load_file(path, text, ROOT)
    finally:
        fastyaml.load_c = original
    return fast, pure


def _same(fast: source.LoadedFile, pure: source.LoadedFile) -> None:
    assert fast.data == pure.data
    assert fast.diagnostics == pure.diagnostics
    assert fast.positions.values == pure.positions.values
    assert fast.positions.keys == pure.positions.keys


def test_the_c_parser_is_installed_and_used() -> None:
    """ruamel.yaml.clib is a dependency: without it `validate` silently falls back to the pure parser (4-5×
    slower), so its absence must fail here rather than in a benchmark."""
    assert fastyaml.load_c("a: 1\n") is not fastyaml.FALLBACK
    assert fastyaml.load_c("a: [1\n") is fastyaml.FALLBACK  # an error: the pure parser words it
    assert fastyaml.load_c("%YAML 1.1\n---\na: yes\n") is fastyaml.FALLBACK


@pytest.mark.parametrize("name", sorted(EDGE))
def test_edge_cases_load_the_same_as_with_the_pure_parser(tmp_path: Path, name: str) -> None:
    fast, pure = _both(tmp_path / "environment.yaml", EDGE[name])
    _same(fast, pure)


def test_every_yaml_file_of_the_repository_loads_the_same() -> None:
    files = [p for p in sorted(ROOT.glob("**/*.y*ml"))
             if ".venv" not in p.parts and "node_modules" not in p.parts and p.suffix in (".yaml", ".yml")]
    assert len(files) > 50
    for path in files:
        fast, pure = _both(path, path.read_text("utf-8", "replace"))
        _same(fast, pure)


def test_a_large_generated_environment_loads_the_same(tmp_path: Path) -> None:
    """The benchmark's format (bench/generate.py), with empty values and comments mixed in."""
    lines = ["contracts:", "  governance:", "    roles:"]
    for k in range(40):
        lines += [f"      ROLE_{k}:", f'        id: "0x{k:064x}"', "        members:"]
        lines += [f'          - "0x{(k * 100 + i):040x}"  # member {i}' for i in range(25)]
        lines.append("        note:")
    lines += ["  risk:", "    circuit_breakers:"]
    lines += [f"      b{i}: {{id: \"0x{i:064x}\", broken: true}}" for i in range(500)]
    fast, pure = _both(tmp_path / "contracts.yaml", "\n".join(lines) + "\n")
    _same(fast, pure)
    assert fast.data["contracts"]["governance"]["roles"]["ROLE_3"]["note"] is None
