"""YAML text -> JSON-like data, in one pass over the parser's events, by rules every reader shares.

Why events and not ``yaml.load``: libyaml's *composer* recurses in C once per nesting level and
kills the process (a segmentation fault, not an exception) at around 30,000 levels, while both
PyYAML parsers are iterative state machines. Building the data from events bounds the depth
exactly and stops at the first level too deep; it also costs less than composing nodes and then
constructing from them (about 0.65x ``yaml.load`` with the C loader).

What the pass refuses, and why, so that a document it returns is what ``yaml.safe_load`` (with
either loader), the same pass over either parser, and YAML 1.2 readers all read:

- tags other than JSON's (``!!python/...``, ``!!binary``, ``!!set``, custom ones), and JSON tags
  whose text does not fit them for both YAML versions (``!!int "abc"``); the non-specific tag
  ``!`` on a scalar PyYAML would resolve to something else than text;
- unquoted scalars YAML 1.1 and 1.2 read differently (``scalars``), timestamps, non-finite numbers;
- merge keys, keys that are not text, duplicate keys (loaders keep the last value silently);
- an anchor name used twice (PyYAML's loaders refuse it, YAML 1.2 lets the second win);
- a ``?`` inside an unquoted scalar in a flow collection (libyaml reads it as text, PyYAML's
  pure-Python parser as an error), and a tab anywhere but in a quoted or block scalar or a
  comment (libyaml takes it as a space, PyYAML's pure-Python parser refuses it);
- a BOM past the start, raw NEL/LS/PS (``text``); several documents, and no document at all;
- nesting deeper than ``MAX_DEPTH`` and alias bombs: an alias adds the size of what it refers to,
  and the expanded size is checked as each alias is met, so nothing is ever expanded.

A document that only some readers would read differently still yields its data (what PyYAML
reads) with the issues, so the validator can go on and report the rest; syntax errors, nesting,
bombs and several documents leave nothing to read and raise at once.
The garbage collector is paused meanwhile: the pass allocates hundreds of thousands of objects
without cycles, and each collection would scan them all (about 3x slower).
"""

from __future__ import annotations

import gc
from bisect import bisect_right

import yaml
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
from yaml.reader import Reader

from appconfig_reading.errors import DocumentError, Issue
from appconfig_reading.scalars import (
    JSON_TAGS,
    MAP,
    MAYBE_TYPED,
    SEQ,
    STR,
    Refusal,
    read_plain,
    read_plain_key,
    read_tagged,
    resolve_plain,
)
from appconfig_reading.text import Lines, character_issues

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

    from appconfig_reading.errors import PathPart

# Deepest nesting of mappings and sequences. Powertools' own structure needs 7 levels (flag, rules,
# rule, conditions, condition, value, DAYS); the rest is room for non-boolean flags' JSON values.
MAX_DEPTH = 64
# Aliases multiply what every later step walks: the expanded document may hold this many times
# the nodes the text spells out (at least MIN_EXPANSION_LIMIT), and never more than the cap.
MAX_EXPANSION_FACTOR = 10
MIN_EXPANSION_LIMIT = 10_000
MAX_EXPANDED_NODES = 1_000_000

C_PARSER = getattr(yaml, "CSafeLoader", None)

_TAB_MESSAGE = (
    "a tab outside a quoted or block scalar and a comment: libyaml reads it as a space, PyYAML's "
    "pure-Python parser refuses it; indent and separate with spaces"
)


class Loaded:
    """What a pass read: the data, the issues some reader would differ on, and where flags are."""

    __slots__ = ("complete", "data", "issues", "lines", "spans", "total")

    def __init__(
        self, data: Any, issues: list[Issue], total: int, spans: Spans, lines: Lines, *, complete: bool = True
    ) -> None:
        self.data = data
        self.issues = issues
        self.total = total  # issues found, itemised or not
        self.spans = spans
        self.lines = lines
        # False when reading stopped at the issue past ``limit``: ``data`` then holds the top-level
        # entries read to their end (None if none), and ``total`` is a lower bound.
        self.complete = complete


# Where each top-level entry (a flag) was written: start of its key, end of its value (offsets),
# and the key's column as the parser counts it (what composing the entry on its own needs).
Spans = dict[str, tuple[int, int, int]]


def load_yaml(text: str, *, limit: int = 1, stop: bool = True, pure: bool | None = None) -> Loaded:
    """Read ``text`` (the decoded body). Itemises up to ``limit`` issues; with ``stop``, raises
    ``DocumentError`` as soon as ``limit`` are found, else returns them with the data. Without
    ``stop``, reading ends at the first issue past ``limit`` (the report is full, and reading on
    would cost as much as the whole file to count what nobody is shown): the ``Loaded`` is then
    not ``complete``.

    ``pure`` picks PyYAML's pure-Python parser (None: libyaml when it is installed).
    """
    lines = Lines(text)
    found, count = character_issues(text, lines, limit)
    if found and stop and len(found) >= limit:
        raise DocumentError(found, count)
    parser_class = yaml.SafeLoader if pure or (pure is None and C_PARSER is None) else C_PARSER
    builder = _Builder(text, lines, parser_class, limit - len(found), stop)
    enabled = gc.isenabled()
    gc.disable()
    try:
        data = builder.run()
    except DocumentError as error:
        if not found:
            raise
        raise DocumentError(found + list(error.issues), count + error.total) from None
    finally:
        if enabled:
            gc.enable()
    issues = found + builder.issues()
    return Loaded(data, issues, count + builder.count, builder.spans, lines, complete=builder.complete)


class _Frame:
    """An open mapping or sequence: the container, the pending key, and its size when it opened."""

    __slots__ = ("anchor", "container", "flow", "key", "key_starts", "opened_at")

    def __init__(self, container: Any, anchor: str | None, opened_at: int, flow: bool) -> None:
        self.container = container
        self.key: Any = _NO_KEY
        self.key_starts: dict[str, int] = {}  # where each key was written, to name both lines of a duplicate
        self.anchor = anchor
        self.opened_at = opened_at
        self.flow = flow


# Unquoted words YAML 1.1 and 1.2 read alike, looked up before any resolver runs.
_SAME_WORDS = {"true": True, "false": False, "True": True, "False": False, "null": None, "~": None}
_NO_KEY = object()
_TEXT_ONLY = object()  # an issue of the text itself (a tab): no path
_REFUSED = object()  # a key that was refused: its value is built (to find problems in it), then dropped
_COLLECTION_KEY = object()  # a mapping or sequence written as a key, refused, still open


class _Stop(Exception):
    """Enough issues for the caller (``limit`` with ``stop``, one more without): stop reading."""


class _Builder:
    def __init__(self, text: str, lines: Lines, parser_class: Any, limit: int, stop: bool) -> None:
        self.text = text
        self.lines = lines
        self.parser = parser_class(text)
        self.limit = limit
        self.stop = stop
        self.found: list[tuple[int, list[PathPart], str, str]] = []
        self.count = 0
        self.complete = True
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.spans: Spans = {}
        self.key_start: Any = None  # the mark of the top-level key whose value is being read
        self.nodes = 0  # nodes written in the text
        self.expanded = 0  # nodes with every alias expanded
        # Quoted and block scalars, where a tab is text to every parser: recorded only if there is one.
        self.scalars: list[tuple[int, int]] | None = [] if "\t" in text else None

    def issues(self) -> list[Issue]:
        position = self.lines.position
        return [Issue(*position(index), message, code, path) for index, path, message, code in self.found]

    def run(self) -> Any:
        try:
            data = self._run()
            if self.scalars is not None:
                self._tabs()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            self._fatal_at(mark.index if mark else 0, f"YAML syntax: {error.problem or error}", "yaml-syntax")
        except (yaml.reader.ReaderError, UnicodeEncodeError):  # characters YAML does not allow
            match = Reader.NON_PRINTABLE.search(self.text)
            index = match.start() if match else 0
            code = ord(self.text[index]) if match else 0
            message = f"YAML syntax: a character YAML does not allow (U+{code:04X})"
            self._fatal_at(index, message, "yaml-syntax", [])
        except yaml.YAMLError as error:  # without a position: none is raised today, kept for safety
            self._fatal_at(0, f"YAML syntax: {error}", "yaml-syntax", [])
        except _Stop:
            if self.stop:
                raise DocumentError(self.issues(), self.count) from None
            # The top-level entries read to their end; the one being read is left out whole.
            self.complete = False
            data = self.stack[0].container if self.stack else None
        finally:
            dispose = getattr(self.parser, "dispose", None)
            if dispose is not None:
                dispose()
        return data

    # One loop over every event, with no call per event that can be avoided: it is the hot path.
    def _run(self) -> Any:  # noqa: PLR0912, PLR0915
        get_event = self.parser.get_event
        stack = self.stack
        scalars = self.scalars
        documents = 0
        root: Any = None
        while True:
            event: Any = get_event()
            kind = type(event)
            if kind is ScalarEvent:
                self.nodes += 1
                self.expanded += 1
                if scalars is not None and event.style:
                    self._record_scalar(event)
                frame = stack[-1] if stack else None
                text = event.value
                # Most scalars are quoted, or plain text no reader could take for anything else:
                # they are handled here, the rest by _key and _scalar.
                simple = (
                    event.tag is None
                    and event.anchor is None
                    and (
                        not event.implicit[0]
                        or (
                            text and text[0] not in MAYBE_TYPED and not (frame and frame.flow and "?" in text)
                        )
                    )
                )
                if frame is not None and frame.key is _NO_KEY and type(frame.container) is dict:
                    if simple and text not in frame.key_starts:  # a new text key: no duplicate to name
                        frame.key_starts[text] = event.start_mark.index
                        frame.key = text
                        if len(stack) == 1:
                            self.key_start = event.start_mark
                        continue
                    key = self._key(event, frame)
                    if event.anchor is not None:
                        self._anchor(event, key if isinstance(key, str) else None, 1)
                    self._take_key(frame, key, event)
                    continue
                if simple:
                    value = text
                else:
                    value = self._scalar(event, frame)
                    if event.anchor is not None:
                        self._anchor(event, value, 1)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                self.nodes += 1
                self.expanded += 1
                if len(stack) >= MAX_DEPTH:
                    self._fatal(event, f"nesting deeper than {MAX_DEPTH} levels", "too-deep")
                tag = event.tag
                is_map = kind is MappingStartEvent
                if tag is not None and tag not in ("!", MAP if is_map else SEQ):
                    self._issue(event, _tag_message(tag), "tag")
                if stack and stack[-1].key is _NO_KEY and type(stack[-1].container) is dict:
                    self._issue(event, "keys must be strings, not collections", "key-type")
                    stack[-1].key = _COLLECTION_KEY
                anchor = event.anchor
                if anchor is not None:
                    self._anchor(event, None, 0)
                    self.open_anchors.add(anchor)
                flow = bool(event.flow_style)
                stack.append(_Frame({} if is_map else [], anchor, self.expanded, flow))
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
                        "several YAML documents in one file; a configuration is one document",
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
                    self._issue(event, "keys must be strings", "key-type")
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
                    self.spans[key] = (start.index, event.end_mark.index, start.column)
        if documents == 0:
            self._fatal_at(0, "no YAML content: the text is empty or only comments", "empty", [])
        limit = min(MAX_EXPANDED_NODES, max(MIN_EXPANSION_LIMIT, MAX_EXPANSION_FACTOR * self.nodes))
        if self.expanded > limit:
            self._bomb(limit)
        return root

    def _take_key(self, frame: _Frame, key: Any, event: Any) -> None:
        """The next key of an open mapping; a key it already has is a duplicate (both lines named)."""
        frame.key = key
        if key is _REFUSED:
            return
        if len(self.stack) == 1:
            self.key_start = event.start_mark
        index = event.start_mark.index
        first = frame.key_starts.setdefault(key, index)
        if first != index or key in frame.container:
            self._issue(
                event,
                f"duplicate key: first at line {self.lines.position(first)[0]}, again at line "
                f"{self.lines.position(index)[0]} (YAML loaders keep the last value silently)",
                "duplicate-key",
            )

    def _anchor(self, event: Any, value: Any, size: int) -> None:
        name = event.anchor
        if name in self.anchors or name in self.open_anchors:
            self._issue(
                event,
                "an anchor name used a second time: PyYAML's loaders refuse it, YAML 1.2 readers let "
                "the second replace the first; give each anchor its own name",
                "duplicate-anchor",
            )
        if size:
            self.anchors[name] = (value, size)

    def _alias(self, event: AliasEvent) -> Any:
        name = str(event.anchor)
        if name in self.open_anchors:
            self._fatal(
                event, "an alias refers to a node that contains it (a recursive alias)", "alias-cycle"
            )
        known = self.anchors.get(name)
        if known is None:  # the parsers report undefined aliases themselves; kept for safety
            self._fatal(event, "an alias refers to an anchor that is not defined", "yaml-syntax")
        value, size = known
        self.expanded += size
        # Checked as each alias is met, against the cap for the text read so far and for the whole
        # file (1 MB cannot spell out more nodes than it has bytes): nothing is ever expanded.
        if self.expanded > MAX_EXPANDED_NODES:
            self._bomb(MAX_EXPANDED_NODES)
        return value

    def _bomb(self, limit: int) -> NoReturn:
        self._fatal_at(
            0,
            f"aliases would expand the document to more than {limit:,} nodes from the "
            f"{self.nodes:,} written: an alias bomb",
            "alias-bomb",
            [],
        )

    def _key(self, event: ScalarEvent, frame: _Frame) -> Any:  # noqa: PLR0911 - one return per kind of key
        value: str = event.value
        tag = event.tag
        if tag is None:
            if not event.implicit[0]:
                return value
            if frame.flow and "?" in value:
                self._issue(event, _FLOW_QUESTION, "flow-question-mark", value)
            if value and value[0] not in MAYBE_TYPED:
                return value
            try:
                return read_plain_key(value)
            except Refusal as refused:
                if refused.code == "merge-key":  # what the mapping should hold is unknown: refuse it
                    self._issue(event, refused.message, refused.code)
                    return _REFUSED
                self._issue(event, refused.message, refused.code, value)
                return value
        if tag == "!":
            if not _bang_is_text(value):
                self._issue(event, _BANG_MESSAGE, "tag", value)
            return value
        if tag != STR:
            self._issue(event, "keys must be strings", "key-type", value)
        return value

    def _scalar(self, event: ScalarEvent, frame: _Frame | None) -> Any:  # noqa: PLR0911 - one per kind
        value: str = event.value
        tag = event.tag
        if tag is None:
            if not event.implicit[0]:
                return value
            if frame is not None and frame.flow and "?" in value:
                self._issue(event, _FLOW_QUESTION, "flow-question-mark")
            if value and value[0] not in MAYBE_TYPED:
                return value
            if value in _SAME_WORDS:  # the words every file has, read alike by both versions
                return _SAME_WORDS[value]
            if (
                value.isdigit()
                and value.isascii()
                and (value[0] != "0" or len(value) == 1)
                and len(value) < 4300
            ):
                return int(value)  # a plain decimal: an integer to both versions (and to JSON)
            try:
                return read_plain(value)
            except Refusal as refused:
                self._issue(event, refused.message, refused.code)
                return refused.value
        if tag == "!":
            if not _bang_is_text(value):
                self._issue(event, _BANG_MESSAGE, "tag")
            return value
        if tag in JSON_TAGS:
            try:
                return read_tagged(tag, value)
            except Refusal as refused:
                self._issue(event, refused.message, refused.code)
                return refused.value
        self._issue(event, _tag_message(tag), "tag")
        return value

    def _record_scalar(self, event: Any) -> None:
        start, end = event.start_mark.index, event.end_mark.index
        if event.style in ("|", ">"):  # the header line (indicator, comment) is not content
            newline = self.text.find("\n", start, end)
            start = end if newline < 0 else newline
        self.scalars.append((start, end))  # type: ignore[union-attr]

    def _tabs(self) -> None:
        """Tabs that only libyaml reads: outside quoted and block scalars and comments."""
        spans = sorted(self.scalars or [])
        starts = [start for start, _ in spans]
        text = self.text

        def in_scalar(index: int) -> bool:
            at = bisect_right(starts, index) - 1
            return at >= 0 and index < spans[at][1]

        index = text.find("\t")
        while index >= 0:
            if not in_scalar(index):
                line_start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
                hash_at = text.find("#", line_start, index)
                while hash_at >= 0 and (
                    (hash_at > line_start and text[hash_at - 1] not in " \t") or in_scalar(hash_at)
                ):
                    hash_at = text.find("#", hash_at + 1, index)
                if hash_at < 0:
                    self._record(index, _TEXT_ONLY, _TAB_MESSAGE, "tab")
            index = text.find("\t", index + 1)

    def _path(self) -> list[PathPart]:
        """Where the event being handled sits: the open containers' pending keys and next indexes."""
        path: list[PathPart] = []
        for frame in self.stack:
            if type(frame.container) is list:
                path.append(len(frame.container))
            elif frame.key is not _NO_KEY and frame.key is not _REFUSED and frame.key is not _COLLECTION_KEY:
                path.append(str(frame.key))
        return path

    def _issue(self, event: Any, message: str, code: str, key: Any = _NO_KEY) -> None:
        """An issue at ``event`` (at ``key`` of the open mapping, when given); its path is worked out
        only if it is itemised: a file with 20,000 of them pays for 50."""
        self._record(event.start_mark.index, None if key is _NO_KEY else key, message, code)

    def _record(self, index: int, key: Any, message: str, code: str) -> None:
        self.count += 1
        if len(self.found) < self.limit:
            path = self._path() if key is not _TEXT_ONLY else []
            if key is not None and key is not _TEXT_ONLY:
                path.append(key)
            self.found.append((index, path, message, code))
        if self.count >= self.limit and (self.stop or self.count > self.limit):
            raise _Stop

    def _fatal(self, event: Any, message: str, code: str) -> NoReturn:
        """Problems after which nothing more is read: the rest of the text is not worth the risk."""
        self._fatal_at(event.start_mark.index, message, code, self._path())

    def _fatal_at(self, index: int, message: str, code: str, path: list[PathPart] | None = None) -> NoReturn:
        self.count += 1
        self.found = [*self.found[: max(0, self.limit - 1)], (index, path or [], message, code)]
        raise DocumentError(self.issues(), self.count)


_FLOW_QUESTION = (
    "a ? inside an unquoted value in a [...] or {...} collection: libyaml reads it as text, "
    "PyYAML's pure-Python parser as an error; quote the value"
)
_BANG_MESSAGE = (
    "the non-specific tag ! makes PyYAML resolve the value as if it were unquoted, and YAML 1.2 "
    "read it as text; remove the tag (and quote the value for text)"
)


def _bang_is_text(value: str) -> bool:
    """Whether a scalar under ``!`` is text to every reader: PyYAML resolves it as if unquoted, and
    some YAML 1.2 readers (ruamel.yaml) do too, so it must be text unquoted to both versions."""
    if resolve_plain(value) != STR:
        return False
    try:
        return isinstance(read_plain(value), str)
    except Refusal:
        return False


def _tag_message(tag: str) -> str:
    return f"the tag {tag} is not allowed: a configuration holds JSON data only"
