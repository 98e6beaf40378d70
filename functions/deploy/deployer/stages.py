"""One request, one decision: which configuration, which stage, and what ``Rollout`` makes of it.

A request deploys into the stage its message group names. An upload may enter only the first
stage; a promotion only a later one, and then only the version in service in the stage before
(``InServiceVersions``), so that a version rolled back there, or overtaken by a newer one that
completed there, never reaches the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from deployer.aws import AppConfigDeployments, InServiceVersions
from deployer.outcomes import Outcome, Result
from deployer.requests import Promotion
from deployer.rollout import Rollout, Target
from deployer.statuses import Environment
from deployer.uploads import NotAnUpload, Upload

if TYPE_CHECKING:
    from collections.abc import Callable

    from rollout_status.layout import Configuration, Layout, Stage

    from deployer.aws import ObjectVersions
    from deployer.requests import Request


@dataclass(frozen=True)
class Decision:
    result: Result
    configuration: Configuration | None = None
    stage: Stage | None = None

    @property
    def environment(self) -> Environment | None:
        return environment_of(self.stage, self.application_id) if self.stage else None

    application_id: str = ""


def environment_of(stage: Stage, application_id: str) -> Environment:
    return Environment(name=stage.name, application_id=application_id, environment_id=stage.environment_id)


class StageDeployer:
    def __init__(
        self,
        layout: Layout,
        objects: ObjectVersions,
        appconfig: Any,
        *,
        strategy_id: str,
        kms_key_identifier: str | None,
        sleep: Callable[[float], None],
        before_stop: Callable[[str, Environment], Callable[[str, int, str], None]],
    ) -> None:
        self._layout = layout
        self._objects = objects
        self._appconfig = appconfig
        self._strategy = strategy_id
        self._kms = kms_key_identifier
        self._sleep = sleep
        self._before_stop = before_stop

    def decide(self, request: Request) -> Decision:
        app = self._layout.application_id
        stage = self._layout.stage(request.stage)
        item = request.item
        if isinstance(item, NotAnUpload):
            return Decision(item.result(), stage=stage, application_id=app)
        if stage is None:
            return Decision(
                _unrecognized(f"the message group {request.stage!r} is not a stage of this stack")
            )
        configuration = self._layout.configuration(item.key) if item.bucket == self._layout.bucket else None
        if isinstance(item, Promotion):
            return self._promotion(item, stage, configuration)
        return self._upload(item, stage, configuration)

    def _promotion(self, item: Promotion, stage: Stage, configuration: Configuration | None) -> Decision:
        app = self._layout.application_id
        if item.to != stage.name or stage.index == 0:
            why = f"a promotion to {item.to!r} in the group of stage {stage.name!r}"
            return Decision(_unrecognized(why), stage=stage, application_id=app)
        if configuration is None:
            return Decision(self._not_ours(item.bucket, item.key), stage=stage, application_id=app)
        result = self._rollout(configuration, stage).decide_version(item.version_id)
        return Decision(result, configuration, stage, app)

    def _upload(self, item: Upload, stage: Stage, configuration: Configuration | None) -> Decision:
        app = self._layout.application_id
        if stage.index != 0:
            why = f"an upload enters the first stage, {self._layout.first.name}, not {stage.name}"
            return Decision(_unrecognized(why), stage=stage, application_id=app)
        if configuration is None:
            result = self._not_ours(item.bucket, item.key) if item.is_object_created else None
            if result is None:
                result = Result(Outcome.IGNORED, f"{item.event_name} is not an upload")
            return Decision(result, stage=stage, application_id=app)
        return Decision(self._rollout(configuration, stage).decide(item), configuration, stage, app)

    def _rollout(self, configuration: Configuration, stage: Stage) -> Rollout:
        deployments = self._deployments(configuration, stage)
        objects: ObjectVersions = self._objects
        previous = self._layout.before(stage)
        if previous is not None:
            objects = InServiceVersions(
                self._deployments(configuration, previous), configuration.name, previous.name
            )
        return Rollout(
            Target(self._layout.bucket, configuration.key, configuration.profile_id),
            objects,
            deployments,
            sleep=self._sleep,
            before_stop=self._before_stop(
                configuration.key, environment_of(stage, self._layout.application_id)
            ),
        )

    def _deployments(self, configuration: Configuration, stage: Stage) -> AppConfigDeployments:
        return AppConfigDeployments(
            self._appconfig,
            application_id=self._layout.application_id,
            environment_id=stage.environment_id,
            profile_id=configuration.profile_id,
            strategy_id=self._strategy,
            kms_key_identifier=self._kms,
        )

    def _not_ours(self, bucket: str, key: str) -> Result:
        keys = ", ".join(c.key for c in self._layout.configurations)
        return Result(
            Outcome.IGNORED,
            f"s3://{bucket}/{key} is not a configuration object of this stack "
            f"(s3://{self._layout.bucket}/ {keys})",
        )


def _unrecognized(why: str) -> Result:
    return Result(Outcome.UNRECOGNIZED, f"not a request this function handles: {why}")
