"""First step of the desired stage: one YAML file → plain Python data plus the file:line:col of every key and
value, so that later steps (expansion, secrets, pydantic, semantic checks) can point into the file.

ruamel.yaml's round-trip loader keeps positions (0-based); everything here stores them 1-based.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from tempoctl.errors import Diagnostic

PathPart = str | int
KeyPath = tuple[PathPart, ...]

# An unquoted 0x… address is an integer to YAML 1.2; we take its original text back from the file.
_HEX_TOKEN = re.compile(r"0[xX][0-9a-fA-F_]+")


@dataclass(frozen=True)
class Pos:
    """A 1-based position in one file."""

    file: Path
    line: int
    col: int


@dataclass
class Positions:
    """Where each key path of the merged document was written. `values` holds the position of the value,
    `keys` the position of the mapping key that introduces it (absent for list items and file roots)."""

    values: dict[KeyPath, Pos] = field(default_factory=dict)
    keys: dict[KeyPath, Pos] = field(default_factory=dict)
    cwd: Path | None = None

    def render(self, pos: Pos) -> str:
        return f"{display_path(pos.file, self.cwd)}:{pos.line}:{pos.col}"

    def value(self, path: KeyPath) -> str:
        """file:line:col of the value at `path`, else of its nearest ancestor with a position."""
        return self.render(self._nearest(path, prefer_key=False))

    def key(self, path: KeyPath) -> str:
        """file:line:col of the key naming `path` (falls back to the value, then to ancestors)."""
        return self.render(self._nearest(path, prefer_key=True))

    def file_of(self, path: KeyPath) -> Path | None:
        for i in range(len(path), 0, -1):
            p = self.values.get(path[:i]) or self.keys.get(path[:i])
            if p is not None:
                return p.file
        return None

    def _nearest(self, path: KeyPath, *, prefer_key: bool) -> Pos:
        for i in range(len(path), -1, -1):
            sub = path[:i]
            first, second = (self.keys, self.values) if prefer_key else (self.values, self.keys)
            pos = first.get(sub) or second.get(sub)
            if pos is not None:
                return pos
        # Unreachable in practice: every file root is recorded. Keep a safe answer anyway.
        return Pos(Path("?"), 1, 1)


def display_path(path: Path, cwd: Path | None) -> str:
    """A path relative to `cwd` when it lies under it, as operators typed it; else absolute."""
    return _display_path(path, cwd or Path.cwd())


@lru_cache(maxsize=256)
def _display_path(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def render_path(path: KeyPath) -> str:
    """`contracts.governance.roles.ORACLE[0]`: mapping keys dotted, list indices in brackets."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass
class LoadedFile:
    """One parsed file: its plain data (None when empty or unreadable) and any problems found."""

    path: Path
    data: Any
    diagnostics: list[Diagnostic]
    positions: Positions


_CACHE: OrderedDict[tuple[str, str, str], LoadedFile] = OrderedDict()
_CACHE_SIZE = 64


def load_file(path: Path, text: str, cwd: Path | None) -> LoadedFile:
    """Parse `text` (the content of `path`), recording positions in the file's own `Positions`.

    Every failure of the parser becomes a Diagnostic; nothing raises. ruamel's pure-Python parser is the
    slowest step of loading, and plan/apply/drift reload unchanged files, so results are cached by content
    (callers never mutate the returned data).
    """
    key = (str(path), text, str(cwd))
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return LoadedFile(hit.path, hit.data, list(hit.diagnostics), hit.positions)
    loaded = _load_file(path, text, cwd)
    _CACHE[key] = loaded
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return LoadedFile(loaded.path, loaded.data, list(loaded.diagnostics), loaded.positions)


def _load_file(path: Path, text: str, cwd: Path | None) -> LoadedFile:
    positions = Positions(cwd=cwd)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from tempoctl.desired.bounds import BoundedComposer

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.Composer = BoundedComposer  # aliases and depth bounded while composing, before any expansion
    where0 = positions.render(Pos(path, 1, 1))
    from tempoctl.desired.fastyaml import FALLBACK, load_c

    root = load_c(text)
    try:
        if root is FALLBACK:
            root = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = positions.render(Pos(path, mark.line + 1, mark.column + 1)) if mark else where0
        return LoadedFile(path, None, [Diagnostic(where, "", _yaml_message(exc))], positions)
    except RecursionError:
        return LoadedFile(path, None, [Diagnostic(where0, "", "YAML nesting is too deep")], positions)
    except YAMLError as exc:
        msg = str(getattr(exc, "problem", "") or "").strip() or type(exc).__name__
        return LoadedFile(path, None, [Diagnostic(where0, "", f"YAML error: {msg}")], positions)
    except Exception as exc:  # noqa: BLE001 - the parser must never produce a traceback for any input
        return LoadedFile(
            path, None, [Diagnostic(where0, "", f"cannot parse YAML ({type(exc).__name__})")], positions
        )
    if root is None:
        return LoadedFile(path, None, [], positions)
    walker = _Walker(path, text, positions)
    data = walker.convert(root, ())
    return LoadedFile(path, data, walker.diagnostics, positions)


def _yaml_message(exc: Any) -> str:
    """The parser's own words (problem + context), never its snippet of the file, which could hold a secret."""
    from ruamel.yaml.constructor import DuplicateKeyError

    from tempoctl.desired.bounds import YamlBoundError

    if isinstance(exc, YamlBoundError):
        return str(exc.problem)
    if isinstance(exc, DuplicateKeyError):
        m = re.search(r'found duplicate key "(.*?)"', str(exc.problem or ""))
        key = m.group(1) if m else "?"
        from tempoctl.desired.secrets import find_secret

        if find_secret(key) is not None:
            key = "<redacted>"
        return f'duplicate key "{key}" in the same mapping'
    parts = [str(p) for p in (exc.problem, exc.context) if p]
    return "YAML syntax error: " + ("; ".join(parts) if parts else type(exc).__name__)


class _Walker:
    """Converts ruamel's Commented* nodes to dicts/lists/scalars, recording positions as it goes."""

    def __init__(self, path: Path, text: str, positions: Positions) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.positions = positions
        self.diagnostics: list[Diagnostic] = []
        self._stack: set[int] = set()

    def _pos(self, lc: Any) -> Pos | None:
        if lc is None:
            return None
        try:
            line, col = lc
            return Pos(self.path, int(line) + 1, int(col) + 1)
        except (TypeError, ValueError):
            return None

    def convert(self, node: Any, path: KeyPath) -> Any:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        if not path:
            self.positions.values.setdefault(path, Pos(self.path, 1, 1))
        if isinstance(node, (CommentedMap, CommentedSeq)):
            if id(node) in self._stack:
                self.diagnostics.append(
                    Diagnostic(self.positions.value(path), render_path(path), "recursive alias (*anchor)")
                )
                return None
            self._stack.add(id(node))
            try:
                return self._container(node, path)
            finally:
                self._stack.discard(id(node))
        return self._scalar(node, self.positions.values.get(path))

    def _container(self, node: Any, path: KeyPath) -> Any:
        from ruamel.yaml.comments import CommentedMap

        if isinstance(node, CommentedMap):
            out: dict[Any, Any] = {}
            for k in list(node.keys()):
                kpos = self._safe(node.lc.key, k)
                key = self._scalar(k, kpos)
                if isinstance(key, (dict, list)) or key is None or isinstance(key, float):
                    where = self.positions.render(kpos) if kpos else self.positions.value(path)
                    self.diagnostics.append(
                        Diagnostic(where, render_path(path), "a mapping key must be a plain name")
                    )
                    continue
                key = str(key) if not isinstance(key, str) else key
                sub = (*path, key)
                if kpos:
                    self.positions.keys[sub] = kpos
                vpos = self._safe(node.lc.value, k) or kpos
                if vpos:
                    self.positions.values[sub] = vpos
                out[key] = self.convert(node[k], sub)
            return out
        items: list[Any] = []
        for i, item in enumerate(node):
            sub = (*path, i)
            ipos = self._safe(node.lc.item, i)
            if ipos:
                self.positions.values[sub] = ipos
            items.append(self.convert(item, sub))
        return items

    def _safe(self, getter: Any, k: Any) -> Pos | None:
        try:
            return self._pos(getter(k))
        except Exception:  # noqa: BLE001 - ruamel lacks positions for some merged/flow nodes
            return None

    def _scalar(self, value: Any, pos: Pos | None) -> Any:
        from ruamel.yaml.scalarint import ScalarInt

        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, ScalarInt) and type(value).__name__ in ("HexInt", "HexCapsInt"):
            token = self._token_at(pos)
            if token is not None and len(token) >= 42:
                return token
            return int(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, str):
            return str(value)
        if isinstance(value, (dict, list)):
            return value
        return str(value)  # dates and other YAML types: the text is what the models want

    def _token_at(self, pos: Pos | None) -> str | None:
        if pos is None or pos.line - 1 >= len(self.lines):
            return None
        m = _HEX_TOKEN.match(self.lines[pos.line - 1], pos.col - 1)
        return m.group(0).replace("_", "") if m else None
