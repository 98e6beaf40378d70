"""Document paths -> where their nodes were written -> ``line:column`` in the uploaded text.

Only the error path pays for this, and only for the problems that are reported: they are located
together, in one walk over the parser's events for each flag that has some (from the flag's own
span of the text, indented to its column so its block structure reads the same), or over the whole
text when a flag cannot stand alone. The walk builds nothing: it follows the paths that are asked
for and notes where each node starts, so locating 50 problems in a 1 MB flag costs a fraction of
reading it. A path that goes further than the document (a missing key) is located at its deepest
node that exists; one that goes through an alias, at the alias. Positions are offsets counted into
lines and columns as editors count them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import yaml
from appconfig_reading.scalars import STR, reads_as, resolve_plain
from appconfig_reading.text import Lines
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceStartEvent,
)

from feature_validator.errors import PathPart, Problem, problem_at
from feature_validator.loading import gc_paused

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from appconfig_reading.yaml_loader import Spans

Path = tuple[PathPart, ...]


class Finding(NamedTuple):
    """A problem before it is located: at the node on ``path`` or, with ``at_key``, at that key of
    the mapping there; ``hint`` adds how YAML read the node when it was an unquoted non-string."""

    path: Sequence[PathPart]
    message: str
    code: str
    at_key: str | None = None
    hint: bool = False


class _Seen:
    """What the walk noted at a path: where the node starts, and its key's start if it has one."""

    __slots__ = ("key_start", "plain", "start")

    def __init__(self, start: int, key_start: int | None = None) -> None:
        self.start = start
        self.key_start = key_start
        self.plain: str | None = None  # the text of an unquoted scalar


class _Frame:
    """An open mapping or sequence in the walk: its path, and the key or index of what comes next."""

    __slots__ = ("index", "is_map", "key", "key_start", "path", "wanted")

    def __init__(self, path: Path, wanted: bool, is_map: bool) -> None:
        self.path = path
        self.wanted = wanted
        self.is_map = is_map
        self.key: PathPart | None = None
        self.key_start = 0
        self.index = 0


class Locator:
    def __init__(self, text: str, spans: Spans | None = None, lines: Lines | None = None) -> None:
        self._text = text
        self._spans: Spans = spans or {}
        self._lines = lines or Lines(text)

    def problem(
        self, path: Sequence[PathPart], message: str, code: str, *, at_key: str | None = None
    ) -> Problem:
        return self.locate([Finding(path, message, code, at_key)])[0]

    def locate(self, findings: Iterable[Finding]) -> list[Problem]:
        """Each finding as a problem with its line and column, in the order given."""
        findings = list(findings)
        wanted: set[Path] = set()
        for finding in findings:
            full = (*finding.path, finding.at_key) if finding.at_key is not None else tuple(finding.path)
            wanted.update(full[:n] for n in range(len(full) + 1))
        seen = self._walk(wanted)
        return [self._place(finding, seen) for finding in findings]

    def _place(self, finding: Finding, seen: dict[Path, _Seen]) -> Problem:
        path = tuple(finding.path)
        full = (*path, finding.at_key) if finding.at_key is not None else path
        if finding.at_key is not None and full in seen and seen[full].key_start is not None:
            index = seen[full].key_start
            message = finding.message
        else:
            depth = next(n for n in range(len(path), -1, -1) if path[:n] in seen or n == 0)
            node = seen.get(path[:depth])
            index = node.start if node else 0
            message = finding.message
            if finding.hint and node is not None and depth == len(path) and node.plain is not None:
                tag = resolve_plain(node.plain)
                if tag != STR:
                    message = f"{message}: {reads_as(tag, node.plain)}; quote it"
        line, column = self._lines.position(index or 0)
        return problem_at(list(full), line, column, message, code=finding.code)

    def _walk(self, wanted: set[Path]) -> dict[Path, _Seen]:
        """Where each wanted path's node starts: per flag from its span when it stands alone."""
        seen: dict[Path, _Seen] = {}
        flags = {path[0] for path in wanted if path and isinstance(path[0], str)}
        alone = all(name in self._spans for name in flags)
        with gc_paused():
            if alone:
                for name in flags:
                    start, end, column = self._spans[name]
                    piece = " " * column + self._text[start:end]
                    if not self._follow(piece, start - column, wanted, seen, only=name):
                        alone = False
                        break
            if not alone:
                seen.clear()
                self._follow(self._text, 0, wanted, seen)
            else:
                self._root(wanted, seen)
        return seen

    def _root(self, wanted: set[Path], seen: dict[Path, _Seen]) -> None:
        """The document's own node and its keys, from the spans and the first events."""
        for path in wanted:
            if len(path) == 1 and path[0] in self._spans:
                start = self._spans[str(path[0])][0]
                seen.setdefault(path, _Seen(start, start))
        if () in wanted:
            for event in yaml.parse(self._text, Loader=yaml.CSafeLoader):
                if isinstance(event, NodeEvent):
                    seen[()] = _Seen(_start(event))
                    break

    def _follow(  # noqa: PLR0912, PLR0915 - one branch per kind of event
        self, text: str, offset: int, wanted: set[Path], seen: dict[Path, _Seen], only: str | None = None
    ) -> bool:
        """Walk ``text``'s events noting the wanted paths; False when a piece does not stand alone."""
        stack: list[_Frame] = []
        anchors: dict[str, str] = {}  # scalar anchors, for aliases written as keys
        # Paths not yet seen nor known to be absent: once there are none, the walk stops, so its
        # cost follows the last reported problem, not the size of the file.
        pending = {p for p in wanted if not only or (p and p[0] == only)}
        try:
            for event in yaml.parse(text, Loader=yaml.CSafeLoader):
                if isinstance(event, CollectionEndEvent):
                    closed = stack.pop()
                    if closed.wanted:  # what it did not hold, it never will
                        depth = len(closed.path)
                        pending = {p for p in pending if p[:depth] != closed.path or len(p) == depth}
                        pending.discard(closed.path)
                        if not pending:
                            break
                    continue
                if not isinstance(event, NodeEvent):
                    continue
                start = _start(event) + offset
                if not stack:
                    path: Path = ()
                    wanted_here = True
                    if only is not None and not (isinstance(event, MappingStartEvent)):
                        return False
                else:
                    frame = stack[-1]
                    if frame.is_map and frame.key is None:  # a key
                        if isinstance(event, ScalarEvent) and event.anchor is not None:
                            anchors[event.anchor] = event.value
                        key = self._key_text(event, anchors)
                        if key is None:
                            if isinstance(event, MappingStartEvent | SequenceStartEvent):
                                stack.append(_Frame((), False, isinstance(event, MappingStartEvent)))
                            frame.key = ""  # its value's path is unknown: noted nowhere
                            frame.key_start = -1
                            continue
                        if only is not None and not frame.path and key != only:
                            return False
                        frame.key, frame.key_start = key, start
                        continue
                    part: PathPart = frame.key if frame.is_map else frame.index  # type: ignore[assignment]
                    path = (*frame.path, part)
                    wanted_here = frame.wanted and frame.key_start != -1 and path in wanted
                    if frame.is_map:
                        if wanted_here:
                            seen[path] = _Seen(start, frame.key_start)
                        frame.key = None
                    else:
                        frame.index += 1
                        if wanted_here:
                            seen[path] = _Seen(start)
                if wanted_here and not stack:
                    seen[path] = _Seen(start)
                if wanted_here:
                    pending.discard(path)
                if isinstance(event, ScalarEvent):
                    if event.anchor is not None:
                        anchors[event.anchor] = event.value
                    if wanted_here and not event.style and event.implicit[0] and event.tag is None:
                        seen[path].plain = event.value
                elif isinstance(event, MappingStartEvent | SequenceStartEvent):
                    stack.append(_Frame(path, wanted_here, isinstance(event, MappingStartEvent)))
        except yaml.YAMLError:
            return False
        return True

    @staticmethod
    def _key_text(event: NodeEvent, anchors: dict[str, str]) -> str | None:
        """The text of a mapping key as the data holds it; None for a key that is not text."""
        if isinstance(event, ScalarEvent):
            return str(event.value)
        if isinstance(event, AliasEvent):
            return anchors.get(str(event.anchor))
        return None


def _start(event: NodeEvent) -> int:
    return int(event.start_mark.index) if event.start_mark is not None else 0
