"""Checks on the raw upload that run before any YAML parser sees it, each cheap and bounded.

Size first (everything after is linear in it), then the encoding (``appconfig_reading``'s rule:
UTF-8, one leading byte order mark), emptiness and a second document. Nesting depth, tags and
aliases need the parser's events: the reading refuses them as it meets them.
"""

from __future__ import annotations

import re

from appconfig_reading.errors import DocumentError
from appconfig_reading.text import decode as decode_text

from feature_validator.errors import FeatureFileInvalid, from_issue, problem_at

# AppConfig's limit for a configuration stored in S3 (1 MB).
MAX_CONTENT_BYTES = 1_048_576
# Document markers are only markers at the start of a line.
_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|\Z)", re.MULTILINE)
# A line holding content: neither blank nor a comment nor a directive.
_CONTENT_LINE = re.compile(r"^(?![ \t]*(?:#|\r?$)|%)", re.MULTILINE)


def decode(content: bytes) -> str:
    """The upload as text: at most 1 MB, UTF-8 (one leading BOM is allowed), not empty."""
    if len(content) > MAX_CONTENT_BYTES:
        raise _fatal(
            f"the file is {len(content):,} bytes; AppConfig's limit for a configuration in S3 is "
            f"{MAX_CONTENT_BYTES:,} bytes",
            "too-large",
        )
    try:
        text = decode_text(content)
    except DocumentError as error:
        raise FeatureFileInvalid([from_issue(i) for i in error.issues]) from None
    if not text.strip():
        raise _fatal("the file is empty", "empty")
    return text


def check_single_document(text: str) -> None:
    """Several YAML documents in one file: loaders would keep one and ignore the others."""
    markers = list(_MARKER.finditer(text))
    if not markers:
        return
    starts = 0
    for marker in markers:
        if marker.group() == "---":
            starts += 1
            if starts > 1 or _CONTENT_LINE.search(text, 0, marker.start()):
                raise _second_document(text, marker.start())
        elif _CONTENT_LINE.search(text, marker.end()):
            # "..." ends the document; anything but comments after it is another document.
            raise _second_document(text, marker.start())
        else:
            return


def _second_document(text: str, offset: int) -> FeatureFileInvalid:
    line = len(re.findall(r"\r\n|\r|\n", text[:offset])) + 1
    return _fatal(
        "several YAML documents in one file (a document marker here); a feature file is one document",
        "multiple-documents",
        line,
        1,
    )


def _fatal(message: str, code: str, line: int = 1, column: int = 1) -> FeatureFileInvalid:
    return FeatureFileInvalid([problem_at((), line, column, message, code)])
