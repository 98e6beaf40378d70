"""Document path -> the node it was written as -> ``line:column`` in the uploaded text.

Only the error path composes nodes (libyaml's composer, safe here: ``loading`` has already bounded
the depth), so a valid file never pays for it; and it composes only the flags with problems, each
from its own span of the text, unless one cannot stand alone.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from feature_validator.errors import PathPart, Problem, problem_at
from feature_validator.loading import Spans, gc_paused, node_reads_as

if TYPE_CHECKING:
    from collections.abc import Sequence


class Locator:
    def __init__(self, text: str, spans: Spans | None = None) -> None:
        self._text = text
        self._spans: Spans = spans or {}
        self._flags: dict[str, Node | None] = {}
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
        if node is None:  # loading has already refused a file without content
            raise ValueError("no YAML content")
        return node

    def node(self, path: Sequence[PathPart]) -> Node:
        """The deepest node on ``path`` (the path itself when every step exists)."""
        node = (self._flag(path[0]) if path and isinstance(path[0], str) else None) or self.root
        for part in path:
            child = self._child(node, part)
            if child is None:
                break
            node = child[1]
        return node

    def key_node(self, path: Sequence[PathPart], key: str) -> Node:
        """The node of ``key`` itself (not its value) in the mapping at ``path``."""
        mapping = self.node(path)
        child = self._child(mapping, key)
        return child[0] if child else mapping

    def problem(
        self, path: Sequence[PathPart], message: str, code: str, *, at_key: str | None = None
    ) -> Problem:
        if not path and at_key is None:
            line, column = self._root_start()
            return problem_at(path, line, column, message, code)
        if not path and at_key in self._spans:
            _, _, line, column = self._spans[at_key]
            return problem_at([at_key], line + 1, column + 1, message, code)
        node = self.key_node(path, at_key) if at_key is not None else self.node(path)
        full_path = [*path, at_key] if at_key is not None else path
        mark = node.start_mark
        return problem_at(full_path, mark.line + 1, mark.column + 1, message, code)

    def _flag(self, name: str) -> Node | None:
        """One top-level entry composed on its own, from its span of the text, with its marks where
        they are in the whole file (blank lines and spaces stand in for what precedes it). None when
        it cannot stand alone (an alias to an anchor elsewhere, say): then the whole file is composed.
        """
        if name in self._flags:
            return self._flags[name]
        node: Node | None = None
        span = self._spans.get(name)
        if span is not None and "root" not in self.__dict__:
            start, end, line, column = span
            piece = "\n" * line + " " * column + self._text[start:end]
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
                node = candidate
        self._flags[name] = node
        return node

    def _root_start(self) -> tuple[int, int]:
        """Where the document's top node starts, from the first events: no need to compose it all."""
        if "root" in self.__dict__:
            mark = self.root.start_mark
            return mark.line + 1, mark.column + 1
        for event in yaml.parse(self._text, Loader=yaml.CSafeLoader):
            mark = event.start_mark
            if isinstance(event, yaml.NodeEvent) and mark is not None:
                return mark.line + 1, mark.column + 1
        return 1, 1

    def reads_as(self, path: Sequence[PathPart]) -> str | None:
        """How YAML read the value at ``path`` when it was written unquoted and is not a string."""
        return node_reads_as(self.node(path))

    def is_plain_scalar(self, path: Sequence[PathPart]) -> bool:
        node = self.node(path)
        return isinstance(node, ScalarNode) and not node.style

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
