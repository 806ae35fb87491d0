"""Control characters in text that tempoctl did not write itself: one definition for the whole data flow.

State files refuse them (desired/loader.py); text from outside (RPC and revert messages, host output, file
names) is stripped of them before it reaches a terminal (`for_terminal`, used by the CLI's error funnel, the
text renderer and the progress lines) and escaped before it reaches Markdown (`for_markdown`). A hostile RPC
can otherwise move the cursor, rewrite a line with `\\r` or ESC sequences (a fake "Apply complete"), set the
window title with OSC, or reorder what a reviewer reads with bidi overrides (DESIGN §8).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

# C0 (tab, newline and carriage return included), DEL, C1 (0x80-0x9f: CSI is 0x9b), the Unicode line and
# paragraph separators, and every bidi control (embeddings, overrides, isolates, marks).
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]"
)
# An ESC sequence as a terminal reads it: CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), other two-byte.
_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")


# Values read from the environment by `${VAR}` in this process: value → "${VAR}". Every writer of text for
# people (terminal, Markdown) shows the reference instead of the value (DESIGN §8).
_HIDDEN: dict[str, str] = {}


def register_hidden(values: dict[str, str]) -> None:
    """Remember expanded values (value → `${VAR}`) so that `hide` keeps them out of every output."""
    for value, ref in values.items():
        _HIDDEN.setdefault(value, ref)


def reset_hidden() -> None:
    """Forget registered values: each command (and each test) starts with its own loads only."""
    _HIDDEN.clear()


def hide(text: str) -> str:
    """`text` with every registered expanded value replaced by its `${VAR}` (longest first)."""
    if not _HIDDEN:
        return text
    for value in sorted(_HIDDEN, key=len, reverse=True):
        if value in text:
            text = text.replace(value, _HIDDEN[value])
    return text


def find_control(text: str, *, allow_newline: bool = False) -> int | None:
    """Index of the first control character in `text` (newline and tab allowed if `allow_newline`), or None."""
    for m in _CONTROL.finditer(text):
        if allow_newline and m.group(0) in "\n\t":
            continue
        return m.start()
    return None


def describe_control(char: str) -> str:
    """`U+000A (line feed)`: how a message names a control character without printing it."""
    names = {"\n": "line feed", "\r": "carriage return", "\t": "tab", "\x1b": "escape", "\x07": "bell",
             "\x00": "NUL", "\x9b": "CSI"}
    name = names.get(char) or unicodedata.name(char, "").lower() or "control character"
    return f"U+{ord(char):04X} ({name})"


def for_terminal(text: str, *, multiline: bool = True) -> str:
    """`text` with escape sequences removed and every other control character dropped.

    Newlines stay only where multi-line output is intended (`multiline`); tabs become a space. A carriage
    return is dropped, not turned into a newline, so a line cannot be painted over.
    """
    text = _ESCAPE.sub("", hide(text))

    def keep(m: re.Match[str]) -> str:
        c = m.group(0)
        if c == "\n":
            return "\n" if multiline else " "
        return " " if c == "\t" else ""

    return _CONTROL.sub(keep, text)


def clean_document(node: Any, clean: Callable[[str], str]) -> Any:
    """A copy of a plain document (dicts, lists, scalars) with `clean` applied to every string, keys
    included: what a renderer does first with a plan or drift document, which holds outside text."""
    if isinstance(node, str):
        return clean(node)
    if isinstance(node, dict):
        return {clean(k) if isinstance(k, str) else k: clean_document(v, clean) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [clean_document(v, clean) for v in node]
    return node


def inert_value(text: str) -> str:
    """`text` without escape sequences and control characters, except newlines and tabs: for values that
    the renderer quotes as JSON when they hold either (plan `before`/`after`), so a file's content keeps its
    lines and still prints as `"a\\nb"`."""
    text = _ESCAPE.sub("", hide(text))
    return _CONTROL.sub(lambda m: m.group(0) if m.group(0) in "\n\t" else "", text)


# Plan fields the renderers print through `fmt_value`, which JSON-quotes a string holding a newline or tab.
_QUOTED_VALUES = frozenset({"before", "after", "expected", "actual"})
# Step fields printed as they are; every other step field is a value shown through `fmt_value`.
_RAW_STEP_FIELDS = frozenset({"kind", "display", "signer", "simulation", "via"})


def clean_plan(doc: Any, *, step: bool = False) -> Any:
    """A plan or drift document ready for a renderer: every string `one_line`, except values the renderer
    JSON-quotes (`before`/`after`, a step's arguments and file content), which keep newlines and tabs."""
    if isinstance(doc, dict):
        out: dict[Any, Any] = {}
        for k, v in doc.items():
            quoted = k in _QUOTED_VALUES or (step and k not in _RAW_STEP_FIELDS)
            out[one_line(k) if isinstance(k, str) else k] = (
                clean_document(v, inert_value) if quoted else clean_plan(v, step=k == "steps"))
        return out
    if isinstance(doc, (list, tuple)):
        return [clean_plan(v, step=step) for v in doc]
    return one_line(doc) if isinstance(doc, str) else doc


def one_line(text: str) -> str:
    """`for_terminal` for a value shown inside a line."""
    return for_terminal(text, multiline=False)


# What json.dumps(ensure_ascii=False) leaves raw: DEL, C1 (U+009B is a CSI to many terminals), the line and
# paragraph separators and the bidi controls. They only occur inside JSON strings, where \uXXXX is the same.
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def json_inert(text: str) -> str:
    """A JSON document (from `json.dumps(..., ensure_ascii=False)`) with the control characters it left raw
    escaped as `\\uXXXX`: the same document to a parser, inert on a terminal."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


_MARKDOWN = str.maketrans({"<": "&lt;", ">": "&gt;", "`": "'", "|": "\\|", "\n": " ", "&": "&amp;"})


def for_markdown(text: str) -> str:
    """Outside text made inert in a Markdown comment: no HTML (so no `<!--` marker or `-->`), no code-span
    break-out, no table-cell break, no control character. Use it for text outside a fenced code block."""
    return for_terminal(text, multiline=False).translate(_MARKDOWN)


def for_code_block(text: str) -> str:
    """Outside text inside a fenced block: fences are sized by the caller; `<!--`/`-->` are still defused,
    because a bot that searches the raw comment for its markers would otherwise find them here."""
    return defuse_comments(for_terminal(text))


def defuse_comments(text: str) -> str:
    """No `<!--` or `-->` left: where HTML is inert (code) a bot reading the raw comment still must not find
    a marker that only tempoctl's own footer may hold."""
    while "<!--" in text or "-->" in text:
        text = text.replace("<!--", "<!- -").replace("-->", "- ->")
    return text


class TerminalLogFilter:
    """A logging filter that passes every record's message through `for_terminal` (the `-v` log quotes host
    commands and their output)."""

    def filter(self, record: Any) -> bool:
        record.msg, record.args = for_terminal(record.getMessage()), None
        return True
