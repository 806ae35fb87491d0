"""Turns pydantic's validation errors into operator-facing Diagnostics: file:line:col from the source
positions, a clean dotted path (no union tags or `function-after[...]` parts) and a message in operator
words, with one message per union instead of one per member tried.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel

from tempoctl.desired.source import KeyPath, Positions, render_path
from tempoctl.errors import Diagnostic

_QUOTED = re.compile(r"'([^']*)'")

_PATTERN_WORDS = {
    "wasm_sha256": "expected the wasm's SHA-256 as 64 lower-case hex digits",
    "min_fee_balance": 'expected a decimal amount in fee-token units, such as "5" or "0.25"',
    "mode": 'expected an octal file mode such as "0600"',
}

_TYPE_WORDS = {
    "int_parsing": "expected an integer",
    "int_type": "expected an integer",
    "int_from_float": "expected an integer",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected a string",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
}

_BOUNDS = {
    "greater_than": ("gt", "greater than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}


class Template(str):
    """A scalar shown as written (`${RPC}`), because its expanded value must never reach a message."""


def describe(value: Any) -> str:
    """A short rendering of an input value for "got ..." (values are already secret-free here; an expanded
    one arrives as its `Template`)."""
    if isinstance(value, Template):
        whole = value.startswith("${") and value.endswith("}") and value.count("${") == 1
        return str(value) if whole else '"' + value.replace('"', '\\"') + '"'
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        text = value if len(value) <= 48 else value[:45] + "..."
        return '"' + text.replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def did_you_mean(word: str, options: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f'did you mean "{close[0]}"?' if close else ""


def _walk(loc: tuple[Any, ...], data: Any) -> tuple[KeyPath, tuple[KeyPath, str] | None, bool]:
    """Map pydantic's loc onto the data: keep real keys/indices, drop union tags and member labels.

    Returns the clean path, the first union branch seen (path at the union, member label) and whether the
    error is about a mapping key rather than its value."""
    cur, branch, is_key = data, None, False
    path: list[str | int] = []
    for part in loc:
        in_dict = isinstance(cur, dict) and isinstance(part, str) and part in cur
        in_list = isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        if in_dict or in_list:
            path.append(part)
            cur = cur[part]
        elif part == "[key]":
            is_key = True
        elif isinstance(cur, dict) and part in (cur.get("profile"), cur.get("type")):
            continue  # discriminated-union tag
        elif branch is None:
            branch = (tuple(path), str(part))
    return tuple(path), branch, is_key


def _strip(t: Any) -> Any:
    while typing.get_origin(t) is typing.Annotated:
        t = typing.get_args(t)[0]
    return t


def _tags(model: type[BaseModel]) -> set[Any]:
    out: set[Any] = set()
    for name in ("profile", "type"):
        f = model.model_fields.get(name)
        if f is not None and typing.get_origin(f.annotation) is typing.Literal:
            out.update(typing.get_args(f.annotation))
    return out


def fields_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The YAML keys allowed by the model found at pydantic `loc` (for "did you mean" on unknown keys)."""
    t: Any = root
    i = 0
    for _ in range(4 * len(loc) + 8):
        t = _strip(t)
        if i >= len(loc):
            break
        part = loc[i]
        origin = typing.get_origin(t)
        if isinstance(t, type) and issubclass(t, BaseModel):
            match = [f for n, f in t.model_fields.items() if (f.alias or n) == part]
            if not match:
                return []
            t, i = match[0].annotation, i + 1
        elif origin in (typing.Union, types.UnionType):
            members = [_strip(m) for m in typing.get_args(t) if m is not type(None)]
            chosen = [
                m
                for m in members
                if isinstance(m, type)
                and issubclass(m, BaseModel)
                and (part in _tags(m) or m.__name__ == part)
            ]
            if chosen:
                t, i = chosen[0], i + 1
            elif len(members) == 1:
                t = members[0]
            else:
                return []
        elif origin is dict:
            t, i = typing.get_args(t)[1], i + 1
        elif origin in (list, tuple):
            t, i = typing.get_args(t)[0], i + 1
        else:
            return []
    t = _strip(t)
    if isinstance(t, type) and issubclass(t, BaseModel):
        return [f.alias or n for n, f in t.model_fields.items()]
    return []


def _message(err: dict[str, Any], field: str, root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    typ, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if typ == "missing" and isinstance(loc[-1], int):
        return f"too few items: item [{loc[-1]}] is missing"
    if typ == "missing":
        return f'required key "{loc[-1]}" is missing'
    if typ == "extra_forbidden":
        hint = did_you_mean(str(loc[-1]), fields_at(root, loc[:-1]))
        return f'unknown key "{loc[-1]}"' + (f" ({hint})" if hint else "")
    if typ in ("union_tag_invalid", "union_tag_not_found"):
        disc = str(ctx.get("discriminator", "profile")).strip("'")
        expected = _QUOTED.findall(str(ctx.get("expected_tags", "")))
        if typ == "union_tag_not_found":
            return f'required key "{disc}" is missing (one of: {", ".join(expected)})'
        hint = did_you_mean(str(ctx.get("tag", "")), expected)
        return f'unknown {disc} "{ctx.get("tag")}" ({hint + " " if hint else ""}expected one of: {", ".join(expected)})'
    if typ == "literal_error":
        expected = _QUOTED.findall(str(ctx.get("expected", ""))) or [str(ctx.get("expected", ""))]
        hint = did_you_mean(str(value), expected) if isinstance(value, str) else ""
        return f"expected one of: {', '.join(expected)}; got {describe(value)}" + (
            f" ({hint})" if hint else ""
        )
    if typ in _TYPE_WORDS:
        return f"{_TYPE_WORDS[typ]}, got {describe(value)}"
    if typ in _BOUNDS:
        key, words = _BOUNDS[typ]
        return f"must be {words} {ctx.get(key)}, got {describe(value)}"
    if typ == "string_pattern_mismatch":
        return _PATTERN_WORDS.get(field, f"does not match the pattern {ctx.get('pattern')}") + (
            f", got {describe(value)}"
        )
    if typ in ("too_short", "too_long"):
        n = ctx.get("min_length") if typ == "too_short" else ctx.get("max_length")
        return f"expected {n} items, got {ctx.get('actual_length')}"
    if typ == "value_error":
        return str(err.get("msg", "")).removeprefix("Value error, ")
    return str(err.get("msg", "invalid value"))


_LABEL_WORDS = (
    ("list[", "a list"),
    ("tuple[", "a list"),
    ("dict[", "a mapping"),
    ("literal[False]", "false"),
    ("normalise_evm_address", "an EVM address"),
    ("str", "a string"),
    ("int", "an integer"),
    ("bool", "true or false"),
)


def _label_words(label: str) -> str:
    if label.startswith("list[") and "normalise_evm_address" in label:
        return "a list of addresses"
    if label[:1].isupper():
        return "a mapping"
    for prefix, words in _LABEL_WORDS:
        if label.startswith(prefix) or (prefix.isidentifier() and prefix in label and "[" in label):
            return words
    return label


def _fits(label: str, value: Any) -> bool:
    if isinstance(value, dict):
        return label[:1].isupper() or label.startswith("dict[")
    if isinstance(value, list):
        return label.startswith(("list[", "tuple["))
    return not (label[:1].isupper() or label.startswith(("list[", "tuple[", "dict[")))


def _at(data: Any, path: KeyPath) -> Any:
    for part in path:
        data = data[part]
    return data


def translate(
    errors: list[dict[str, Any]],
    data: Any,
    positions: Positions,
    root: type[BaseModel],
    templates: dict[KeyPath, str] | None = None,
) -> list[Diagnostic]:
    """One Diagnostic per problem; errors from the members of one union collapse into one. A value that
    came from `${VAR}` expansion (`templates`: path → the scalar as written) is shown as written."""
    plain: list[tuple[dict[str, Any], KeyPath, bool]] = []
    unions: dict[KeyPath, dict[str, list[tuple[dict[str, Any], KeyPath, bool]]]] = {}
    shown = templates or {}
    for err in errors:
        loc = tuple(err["loc"])
        walk_loc = loc[:-1] if err["type"] == "missing" else loc
        path, branch, is_key = _walk(walk_loc, data)
        if path in shown and not is_key:
            err = {**err, "input": Template(shown[path])}
        if branch is None:
            plain.append((err, path, is_key))
        else:
            unions.setdefault(branch[0], {}).setdefault(branch[1], []).append((err, path, is_key))
    for upath, branches in unions.items():
        value = Template(shown[upath]) if upath in shown else _at(data, upath)
        fitting = [b for b in branches if _fits(b, value)]
        if fitting:
            best = min(
                fitting,
                key=lambda b: (
                    not any(e["type"] == "value_error" for e, _, _ in branches[b]),
                    len(branches[b]),
                ),
            )
            plain.extend(branches[best])
        else:
            words = sorted({_label_words(b) for b in branches}, key=lambda w: (w != "an EVM address", w))
            fake = {
                "type": "union",
                "msg": f"expected {' or '.join(words)}, got {describe(value)}",
                "loc": (),
            }
            plain.append((fake, upath, False))
    out: list[Diagnostic] = []
    seen: set[tuple[str, str, str]] = set()
    for err, path, is_key in plain:
        loc = tuple(err["loc"])
        field = str(path[-1]) if path else ""
        msg = _message(err, field, root, loc) if err["type"] != "union" else err["msg"]
        list_item = err["type"] == "missing" and loc and isinstance(loc[-1], int)
        if err["type"] in ("missing", "extra_forbidden") and not list_item or is_key:
            where = positions.key(path)
        elif err["type"] == "union_tag_invalid":
            disc = str((err.get("ctx") or {}).get("discriminator", "profile")).strip("'")
            where = positions.value((*path, disc))
            path = (*path, disc)
        else:
            where = positions.value(path)
        if is_key:
            msg = "mapping key: " + msg
        d = (where, render_path(path), msg)
        if d not in seen:
            seen.add(d)
            out.append(Diagnostic(*d))
    return out
