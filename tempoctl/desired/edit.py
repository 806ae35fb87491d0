"""Write back into state files: merge additions into a YAML file with ruamel.yaml round-trip, so comments,
key order, quoting and flow/block style of everything already there stay exactly as the operator wrote them.

Used by `tempoctl import --write`. Only additions are supported (new keys, new list items); nothing already
in a file is changed or removed. Before touching a file we check that ruamel reproduces it byte for byte;
a file it cannot (unusual indentation) is refused rather than reformatted.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Mapping
from typing import Any

from tempoctl.errors import ConfigError


class EditError(ConfigError):
    """A state file cannot be edited without changing what the operator wrote."""


def guess_indent(text: str) -> tuple[int, int]:
    """(mapping indent, sequence dash offset) as the file uses them, from `key:` lines and the line after.

    ruamel's own guesser misreads files whose block sequences are indented under their key (`key:\\n  - x`).
    """
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    steps: list[int] = []
    offsets: list[int] = []
    for a, b in itertools.pairwise(lines):
        ia, ib = len(a) - len(a.lstrip()), len(b) - len(b.lstrip())
        if not a.split(" #")[0].rstrip().endswith(":"):
            continue
        if b.lstrip().startswith("- "):
            offsets.append(ib - ia)
        elif ib > ia:
            steps.append(ib - ia)
    return (min(steps) if steps else 2), (max(0, min(offsets)) if offsets else 2)


def _yaml(text: str) -> Any:
    from ruamel.yaml import YAML

    mapping, offset = guess_indent(text)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines (addresses, comments)
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    return yaml


def _dump(yaml: Any, doc: Any) -> str:
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def _scalar(value: Any) -> Any:
    """New 0x… strings are double-quoted, as state files write EVM addresses and ids (unquoted, YAML 1.2
    reads them as integers); other strings are plain, and ruamel quotes them if they would read as
    anything but a string."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, str) and value[:2].lower() == "0x":
        return DoubleQuotedScalarString(value)
    return value


def _node(value: Any, flow: bool) -> Any:
    """A new ruamel node for plain data. Lists are flow style (`[a, b]`); a mapping is flow style only when
    `flow` and it holds nothing but scalars (`{id: "0x…", broken: true}`), else block style."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, Mapping):
        m = CommentedMap()
        for k, v in value.items():
            m[k] = _node(v, flow=True)
        if flow and not any(isinstance(v, Mapping | list) for v in value.values()):
            m.fa.set_flow_style()
        return m
    if isinstance(value, list):
        s = CommentedSeq(_node(v, flow=True) for v in value)
        s.fa.set_flow_style()
        return s
    return _scalar(value)


def _siblings_flow(container: Any) -> bool:
    """Whether the existing lists/mappings in `container` are written in flow style (`[a, b]`)."""
    for v in container.values():
        fa = getattr(v, "fa", None)
        if fa is not None:
            return bool(fa.flow_style())
    return False


def _shift_comment(parent: Any, key: Any, by: int) -> None:
    """Keep the gap before an end-of-line comment when a flow list on that line grows (ruamel keeps the
    comment's absolute column, which would squeeze it against the longer list)."""
    tokens = [parent.ca.items.get(key, [None] * 4)[2], *(parent[key].ca.comment or [None])[:1]]
    for token in {id(t): t for t in tokens if t is not None and hasattr(t, "column")}.values():
        token.column += by


def _slot(container: Any, key: Any) -> tuple[Any, int]:
    """Where ruamel keeps the comment that follows `container[key]` on its line (and the lines after)."""
    from ruamel.yaml.comments import CommentedSeq

    if isinstance(container, CommentedSeq):
        return container.ca.items.setdefault(key, [None, None, None, None]), 0
    return container.ca.items.setdefault(key, [None, None, None, None]), 2


def _tail(container: Any, key: Any) -> tuple[Any, int]:
    """The comment slot at the very end of `container[key]`'s subtree (its last line)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    value = container[key]
    if isinstance(value, CommentedMap | CommentedSeq) and len(value) and not value.fa.flow_style():
        last = list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1
        return _tail(value, last)
    return _slot(container, key)


def _move_trailing(container: Any, old: Any, new: Any) -> None:
    """Comment lines and blank lines that followed `old`'s last line belong to what came after it: keep them
    after `new`, which is now the last entry (ruamel would leave them between the two)."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    slots, i = _tail(container, old)
    token = slots[i]
    if token is None or "\n" not in token.value:
        return
    eol, rest = token.value.split("\n", 1)
    if not rest:
        return
    token.value = eol + "\n"
    new_slots, j = _tail(container, new)
    new_slots[j] = CommentToken("\n" + rest, CommentMark(0), None)


def _merge(target: Any, addition: Mapping[str, Any], where: str) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    for key, value in addition.items():
        here = f"{where}.{key}" if where else str(key)
        if key not in target or target[key] is None:
            previous = list(target)[-1] if len(target) and key not in target else None
            target[key] = _node(value, flow=_siblings_flow(target) or not isinstance(value, Mapping))
            if previous is not None:
                _move_trailing(target, previous, key)
        elif isinstance(value, Mapping) and isinstance(target[key], CommentedMap):
            _merge(target[key], value, here)
        elif isinstance(value, list) and isinstance(target[key], CommentedSeq):
            seq = target[key]
            grown = 0
            for item in value:
                if item not in seq:
                    seq.append(_node(item, flow=True))
                    grown += len(str(item)) + 4  # `, "item"`
                    if not seq.fa.flow_style() and len(seq) > 1:
                        _move_trailing(seq, len(seq) - 2, len(seq) - 1)
            if grown and seq.fa.flow_style():
                _shift_comment(target, key, grown)
        else:
            raise EditError(f"cannot merge into {here}: the file has a {type(target[key]).__name__} there",
                            hint="Edit the file by hand; `tempoctl import` without --write prints the YAML.")


def merge_yaml(text: str, addition: Mapping[str, Any], *, name: str = "state file") -> str:
    """`text` with `addition` (plain nested dicts/lists/scalars) merged in: mappings merged by key (new keys
    go last), lists extended with items not already present.

    Raises:
        EditError: the file's own formatting would not survive a round trip, or a key holds another kind
            of value than the addition expects.
    """
    yaml = _yaml(text)
    doc = yaml.load(text)
    if doc is None:
        from ruamel.yaml.comments import CommentedMap

        doc = CommentedMap()
    elif _dump(yaml, doc) != text:
        raise EditError(
            f"{name}: its formatting cannot be kept exactly (mixed indentation or unusual layout)",
            hint="Re-indent it consistently, or paste the YAML that `tempoctl import` prints by hand.",
        )
    _merge(doc, addition, "")
    return _dump(yaml, doc)
