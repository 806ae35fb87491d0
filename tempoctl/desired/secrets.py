"""Secret detection for state files: private keys, Stellar secret seeds, BIP-39 mnemonics and database
passwords must never be committed, so the loader refuses them and never echoes them back (DESIGN §3).

Runs on every key and scalar of every file before anything else looks at the values.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from tempoctl.desired.types import strkey_valid

HINT = "secrets never go in state files — use key: env:VAR or keystore:PATH"
DB_HINT = "passwords never go in state files — use PGPASSFILE/PGPASSWORD or ~/.pgpass (libpq conventions)"

_HEX64 = re.compile(r"(?<![0-9A-Za-z])(?:0[xX])?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
_SEED = re.compile(r"S[A-Z2-7]{55}")
_PG_PASSWORD = re.compile(r"postgres(?:ql)?://[^/@\s:]*:[^@\s/]+@", re.IGNORECASE)
_PG_PASSWORD_PARAM = re.compile(r"postgres(?:ql)?://\S*[?&]password=", re.IGNORECASE)
# From a `#` that can start a comment (line start or after a blank) to the end of the line.
_COMMENT = re.compile(r"(?:^|(?<=[ \t]))#[^\n]*", re.MULTILINE)
_MNEMONIC_LENGTHS = (12, 15, 18, 21, 24)
_BYTES32_SIG = re.compile(r"^\s*[A-Za-z_$][A-Za-z0-9_$]*\s*\(([^()]*)\)")


def find_secret(text: str, *, hex_ok: bool = False) -> str | None:
    """What kind of secret `text` holds ("a private key", ...), or None.

    `hex_ok` exempts 32-byte hex strings, for fields that legitimately hold a bytes32 or a hash.
    """
    if not hex_ok:
        for m in _HEX64.finditer(text):
            if not text[: m.start()].lower().endswith("sha256:"):  # a content digest, not a key
                return "a private key"
    for m in _SEED.finditer(text):
        if strkey_valid(m.group(0), "S"):
            return "a Stellar secret seed"
    if _PG_PASSWORD.search(text) or _PG_PASSWORD_PARAM.search(text):
        return "a database URL with a password"
    if _looks_like_mnemonic(text):
        return "a mnemonic phrase"
    return None


def comment_secrets(text: str) -> list[tuple[int, int, str]]:
    """(line, col, kind) of every secret found in a comment of a YAML file's `text`, 1-based.

    Values are scanned after parsing, with their field's context (`hex_ok`); comments never reach the data,
    so this pass reads the text. A candidate is anything after a `#` that starts a comment on its line; the
    parser's tokens then drop candidates that lie inside a scalar (a quoted `#`, a block scalar), which the
    value scan already judges. The tokens are read only when there is a candidate.
    """
    found: list[tuple[int, int, int, str]] = []
    for m in _COMMENT.finditer(text):
        for at, kind in _secret_spans(m.group(0)):
            index = m.start() + at
            line_start = text.rfind("\n", 0, index) + 1
            found.append((index, text.count("\n", 0, index) + 1, index - line_start + 1, kind))
    if not found:
        return []
    spans = _scalar_spans(text)
    return [(line, col, kind) for index, line, col, kind in found
            if not any(a <= index < b for a, b in spans)]


def _secret_spans(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for m in _HEX64.finditer(text):
        if not text[: m.start()].lower().endswith("sha256:"):
            out.append((m.start(), "a private key"))
    out += [(m.start(), "a Stellar secret seed") for m in _SEED.finditer(text) if strkey_valid(m.group(0), "S")]
    pg = _PG_PASSWORD.search(text) or _PG_PASSWORD_PARAM.search(text)
    if pg:
        out.append((pg.start(), "a database URL with a password"))
    if _looks_like_mnemonic(text):
        first = re.search(r"[A-Za-z]", text)
        out.append((first.start() if first else 0, "a mnemonic phrase"))
    return out


def _scalar_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) character offsets of every scalar token; [] when the text does not scan (the parser
    reports that error itself)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.tokens import ScalarToken

    try:
        return [(t.start_mark.index, t.end_mark.index) for t in YAML(typ="rt").scan(text)
                if isinstance(t, ScalarToken)]
    except Exception:  # noqa: BLE001 - any scanner failure: the parse step reports it with its position
        return []


def secret_message(kind: str) -> str:
    if kind == "a database URL with a password":
        return f"looks like {kind}; {DB_HINT}"
    return f"looks like {kind}; {HINT}"


def hex_allowed(path: tuple[str | int, ...], parent: Any) -> bool:
    """True for fields whose value is a bytes32/hash by design: role and breaker `id`, `wasm_sha256`, and a
    custom setting's `key`/`value` when its signature says bytes32."""
    if len(path) == 3 and path[0] == "contracts" and path[2] == "wasm_sha256":
        return True
    if len(path) == 5 and path[0] == "contracts":
        section, leaf = path[2], path[4]
        if section in ("roles", "circuit_breakers") and leaf == "id":
            return True
        if section == "settings" and leaf in ("key", "value") and isinstance(parent, dict):
            return _setting_is_bytes32(parent, str(leaf))
    return False


def _setting_is_bytes32(setting: dict[Any, Any], leaf: str) -> bool:
    write = setting.get("write")
    if not isinstance(write, str):
        return False
    m = _BYTES32_SIG.match(write)
    if not m:
        return False
    args = [a.strip() for a in m.group(1).split(",") if a.strip()]
    if not args:
        return False
    typ = args[0] if leaf == "key" and len(args) == 2 else args[-1]
    return typ == "bytes32"


def _looks_like_mnemonic(text: str) -> bool:
    words = text.lower().split()
    if len(words) < _MNEMONIC_LENGTHS[0]:
        return False
    wordlist = _wordlist()
    if not wordlist:
        return False
    run = best = 0
    for w in words:
        run = run + 1 if w in wordlist else 0
        best = max(best, run)
    return best >= _MNEMONIC_LENGTHS[0]


@lru_cache(maxsize=1)
def _wordlist() -> frozenset[str]:
    """The BIP-39 English list shipped by eth_account, found without importing eth_account (slow)."""
    import importlib.util

    spec = importlib.util.find_spec("eth_account")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    for loc in spec.submodule_search_locations:
        f = Path(loc) / "hdaccount" / "wordlist" / "english.txt"
        if f.is_file():
            return frozenset(w.strip() for w in f.read_text(encoding="utf-8").split() if w.strip())
    return frozenset()
