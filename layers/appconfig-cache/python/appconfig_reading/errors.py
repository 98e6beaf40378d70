"""The one error a reading raises, and the located issues it carries.

Messages never quote the document's values: the extension answers them in HTTP bodies and the
validator's end up in deployment logs, and a configuration may hold values that are not for either.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays unimported at run time: the extension counts its start-up
if TYPE_CHECKING:
    from collections.abc import Sequence

    PathPart = str | int


class Issue:
    """One reason the bytes are not read as a document, or are read differently by some reader.

    ``line`` and ``column`` are 1-based, counted as editors and YAML 1.2 count them (a line ends at
    LF, CRLF or CR; a column is a Unicode character); both are None for a reason that concerns the
    whole body (its content type, say). ``path`` names the node, from the document's root.
    """

    __slots__ = ("code", "column", "line", "message", "path")

    def __init__(
        self,
        line: int | None,
        column: int | None,
        message: str,
        code: str,
        path: Sequence[PathPart] = (),
    ) -> None:
        self.line = line
        self.column = column
        self.message = message
        self.code = code
        self.path: tuple[PathPart, ...] = tuple(path)

    def _key(self) -> tuple[object, ...]:
        return (self.line, self.column, self.message, self.code, self.path)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Issue) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Issue({self.line}, {self.column}, {self.message!r}, {self.code!r}, {self.path!r})"

    def __str__(self) -> str:
        return self.message if self.line is None else f"{self.line}:{self.column}: {self.message}"


class DocumentError(ValueError):
    """The body is not read as a document. ``issues`` holds what was itemised, ``total`` counts all.

    ``line``, ``column``, ``code`` and ``message`` are those of the first issue, for callers that
    report one reason (the extension's 400, Powertools' ``ConfigurationStoreError``).
    """

    def __init__(self, issues: Sequence[Issue], total: int | None = None) -> None:
        if not issues:
            raise ValueError("a DocumentError needs at least one issue")
        self.issues: tuple[Issue, ...] = tuple(issues)
        self.total = max(total or 0, len(self.issues))
        first = self.issues[0]
        self.line = first.line
        self.column = first.column
        self.code = first.code
        self.message = first.message
        more = self.total - 1
        super().__init__(str(first) + (f" (and {more} more)" if more else ""))


def whole(message: str, code: str) -> DocumentError:
    """An error about the body as a whole, with no position in it."""
    return DocumentError([Issue(None, None, message, code)])
