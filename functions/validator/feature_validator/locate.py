"""Document path -> the node it was written as -> ``line:column`` in the uploaded text.

Only the error path composes nodes (libyaml's composer, safe here: the reading has already
bounded the depth and refused what the composer cannot take), so a valid file never pays for it;
and it composes only the flags with problems, each from its own span of the text, unless one
cannot stand alone. Positions come from the nodes' offsets and the reading's line table, so they
are counted as editors count them.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import yaml
from appconfig_reading.text import Lines
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from feature_validator.errors import PathPart, Problem, problem_at
from feature_validator.loading import gc_paused, node_reads_as

if TYPE_CHECKING:
    from collections.abc import Sequence

    from appconfig_reading.yaml_loader import Spans


class Locator:
    def __init__(self, text: str, spans: Spans | None = None, lines: Lines | None = None) -> None:
        self._text = text
        self._spans: Spans = spans or {}
        self._lines = lines or Lines(text)
        self._flags: dict[str, tuple[Node, int] | None] = {}
        # Each mapping's keys, indexed on first use: a file with many problems in one big mapping
        # would otherwise scan that mapping once per problem.
        self._indexes: dict[int, dict[str, tuple[Node, Node]]] = {}

    @cached_property
    def root(self) -> Node:
        loader = yaml.CSafeLoader(self._text)
        try:
            with gc_paused():
                node: Node | None = loader.get_single_node()
        finally:
            loader.dispose()
        if node is None:  # the reading has already refused a file without content
            raise ValueError("no YAML content")
        return node

    def position(self, index: int) -> tuple[int, int]:
        return self._lines.position(index)

    def node(self, path: Sequence[PathPart]) -> tuple[Node, int]:
        """The deepest node on ``path`` (the path itself when every step exists), and the offset to
        add to its marks' indexes (nodes of a flag composed on its own are offset)."""
        composed = self._flag(path[0]) if path and isinstance(path[0], str) else None
        node, offset = composed or (self.root, 0)
        for part in path:
            child = self._child(node, part)
            if child is None:
                break
            node = child[1]
        return node, offset

    def problem(
        self, path: Sequence[PathPart], message: str, code: str, *, at_key: str | None = None
    ) -> Problem:
        """A problem at the node on ``path`` (or, with ``at_key``, at that key of the mapping there)."""
        if not path and at_key is None:
            return problem_at(path, *self.position(self._root_start()), message, code)
        if not path and at_key in self._spans:
            start = self._spans[at_key][0]
            return problem_at([at_key], *self.position(start), message, code)
        node, offset = self.node(path)
        if at_key is not None:
            child = self._child(node, at_key)
            node = child[0] if child else node
        full_path = [*path, at_key] if at_key is not None else path
        return problem_at(full_path, *self.position(node.start_mark.index + offset), message, code)

    def _flag(self, name: str) -> tuple[Node, int] | None:
        """One top-level entry composed on its own, from its span of the text (indented to its
        column, so block structure reads the same). None when it cannot stand alone (an alias to
        an anchor elsewhere, say): then the whole file is composed."""
        if name in self._flags:
            return self._flags[name]
        found: tuple[Node, int] | None = None
        span = self._spans.get(name)
        if span is not None and "root" not in self.__dict__:
            start, end, column = span
            piece = " " * column + self._text[start:end]
            try:
                with gc_paused():
                    candidate = yaml.compose(piece, Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                candidate = None
            if (
                isinstance(candidate, MappingNode)
                and len(candidate.value) == 1
                and candidate.value[0][0].value == name
            ):
                found = (candidate, start - column)
        self._flags[name] = found
        return found

    def _root_start(self) -> int:
        """Where the document's top node starts, from the first events: no need to compose it all."""
        if "root" in self.__dict__:
            return int(self.root.start_mark.index)
        for event in yaml.parse(self._text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.NodeEvent) and event.start_mark is not None:
                return int(event.start_mark.index)
        return 0

    def reads_as(self, path: Sequence[PathPart]) -> str | None:
        """How YAML read the value at ``path`` when it was written unquoted and is not a string."""
        return node_reads_as(self.node(path)[0])

    def _child(self, node: Node, part: PathPart) -> tuple[Node, Node] | None:
        if isinstance(node, MappingNode) and isinstance(part, str):
            index = self._indexes.get(id(node))
            if index is None:
                # The last occurrence wins, as it does in the data.
                index = {str(k.value): (k, v) for k, v in node.value if isinstance(k, ScalarNode)}
                self._indexes[id(node)] = index
            return index.get(part)
        if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            item = node.value[part]
            return (item, item)
        return None
