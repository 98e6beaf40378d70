"""YAML text -> plain JSON-like data, in one pass over libyaml's parse events.

Why events and not ``yaml.load``: libyaml's *composer* recurses in C once per nesting level and
kills the process (a segmentation fault, not an exception) at around 30,000 levels, while its
*parser* is an iterative state machine. Building the data from the parser's events ourselves
bounds the depth exactly and stops at the first level too deep, before libyaml ever sees the
rest; it also costs less than composing nodes and then constructing from them.

The same pass refuses what JSON cannot hold or loaders would silently change: tags that build
objects, merge keys, non-string keys, duplicate keys (loaders keep the last value silently), YAML
timestamps, non-finite numbers, a second document, and alias bombs: an alias adds the size of
what it refers to, and the expanded size is checked as each alias is met, so nothing is expanded.
The garbage collector is paused meanwhile: the pass allocates hundreds of thousands of objects
without cycles, and each collection would scan them all (about 3x slower).
"""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import Node, ScalarNode
from yaml.resolver import Resolver

from feature_validator.errors import FeatureFileInvalid, PathPart, Problem, problem_at

if TYPE_CHECKING:
    from collections.abc import Iterator

# Deepest nesting of mappings and sequences. Powertools' own structure needs 7 levels (flag, rules,
# rule, conditions, condition, value, DAYS); the rest is room for non-boolean flags' JSON values.
MAX_DEPTH = 64
# Aliases multiply what every later step walks: the expanded document may hold this many times
# the nodes the text spells out (at least MIN_EXPANSION_LIMIT), and never more than the cap.
MAX_EXPANSION_FACTOR = 10
MIN_EXPANSION_LIMIT = 10_000
MAX_EXPANDED_NODES = 1_000_000
# Up to this size a file is also parsed by PyYAML's pure-Python parser (about 50 ms at this size).
PURE_PYTHON_CHECK_CHARS = 32_768

_TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
SEQ, MAP, MERGE, TIMESTAMP = (_TAG + t for t in ("seq", "map", "merge", "timestamp"))

_SCALARS = SafeConstructor()
_RESOLVER = Resolver()
# First characters for which YAML 1.1 may read a plain scalar as something other than a string.
_MAYBE_TYPED = frozenset(k for k in Resolver.yaml_implicit_resolvers if k)
_READS_AS = {
    INT: "an integer",
    FLOAT: "a number",
    NULL: "null",
    TIMESTAMP: "a timestamp",
    MERGE: "a merge key",
}


@contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def resolve_plain(value: str) -> str:
    """The tag YAML 1.1 (PyYAML) gives an unquoted scalar."""
    if value and value[0] not in _MAYBE_TYPED:
        return STR
    return str(_RESOLVER.resolve(ScalarNode, value, (True, False)))  # type: ignore[no-untyped-call]


def reads_as(tag: str, value: str) -> str:
    """How YAML 1.1 reads an unquoted scalar, without repeating the value (for "quote it" messages)."""
    if tag == BOOL:
        return f"the unquoted word is read as the boolean {str(_SCALARS.bool_values[value.lower()]).lower()}"
    return f"the unquoted value is read as {_READS_AS.get(tag, 'a non-string')}"


def node_reads_as(node: Node) -> str | None:
    """For a plain scalar node resolved to a non-string: how it was read; otherwise None."""
    if isinstance(node, ScalarNode) and not node.style and node.tag != STR:
        return reads_as(node.tag, node.value)
    return None


# Where each top-level entry (a flag) was written: start and end offsets, line and column (0-based).
Spans = dict[str, tuple[int, int, int, int]]


@dataclass(frozen=True, slots=True)
class Loaded:
    data: Any
    spans: Spans  # lets later checks locate problems in one flag without composing the whole file


def load(text: str) -> Loaded:
    """The single document as data; raises ``FeatureFileInvalid`` with every problem found."""
    builder = _EventBuilder(text)
    with gc_paused():
        data = builder.run()
    if "\t" in text or len(text) <= PURE_PYTHON_CHECK_CHARS:
        _pure_python_parses(text)
    return Loaded(data, builder.spans)


def _pure_python_parses(text: str) -> None:
    """Consumers without libyaml (the pure-Python extension layer) parse with PyYAML's own parser,
    which refuses a few things libyaml accepts, tabs among them. Files with a tab, and small files
    (where it costs little), are parsed by it too, so nothing is deployed that a consumer cannot read.
    """
    try:
        for _event in yaml.parse(text, Loader=yaml.SafeLoader):
            pass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = (
            f"YAML syntax (PyYAML's pure-Python parser, which consumers may use): {error.problem or error}"
        )
        raise FeatureFileInvalid([problem_at((), line, column, message, "yaml-syntax")]) from None


class _Frame:
    """An open mapping or sequence: the container, the pending key, and its size when it opened."""

    __slots__ = ("anchor", "container", "key", "key_lines", "opened_at")

    def __init__(self, container: Any, anchor: str | None, opened_at: int) -> None:
        self.container = container
        self.key: Any = _NO_KEY
        self.key_lines: dict[str, int] = {}  # where each key was written, to name both lines of a duplicate
        self.anchor = anchor
        self.opened_at = opened_at


_NO_KEY = object()
_REFUSED = object()  # a key that was refused: its value is built (to find problems in it), then dropped
_COLLECTION_KEY = object()  # a mapping or sequence written as a key, refused, still open


class _EventBuilder:
    def __init__(self, text: str) -> None:
        self.text = text
        self.parser = yaml.CSafeLoader(text)
        self.problems: list[Problem] = []
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.spans: Spans = {}
        self.key_start: Any = None  # the mark of the top-level key whose value is being read
        self.nodes = 0  # nodes written in the text
        self.expanded = 0  # nodes with every alias expanded

    def run(self) -> Any:
        try:
            return self._run()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = problem_at(
                self._path(), line, column, f"YAML syntax: {error.problem or error}", "yaml-syntax"
            )
            raise FeatureFileInvalid([*self.problems, problem]) from None
        except yaml.reader.ReaderError as error:  # characters YAML does not allow (NUL, controls)
            offset = max(0, min(error.position, len(self.text)))
            line = self.text.count("\n", 0, offset) + 1
            column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
            message = f"YAML syntax: {error.reason} (character code {error.character!r})"
            problem = problem_at((), line, column, message, "yaml-syntax")
            raise FeatureFileInvalid([*self.problems, problem]) from None
        finally:
            self.parser.dispose()

    # One loop over every event, with no call per event that can be avoided: it is the hot path.
    def _run(self) -> Any:  # noqa: PLR0912, PLR0915
        get_event = self.parser.get_event
        stack = self.stack
        documents = 0
        root: Any = None
        while True:
            event: Any = get_event()
            kind = type(event)
            if kind is ScalarEvent:
                self.nodes += 1
                self.expanded += 1
                frame = stack[-1] if stack else None
                if frame is not None and frame.key is _NO_KEY and type(frame.container) is dict:
                    key = self._key(event)
                    if event.anchor is not None and isinstance(key, str):
                        self.anchors[event.anchor] = (key, 1)
                    self._take_key(frame, key, event)
                    continue
                value = self._scalar(event)
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                self.nodes += 1
                self.expanded += 1
                if len(stack) >= MAX_DEPTH:
                    self._fatal(event, f"nesting deeper than {MAX_DEPTH} levels", "too-deep")
                tag = event.tag
                is_map = kind is MappingStartEvent
                if tag is not None and tag not in ("!", MAP if is_map else SEQ):
                    self._problem(event, self._path(), _tag_message(tag), "tag")
                if stack and stack[-1].key is _NO_KEY and type(stack[-1].container) is dict:
                    self._problem(event, self._path(), "keys must be strings, not collections", "key-type")
                    stack[-1].key = _COLLECTION_KEY
                anchor = event.anchor
                if anchor is not None:
                    self.open_anchors.add(anchor)
                stack.append(_Frame({} if is_map else [], anchor, self.expanded))
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                frame = stack.pop()
                value = frame.container
                if frame.anchor is not None:
                    self.open_anchors.discard(frame.anchor)
                    self.anchors[frame.anchor] = (value, self.expanded - frame.opened_at + 1)
            elif kind is AliasEvent:
                value = self._alias(event)
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    self._fatal(
                        event,
                        "several YAML documents in one file; a feature file is one document",
                        "multiple-documents",
                    )
                continue
            elif kind is StreamEndEvent:
                break
            else:  # stream start, document end
                continue
            # A finished value: it belongs to the open container, or it is the document.
            if not stack:
                root = value
                continue
            frame = stack[-1]
            container = frame.container
            if type(container) is list:
                container.append(value)
                continue
            key = frame.key
            if key is _NO_KEY:  # an alias written as a key
                if isinstance(value, str):
                    self._take_key(frame, value, event)
                else:
                    self._problem(event, self._path(), "keys must be strings", "key-type")
                    frame.key = _REFUSED
                continue
            if key is _COLLECTION_KEY:  # refused when it opened; the value after it is dropped too
                frame.key = _REFUSED
                continue
            frame.key = _NO_KEY
            if key is not _REFUSED:
                container[key] = value
                if len(stack) == 1:
                    start = self.key_start
                    self.spans[key] = (start.index, event.end_mark.index, start.line, start.column)
        if documents == 0:
            raise FeatureFileInvalid(
                [problem_at((), 1, 1, "the file holds no YAML content (only comments)", "empty")]
            )
        limit = self._expansion_limit()
        if self.expanded > limit:
            self._bomb(limit)
        if self.problems:
            raise FeatureFileInvalid(self.problems)
        return root

    def _take_key(self, frame: _Frame, key: Any, event: Any) -> None:
        """The next key of an open mapping; a key it already has is a duplicate (both lines named)."""
        frame.key = key
        if key is _REFUSED:
            return
        if len(self.stack) == 1:
            self.key_start = event.start_mark
        line = event.start_mark.line + 1
        first = frame.key_lines.setdefault(key, line)
        if first != line or key in frame.container:
            self._problem(
                event,
                self._path(),
                f"duplicate key: first at line {first}, again at line {line} "
                "(YAML loaders keep the last value silently)",
                "duplicate-key",
            )

    def _expansion_limit(self) -> int:
        return min(MAX_EXPANDED_NODES, max(MIN_EXPANSION_LIMIT, MAX_EXPANSION_FACTOR * self.nodes))

    def _alias(self, event: AliasEvent) -> Any:
        name = str(event.anchor)
        if name in self.open_anchors:
            self._fatal(
                event, "an alias refers to a node that contains it (a recursive alias)", "alias-cycle"
            )
        known = self.anchors.get(name)
        if known is None:  # libyaml reports undefined aliases itself; kept for safety
            self._fatal(event, "an alias refers to an anchor that is not defined", "yaml-syntax")
        value, size = known
        self.expanded += size
        # Checked as each alias is met, against the cap for the text read so far and for the whole
        # file (1 MB cannot spell out more nodes than it has bytes): nothing is ever expanded.
        if self.expanded > MAX_EXPANDED_NODES:
            self._bomb(MAX_EXPANDED_NODES)
        return value

    def _bomb(self, limit: int) -> NoReturn:
        raise FeatureFileInvalid(
            [
                problem_at(
                    (),
                    1,
                    1,
                    f"aliases would expand the document to more than {limit:,} nodes from the "
                    f"{self.nodes:,} written: an alias bomb",
                    "alias-bomb",
                )
            ]
        )

    def _key(self, event: ScalarEvent) -> Any:
        value: str = event.value
        tag = event.tag
        if tag is None or tag == "!":
            tag = resolve_plain(value) if event.implicit[0] else STR
        if tag == STR:
            return value
        path = self._path()
        if tag == MERGE:
            self._problem(
                event,
                path,
                "merge keys (<<) are not allowed: YAML 1.2 and JSON tools read them as a plain key; "
                "write the keys out",
                "merge-key",
            )
            return _REFUSED
        if event.implicit[0]:
            self._problem(
                event,
                [*path, value],
                f"{reads_as(tag, value)}, but keys must be strings: quote it",
                "key-type",
            )
        else:
            self._problem(event, [*path, value], "keys must be strings", "key-type")
        return value

    def _scalar(self, event: ScalarEvent) -> Any:  # noqa: PLR0911 - one return per YAML type
        value: str = event.value
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return value
            if value and value[0] not in _MAYBE_TYPED:
                return value
            tag = resolve_plain(value)
        if tag == STR:
            return value
        if tag == INT:
            if value.isdigit() and (value[0] != "0" or value == "0"):
                return int(value)
            return _SCALARS.construct_yaml_int(ScalarNode(tag, value))
        if tag == BOOL:
            return _SCALARS.bool_values[value.lower()]
        if tag == NULL:
            return None
        if tag == FLOAT:
            number = _SCALARS.construct_yaml_float(ScalarNode(tag, value))
            if not math.isfinite(number):
                self._problem(
                    event, self._path(), "infinity and NaN cannot be represented in JSON", "not-finite"
                )
                return value
            return number
        if tag == TIMESTAMP:
            self._problem(
                event,
                self._path(),
                "an unquoted date or time is read as a YAML timestamp, not text: quote it",
                "timestamp",
            )
            return value
        self._problem(event, self._path(), _tag_message(tag), "tag")
        return value

    def _path(self) -> list[PathPart]:
        """Where the event being handled sits: the open containers' pending keys and next indexes."""
        path: list[PathPart] = []
        for frame in self.stack:
            if type(frame.container) is list:
                path.append(len(frame.container))
            elif frame.key is not _NO_KEY and frame.key is not _REFUSED and frame.key is not _COLLECTION_KEY:
                path.append(str(frame.key))
        return path

    def _problem(self, event: Any, path: list[PathPart], message: str, code: str) -> None:
        mark = event.start_mark
        self.problems.append(problem_at(path, mark.line + 1, mark.column + 1, message, code))

    def _fatal(self, event: Any, message: str, code: str) -> NoReturn:
        """Problems after which nothing more is read: the rest of the text is not worth the risk."""
        self._problem(event, self._path(), message, code)
        raise FeatureFileInvalid(self.problems)


def _tag_message(tag: str) -> str:
    return f"the tag {tag} is not allowed: a feature file holds JSON data only"
