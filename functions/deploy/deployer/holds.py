"""How long a request waits for another configuration's deployment in its stage.

The deployment's own record says when it should end: a deployment rolling out has the rest of
its strategy's duration and then the whole bake time left; one baking, what is left of the bake
(https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_GetDeployment.html:
``DeploymentDurationInMinutes``, ``FinalBakeTimeInMinutes``, ``StartedAt``, the event log's
``BAKE_TIME_STARTED``). Time is measured on AppConfig's clock (the answer's ``Date``), so the
function's own clock never enters into it.

The request is held that long, plus a margin, within SQS's limits: a visibility timeout of at
most 12 hours (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html);
a longer deployment costs the request one more receive every 12 hours. A rollback's length is
not known in advance: such a deployment is waited for a minute at a time.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deployer.aws import Deployment

MAX_VISIBILITY = 43200
"""SQS's longest visibility timeout: 12 hours."""
MARGIN = 2
"""Seconds beyond the predicted end: the deployment's last step and the clock's resolution."""
ROLLBACK_WAIT = 60


def hold_seconds(deployment: Deployment) -> int:
    """Whole seconds to hold a request behind ``deployment`` (at least 1)."""
    if deployment.state == "ROLLING_BACK":
        return ROLLBACK_WAIT
    now = deployment.observed_at
    duration = deployment.duration_minutes * 60
    bake = deployment.bake_minutes * 60
    if deployment.state == "BAKING" and deployment.bake_started_at and now:
        left = bake - (now - deployment.bake_started_at).total_seconds()
    elif deployment.started_at and now:
        left = duration - (now - deployment.started_at).total_seconds() + bake
    else:
        left = duration + bake
    return max(1, min(MAX_VISIBILITY, math.ceil(max(left, 0.0)) + MARGIN))
