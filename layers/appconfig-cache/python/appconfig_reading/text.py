"""Bytes -> text, and the characters that YAML 1.1 readers and everyone else read differently.

The body is UTF-8; one byte order mark may open it and is dropped (JSON readers and PyYAML's
pure-Python reader keep a BOM anywhere else as a character, libyaml skips one at the start of any
line, so a BOM anywhere else is refused). NEL (U+0085), LINE SEPARATOR (U+2028) and PARAGRAPH
SEPARATOR (U+2029) end a line for YAML 1.1 readers (PyYAML, libyaml) and for nobody else (YAML 1.2,
JSON, editors): inside a comment the rest of the line becomes YAML, inside a scalar a line break.

Positions are counted as editors and YAML 1.2 count them: lines end at LF, CRLF or CR only.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from appconfig_reading.errors import DocumentError, Issue

BOM = "\ufeff"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SUSPECT = re.compile("[\ufeff\x85\u2028\u2029]")
_NAMES = {
    "\ufeff": "a byte order mark (U+FEFF) after the start of the file",
    "\x85": "a raw NEXT LINE character (U+0085)",
    "\u2028": "a raw LINE SEPARATOR character (U+2028)",
    "\u2029": "a raw PARAGRAPH SEPARATOR character (U+2029)",
}
_ESCAPES = {"\ufeff": "\\uFEFF", "\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P"}


class Lines:
    """Offsets in a text -> 1-based line and column; the line table is built on first use."""

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None

    def position(self, index: int) -> tuple[int, int]:
        """The line and column of ``index``."""
        starts = self._starts
        if starts is None:
            starts = self._starts = [0, *(m.end() for m in _LINE_BREAK.finditer(self._text))]
        index = max(0, min(index, len(self._text)))
        line = bisect_right(starts, index) - 1
        return line + 1, index - starts[line] + 1


def position_of(text: str, index: int) -> tuple[int, int]:
    """The line and column of one offset, scanning only the text before it (no table)."""
    index = max(0, min(index, len(text)))
    line, start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, index):
        line, start = line + 1, match.end()
    return line, index - start + 1


def decode(body: bytes) -> str:
    """The body as text: UTF-8, with one leading byte order mark dropped."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        before = body[: error.start].decode("utf-8")
        line, column = position_of(before, len(before))
        message = f"not UTF-8 text (an invalid byte at offset {error.start})"
        raise DocumentError([Issue(line, column, message, "not-utf8")]) from None
    return text[1:] if text.startswith(BOM) else text


def character_issues(text: str, lines: Lines, limit: int) -> tuple[list[Issue], int]:
    """Every BOM past the start and every YAML 1.1-only line break: at most ``limit`` itemised,
    and how many there are in all."""
    issues: list[Issue] = []
    total = 0
    for match in _SUSPECT.finditer(text):
        total += 1
        if len(issues) < limit:
            char = match.group()
            line, column = lines.position(match.start())
            if char == BOM:
                reading = "libyaml skips it at the start of a line, other readers keep it as a character"
            else:
                reading = (
                    "YAML 1.1 readers (PyYAML, libyaml) end the line there, YAML 1.2, JSON and editors do not"
                )
            message = (
                f"{_NAMES[char]}: {reading}; remove it, or write {_ESCAPES[char]} in a double-quoted string"
            )
            issues.append(Issue(line, column, message, "invisible-character"))
    return issues, total
