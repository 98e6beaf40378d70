"""What each decision tells the version's status record."""

from __future__ import annotations

import pytest
from deployer.outcomes import Outcome, Result
from deployer.statuses import Environment, change_for
from rollout_status.model import Problem, Status

PRODUCTION = Environment("production", "app1234", "env1234")


@pytest.mark.parametrize(
    ("outcome", "number", "status"),
    [
        (Outcome.DEPLOYED, 4, Status.DEPLOYING),
        (Outcome.DUPLICATE, 4, Status.DEPLOYING),
        (Outcome.SUPERSEDED, None, Status.SUPERSEDED),
        (Outcome.SUPERSEDED, 4, Status.SUPERSEDED),
        (Outcome.REJECTED, None, Status.REJECTED),
    ],
)
def test_decisions_about_a_version_report_its_status(
    outcome: Outcome, number: int | None, status: Status
) -> None:
    change = change_for(Result(outcome, "why", number), PRODUCTION)
    assert change is not None
    assert (change.status, change.deployment_number, change.environment) == (status, number, "production")
    assert (change.application_id, change.environment_id, change.by) == (
        "app1234",
        "env1234",
        "deploy-function",
    )


@pytest.mark.parametrize("outcome", [Outcome.IGNORED, Outcome.UNVERSIONED, Outcome.UNRECOGNIZED])
def test_events_about_no_version_of_the_object_report_nothing(outcome: Outcome) -> None:
    assert change_for(Result(outcome, "why"), PRODUCTION) is None


def test_a_duplicate_whose_deployment_is_unknown_reports_nothing() -> None:
    assert change_for(Result(Outcome.DUPLICATE, "why"), PRODUCTION) is None


def test_a_refusal_names_how_many_problems_and_the_first() -> None:
    problems = (Problem("$.a", 3, 7, "expected boolean"), Problem("$.b", 9, 1, "unknown key"))
    change = change_for(Result(Outcome.REJECTED, "AppConfig's long message"), PRODUCTION, problems)
    assert change is not None
    assert change.reason == "refused by the validator: 2 problems, the first at 3:7: $.a: expected boolean"
    assert change.problems == problems
