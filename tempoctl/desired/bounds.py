"""Bounds on hostile YAML, enforced while ruamel composes the document and before anything expands it.

ruamel composes an alias as a reference to the anchored node, so a 400-byte "billion laughs" file composes
into a few dozen shared nodes; the blow-up happens later, in whatever walks the data as a tree (our
position-keeping walker, pydantic). Counting, per alias, the size of the tree it stands for (memoised per
node, so the count itself is linear) refuses such a file at the alias that crosses the bound, with its
file:line:col, before a single copy is made. Depth and file size are bounded for the same reason.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, SequenceNode

# A 10,000-item environment (issue 12; bench/generate.py's format) is 0.8 MB and 36,000 YAML nodes in one
# file. The parser is pure Python (~10 µs per byte or node, ~2 kB per node): an 8 MB file of 480,000 keys took
# 107 s and 1 GB. 4 MiB and 200,000 nodes per file keep a hostile file to seconds and a few hundred MB.
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
# State files nest about 8 levels; 64 is far beyond any honest file and well inside Python's recursion limit.
MAX_DEPTH = 64
# Nodes that aliases may stand for in one file: generous for anchors reused across roles and hosts.
MAX_ALIAS_NODES = 100_000


class YamlBoundError(ComposerError):
    """A bound of this module was crossed; `problem_mark` is where (1 line, 1 col, 0-based in ruamel)."""


class BoundedComposer(Composer):
    """ruamel's Composer with the bounds above; plugged in as `YAML().Composer`."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader=loader)
        self._alias_nodes = 0
        self._nodes = 0
        self._level = 0
        self._open: set[str] = set()
        self._size: dict[int, int] = {}
        self._height: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            if event.anchor in self._open:
                raise YamlBoundError(None, None, f"recursive alias *{event.anchor}", event.start_mark)
            node = super().compose_node(parent, index)
            self._alias_nodes += self._weight(node)
            if self._alias_nodes > MAX_ALIAS_NODES:
                raise YamlBoundError(
                    None, None,
                    f"aliases (*{event.anchor} and earlier) stand for more than {MAX_ALIAS_NODES:,} values: "
                    "refused before expanding them (an alias bomb?)",
                    event.start_mark,
                )
            if self._level + self._depth(node) > MAX_DEPTH:
                raise YamlBoundError(
                    None, None, f"alias *{event.anchor} makes the document nested deeper than {MAX_DEPTH} levels",
                    event.start_mark,
                )
            return node
        self._level += 1
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise YamlBoundError(None, None, f"more than {MAX_NODES:,} values in one file: split it into several "
                                 "files", event.start_mark)
        if self._level > MAX_DEPTH:
            raise YamlBoundError(None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._level -= 1
            if anchor is not None:
                self._open.discard(anchor)

    def _children(self, node: Any) -> list[Any]:
        if isinstance(node, MappingNode):
            return [n for pair in node.value for n in pair]
        if isinstance(node, SequenceNode):
            return list(node.value)
        return []

    def _weight(self, node: Any) -> int:
        """Values the node stands for when written out as a tree (aliased sub-nodes counted each time)."""
        key = id(node)
        if key not in self._size:
            self._size[key] = 1 + sum(self._weight(c) for c in self._children(node))
        return self._size[key]

    def _depth(self, node: Any) -> int:
        key = id(node)
        if key not in self._height:
            self._height[key] = 1 + max((self._depth(c) for c in self._children(node)), default=0)
        return self._height[key]
