"""The whole check, cheapest first: raw bytes, the reading, schema, semantics, then Powertools itself.

The reading (``appconfig_reading``, the one every consumer uses) refuses what leaves no document
at once; what some reader would read differently is reported together with the schema's and the
semantic checks' findings on the rest, so one run names everything wrong (up to the report's
cap: once the reading has more issues than it itemises it stops, and the later checks look at the
flags it read to their end). A schema or semantic
finding at (or under) a node the reading already refused is not repeated. Each later stage
assumes what earlier ones proved (a schema-valid shape, a bounded depth), and Powertools' own
validator runs last, on a file nothing else refused.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any

from appconfig_reading.agreement import json_disagreement

from feature_validator import guards, loading, powertools, schema, semantics
from feature_validator.errors import MAX_REPORTED, FeatureFileInvalid, Problem, format_path, from_issue
from feature_validator.locate import Finding, Locator

if TYPE_CHECKING:
    from appconfig_reading.errors import Issue


def validate(content: bytes) -> dict[str, Any]:
    """The feature file as data, or ``FeatureFileInvalid`` with every problem located."""
    text = guards.decode(content)
    guards.check_single_document(text)
    loaded = loading.load(text)
    data = loaded.data
    locator = Locator(text, loaded.spans, loaded.lines)
    problems = [_located(issue, locator) for issue in loaded.issues]
    # An incomplete reading stopped once the report was full: its total is a lower bound.
    total, at_least = loaded.total, not loaded.complete
    if at_least and not data:  # no flag was read to its end: nothing for the later checks
        raise FeatureFileInvalid(problems, total, at_least=True)
    if not problems:
        disagreement = json_disagreement(text, data)
        if disagreement is not None:
            raise FeatureFileInvalid([_located(disagreement, locator)])
    report = schema.check(data, locator)
    later = report.problems
    total += report.total
    at_least = at_least or report.at_least
    if not report.total:
        findings = semantics.check(data)
        later = locator.locate(Finding(*finding) for finding in islice(findings, MAX_REPORTED))
        unlisted = sum(1 for _ in findings)
        total += len(later) + unlisted
    refused = [p.path for p in problems if p.path != format_path(())]
    kept = [p for p in later if not any(_under(p.path, path) for path in refused)]
    problems += kept
    total -= len(later) - len(kept)
    if problems:
        raise FeatureFileInvalid(problems, total, at_least=at_least)
    powertools.check(data, locator)
    return data  # type: ignore[no-any-return]


def _located(issue: Issue, locator: Locator) -> Problem:
    """An issue of the reading; one known only by its path (JSON and YAML disagree) is located."""
    if issue.line is None and issue.path:
        return locator.problem(list(issue.path), issue.message, issue.code)
    return from_issue(issue)


def _under(path: str, refused: str) -> bool:
    """Whether the node at ``path`` is the refused one or inside it (paths as ``format_path`` writes)."""
    return path == refused or (path.startswith(refused) and path[len(refused)] in ".[")
