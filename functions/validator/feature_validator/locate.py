"""Document path -> the node it was written as -> ``line:column`` in the uploaded text.

Only the error path composes the node tree (libyaml's composer, safe here: ``loading`` has already
bounded the depth), so a valid file never pays for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from feature_validator.errors import PathPart, Problem, problem_at
from feature_validator.loading import gc_paused, node_reads_as


class Locator:
    def __init__(self, text: str) -> None:
        self._text = text

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
        node = self.root
        for part in path:
            child = _child(node, part)
            if child is None:
                break
            node = child[1]
        return node

    def key_node(self, path: Sequence[PathPart], key: str) -> Node:
        """The node of ``key`` itself (not its value) in the mapping at ``path``."""
        mapping = self.node(path)
        child = _child(mapping, key)
        return child[0] if child else mapping

    def problem(
        self, path: Sequence[PathPart], message: str, code: str, *, at_key: str | None = None
    ) -> Problem:
        node = self.key_node(path, at_key) if at_key is not None else self.node(path)
        full_path = [*path, at_key] if at_key is not None else path
        mark = node.start_mark
        return problem_at(full_path, mark.line + 1, mark.column + 1, message, code)

    def reads_as(self, path: Sequence[PathPart]) -> str | None:
        """How YAML read the value at ``path`` when it was written unquoted and is not a string."""
        return node_reads_as(self.node(path))

    def is_plain_scalar(self, path: Sequence[PathPart]) -> bool:
        node = self.node(path)
        return isinstance(node, ScalarNode) and not node.style


def _child(node: Node, part: PathPart) -> tuple[Node, Node] | None:
    if isinstance(node, MappingNode) and isinstance(part, str):
        found = None
        for key, value in node.value:  # the last wins, as it does in the data
            if isinstance(key, ScalarNode) and key.value == part:
                found = (key, value)
        return found
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item = node.value[part]
        return (item, item)
    return None
