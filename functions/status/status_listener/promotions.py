"""What a completed deployment means for the next stage. Pure.

A version that completes a stage (rolled out and baked with no alarm: AppConfig's COMPLETE) is
due in the next one: with ``PromotionApproval`` ``auto`` a promotion request is queued for it
at once, with ``manual`` it waits for ``rollout promote``. Either way the version is
``pending`` there until the deploy function takes the request. The version it replaced in the
stage, if that one was still waiting for the next stage, is superseded there: a newer version
that reaches a stage supersedes an older one still waiting there. A rollback stops here: no
request, nothing pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rollout_status.model import Change, Status

if TYPE_CHECKING:
    from rollout_status.layout import Layout, Stage

BY = "status-function"
AUTO, MANUAL = "auto", "manual"


@dataclass(frozen=True)
class Promotion:
    version: str
    to: Stage
    pending: Change
    """The version's status in the next stage until its request is taken."""
    queue: bool
    """Whether to queue the request now (``auto``); ``manual`` waits for ``rollout promote``."""


def promotion_after(
    layout: Layout, stage: Stage, version: str, deployment_number: int, approval: str
) -> Promotion | None:
    """The promotion of ``version``, which completed deployment ``deployment_number`` in ``stage``."""
    to = layout.after(stage)
    if to is None:
        return None
    if approval == MANUAL:
        reason = (
            f"deployment {deployment_number} completed in {stage.name}; waiting for approval: "
            f"rollout promote {version} --to {to.name}"
        )
    else:
        reason = f"deployment {deployment_number} completed in {stage.name}; promoted, queued for {to.name}"
    pending = Change(
        environment=to.name,
        status=Status.PENDING,
        reason=reason,
        application_id=layout.application_id,
        environment_id=to.environment_id,
        by=BY,
    )
    return Promotion(version, to, pending, queue=approval != MANUAL)


def overtaken(layout: Layout, to: Stage, newer: str, stage: Stage) -> Change:
    """The status, in ``to``, of a version that was waiting for it when ``newer`` replaced it in ``stage``."""
    return Change(
        environment=to.name,
        status=Status.SUPERSEDED,
        reason=f"the newer version {newer} completed {stage.name} before this one entered {to.name}",
        application_id=layout.application_id,
        environment_id=to.environment_id,
        by=BY,
    )
