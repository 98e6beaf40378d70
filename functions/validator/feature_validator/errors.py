"""The one exception the validator raises, and the located problems it carries.

Messages never quote configuration values: Lambda writes an unhandled exception's message to the
function's logs, and a feature file may hold values that are not for logs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from appconfig_reading.errors import Issue

# Reported problems are capped so the message stays readable; the rest are counted.
MAX_REPORTED = 50

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")

PathPart = str | int


def format_path(parts: Iterable[PathPart]) -> str:
    """JSONPath-style: ``$.flag.rules['rule name'].conditions[0].value``."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.fullmatch(part):
            out.append(f".{part}")
        else:
            out.append("['" + part.replace("\\", "\\\\").replace("'", "\\'") + "']")
    return "".join(out)


class Problem(NamedTuple):
    """One thing wrong with the file: where (document path, 1-based line and column) and what.
    (A named tuple, not a dataclass: ``dataclasses`` imports ``inspect``, a tenth of a cold start.)"""

    path: str
    line: int
    column: int
    message: str
    code: str

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.path}: {self.message}"

    def location(self) -> dict[str, str | int]:
        """What logs may hold: where and which kind, never the message's subject value."""
        return {"path": self.path, "line": self.line, "column": self.column, "code": self.code}


class FeatureFileInvalid(Exception):
    """The feature file must not be deployed. ``problems`` holds at most ``MAX_REPORTED`` of ``total``."""

    def __init__(
        self, problems: Sequence[Problem], total: int | None = None, *, at_least: bool = False
    ) -> None:
        ordered = sorted(problems, key=lambda p: (p.line, p.column))
        self.total = max(total if total is not None else 0, len(ordered))
        # True when the total counts some parts as one problem each without itemising them.
        self.at_least = at_least
        self.problems: tuple[Problem, ...] = tuple(ordered[:MAX_REPORTED])
        super().__init__(self._summary())

    @property
    def more(self) -> int:
        return self.total - len(self.problems)

    def more_prefix(self) -> str:
        return "at least " if self.at_least else ""

    def _summary(self) -> str:
        noun = "problem" if self.total == 1 else "problems"
        lines = [f"feature file rejected, {self.more_prefix()}{self.total} {noun}:"]
        lines += [str(problem) for problem in self.problems]
        if self.more:
            lines.append(f"... and {self.more_prefix()}{self.more} more")
        return "\n".join(lines)


def problem_at(path: Sequence[PathPart], line: int, column: int, message: str, code: str) -> Problem:
    return Problem(format_path(path), line, column, message, code)


def from_issue(issue: Issue) -> Problem:
    """A reading's issue as a problem; one about the whole file is reported at 1:1, as all are."""
    return problem_at(issue.path, issue.line or 1, issue.column or 1, issue.message, issue.code)
