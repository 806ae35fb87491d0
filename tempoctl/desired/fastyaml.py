"""libyaml's C parser under ruamel's round-trip composer and constructor: the same document, 4-5× faster.

ruamel's pure-Python scanner and parser were three quarters of `validate` (issue 15: 1.25 s for 5,000 items).
With `ruamel.yaml.clib` installed, its `CParser` turns the text into events (with the same 0-based line and
column marks); ruamel's own composer — our `BoundedComposer`, so the alias, depth and size bounds hold exactly
as before — and round-trip constructor build the same `CommentedMap`s with the same positions from them.

Anything unusual goes the pure way, so no error message or position changes: when the C extension is missing,
when the file has a `%` directive (the pure parser switches YAML version on `%YAML 1.1`; the C one does not
tell the resolver), when it does not end with a newline (the two place an empty last value differently), and when the C path raises anything at all (a syntax error, a bound, a duplicate key) —
the caller then parses again with the pure parser, which produces today's diagnostic, file:line:col and all.
Errors are rare and bounded in size, so parsing such a file twice costs little.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

FALLBACK = object()
"""Returned when the pure parser must do the work (see the module docstring)."""

_DIRECTIVE = re.compile(r"^%", re.MULTILINE)


class _Version:
    """Stands in for the scanner, which ruamel's resolver asks for the document's YAML version on every
    scalar; files with a `%YAML` directive go the pure way, so it is always 1.2 here."""

    yaml_version = (1, 2)


def load_c(text: str) -> Any:
    """The round-trip document of `text` (None when empty), or `FALLBACK`."""
    if _DIRECTIVE.search(text) or not text.endswith("\n"):
        return FALLBACK
    try:
        cparser = importlib.import_module("_ruamel_yaml").CParser  # ruamel.yaml.clib
    except (ImportError, AttributeError):
        return FALLBACK
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.Composer = _composer_class()
    try:
        # The composer reads events from `loader._parser` (YAML() would only use the C parser for typ="safe",
        # which keeps no positions), the version resolver reads `loader._scanner`.
        setattr(yaml, "_parser", cparser(text))  # noqa: B010 - private slots of ruamel's YAML, no public setter
        setattr(yaml, "_scanner", _Version())  # noqa: B010
        return yaml.constructor.get_single_data()
    except Exception:  # noqa: BLE001 - the pure parser says what is wrong, exactly as it always has
        return FALLBACK


def _composer_class() -> Any:
    """`BoundedComposer` reading the parser and resolver as plain attributes (ruamel reaches them through two
    properties per event: a third of the composing time once the parser is C), placing empty values as the
    pure parser does."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    from tempoctl.desired.bounds import BoundedComposer

    class DirectComposer(BoundedComposer):
        parser: Any = None
        resolver: Any = None

        def __init__(self, loader: Any = None) -> None:
            super().__init__(loader=loader)
            self.parser = loader._parser
            self.resolver = loader.resolver

        def compose_node(self, parent: Any, index: Any) -> Any:
            node = super().compose_node(parent, index)
            if index is not None and isinstance(parent, MappingNode) and isinstance(node, ScalarNode) \
                    and node.value == "" and not node.style:
                # An empty mapping value (`key:` and nothing after it): libyaml places it just after the
                # colon, the pure parser at the start of what follows; errors about a missing value keep
                # naming the line and column they always named.
                node.start_mark = node.end_mark = self.parser.peek_event().start_mark
            return node

    return DirectComposer
