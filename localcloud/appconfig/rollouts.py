"""Deployments: StartDeployment, Get/List/StopDeployment, ValidateConfiguration, and what each
environment serves to the data plane.

https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-deploying.html
https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_StartDeployment.html

StartDeployment takes the environment (one deployment at a time: ``ConflictException``), shows
the deployment as VALIDATING while it reads the exact configuration version (S3 object version
or hosted version) and runs the profile's validators, then either starts the rollout or answers
the validators' refusal. The S3 read and the validators run outside the state lock, so a slow
validator never stalls other calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.appconfig import feature_flags
from localcloud.appconfig.deployments import REVERT_WINDOW, Content, Deployment
from localcloud.appconfig.errors import bad_request, conflict, internal, not_found, payload_too_large
from localcloud.appconfig.kms import key_arn
from localcloud.appconfig.validators import Invoker, run_validators

if TYPE_CHECKING:
    from collections.abc import Callable

    from localcloud.appconfig.clock import Clock
    from localcloud.appconfig.extensions import Extensions
    from localcloud.appconfig.state import Environment, State

S3_MAX_BYTES = 1024 * 1024
NO_ALARM: Callable[[], str | None] = lambda: None  # noqa: E731


class Rollouts:
    def __init__(
        self,
        state: State,
        clock: Clock,
        *,
        s3: Callable[[str | None], Any],
        cloudwatch: Callable[[str | None], Any],
        kms: Callable[[], Any],
        invoker: Invoker | None,
        hosted: Callable[[str, str, str], dict[str, Any]],
        extensions: Extensions,
    ) -> None:
        self.state = state
        self.clock = clock
        self._s3 = s3
        """Role ARN -> an S3 client with a session of that role, assumed as AppConfig."""
        self._cloudwatch = cloudwatch
        self._kms = kms
        self._invoker = invoker
        self._hosted = hosted
        self._extensions = extensions

    # ---------------------------------------------------------------- operations
    def StartDeployment(self, p: dict[str, Any]) -> dict[str, Any]:
        app_id, env_id = p["ApplicationId"], p["EnvironmentId"]
        with self.state.lock:
            self.tick()
            env = self.state.environment(app_id, env_id)
            profile = dict(self.state.profile(app_id, p["ConfigurationProfileId"]))
            strategy = dict(self.state.strategy(p["DeploymentStrategyId"]))
            expected = p.get("LatestDeploymentNumber")
            if expected is not None and expected != len(env.deployments):
                # "ensure that the deployment starts from the expected state and to prevent
                # conflicting updates" (StartDeployment, API reference)
                raise conflict(
                    f"LatestDeploymentNumber {expected} is not the latest deployment number "
                    f"({len(env.deployments)}) of environment {env_id}"
                )
            self._take(env)
            deployment = Deployment(
                application_id=app_id,
                environment_id=env_id,
                number=len(env.deployments) + 1,
                profile=profile,
                strategy=strategy,
                started_at=self.clock.now(),
                content=Content(b"", "", p["ConfigurationVersion"]),
                description=p.get("Description"),
                kms_key_identifier=p.get("KmsKeyIdentifier"),
            )
            env.deployments.append(deployment)
            self._tag(deployment, p.get("Tags"))
        try:
            if p.get("KmsKeyIdentifier"):
                deployment.kms_key_arn = key_arn(self._kms(), p["KmsKeyIdentifier"])
            content = self._read(profile, p["ConfigurationVersion"])
            run_validators(
                profile.get("Validators") or [],
                content.data,
                event=self._event(profile, content.version),
                invoker=self._invoker,
            )
            content = _served(profile, content)
        except BaseException:
            with self.state.lock:  # refused or unreadable: as if never started
                env.deployments.remove(deployment)
                env.reserved = False
            raise
        with self.state.lock:
            env.reserved = False
            deployment.content = content
            deployment.subject = self._subject(deployment)
            deployment.applied = self._extensions.applicable(deployment)
            deployment.observer = self._extensions.observe
            deployment.begin(self.clock.now())
            env.resource["State"] = "DEPLOYING"
            return deployment.describe()

    def GetDeployment(self, p: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            self.tick()
            return self._deployment(p).describe()

    def ListDeployments(self, p: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            self.tick()
            env = self.state.environment(p["ApplicationId"], p["EnvironmentId"])
            # "Lists the deployments for an environment in descending deployment number order."
            # The token is the last number handed out, so deployments started between two pages
            # neither repeat nor shift an item.
            token = p.get("NextToken")
            try:
                below = int(token) if token else len(env.deployments) + 1
            except ValueError as error:
                raise bad_request("The NextToken is not valid") from error
            size = int(p.get("MaxResults") or 50)
            chunk = [d for d in reversed(env.deployments) if d.number < below][:size]
            result: dict[str, Any] = {"Items": [d.summary() for d in chunk]}
            if chunk and chunk[-1].number > 1:
                result["NextToken"] = str(chunk[-1].number)
            return result

    def StopDeployment(self, p: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            self.tick()
            env = self.state.environment(p["ApplicationId"], p["EnvironmentId"])
            deployment = self._deployment(p)
            now = self.clock.now()
            allow_revert = bool(p.get("AllowRevert"))
            # The five cases of the reverting page, in its order.
            if deployment.state == "DEPLOYING" or (deployment.state == "BAKING" and allow_revert):
                deployment.roll_back(now, "USER", "Deployment stopped by the user")
                env.resource["State"] = "ROLLED_BACK"
            elif deployment.state == "COMPLETE" and allow_revert:
                assert deployment.completed_at is not None
                if now - deployment.completed_at > REVERT_WINDOW:
                    raise bad_request(
                        f"Deployment {deployment.number} completed more than 72 hours ago and can no longer "
                        "be reverted; start a new deployment instead"
                    )
                newer = [d for d in env.deployments[deployment.number :] if d.state != "ROLLED_BACK"]
                if newer:
                    raise bad_request(
                        f"Deployment {deployment.number} is not the latest deployment of the environment"
                    )
                deployment.revert(now)
                env.resource["State"] = "REVERTED"
            else:
                hint = "" if allow_revert else " (a completed or baking deployment needs AllowRevert)"
                raise bad_request(
                    f"Deployment {deployment.number} is {deployment.state} and cannot be stopped{hint}"
                )
            return deployment.describe()

    def ValidateConfiguration(self, p: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            profile = dict(self.state.profile(p["ApplicationId"], p["ConfigurationProfileId"]))
        content = self._read(profile, p["ConfigurationVersion"])
        run_validators(
            profile.get("Validators") or [],
            content.data,
            event=self._event(profile, content.version),
            invoker=self._invoker,
        )
        return {}

    # ---------------------------------------------------------------- time and the data plane
    def tick(self) -> None:
        """Bring every deployment up to the clock's now (called under the lock before each read)."""
        now = self.clock.now()
        for app in self.state.applications.values():
            for env in app.environments.values():
                active = [d for d in env.deployments if d.state in ("DEPLOYING", "BAKING")]
                for deployment in active:
                    monitors = env.resource.get("Monitors") or []
                    deployment.advance(now, self._alarm_reader(monitors) if monitors else NO_ALARM)
                    env.resource["State"] = _environment_state(deployment.state)

    def served(self, app_id: str, env_id: str, profile_id: str, client: str) -> Content | None:
        """The content a data-plane client receives now: the newest deployment that reached it."""
        env = self.state.environment(app_id, env_id)
        for deployment in reversed(env.deployments):
            if deployment.profile["Id"] == profile_id and deployment.serves(client):
                return deployment.content
        return None

    # ---------------------------------------------------------------- helpers
    def _take(self, env: Environment) -> None:
        busy = next((d for d in reversed(env.deployments) if d.in_progress), None)
        if env.reserved or busy is not None:
            number = busy.number if busy else len(env.deployments)
            raise conflict(
                f"Deployment number {number} is in progress in environment {env.resource['Id']}; "
                "only one configuration can be deployed to an environment at a time"
            )
        env.reserved = True

    def _deployment(self, p: dict[str, Any]) -> Deployment:
        env = self.state.environment(p["ApplicationId"], p["EnvironmentId"])
        number = int(p["DeploymentNumber"])
        if not 1 <= number <= len(env.deployments):
            raise not_found(
                f"Deployment number {number} not found in environment {p['EnvironmentId']}", "Deployment"
            )
        return env.deployments[number - 1]

    def _read(self, profile: dict[str, Any], version: str) -> Content:
        location = profile["LocationUri"]
        if location == "hosted":
            hosted = self._hosted(profile["ApplicationId"], profile["Id"], version)
            return Content(
                bytes(hosted["Content"]),
                hosted.get("ContentType", "application/octet-stream"),
                str(hosted["VersionNumber"]),
                hosted.get("VersionLabel"),
            )
        if not location.startswith("s3://"):
            raise bad_request(
                f"The local AppConfig service reads S3 and hosted configurations only, not {location}"
            )
        bucket, _, key = location[5:].partition("/")
        try:
            obj = self._s3(profile.get("RetrievalRoleArn")).get_object(
                Bucket=bucket, Key=key, VersionId=version
            )
            data = obj["Body"].read()
        except PermissionError as error:  # the retrieval role's trust policy refused AppConfig
            raise bad_request(
                f"AppConfig could not assume the retrieval role of configuration profile {profile['Id']}: "
                f"{error}"
            ) from error
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise bad_request(
                f"Unable to retrieve version {version} of s3://{bucket}/{key} for configuration profile "
                f"{profile['Id']}: {code or error}"
            ) from error
        except BotoCoreError as error:
            raise internal(f"S3 could not be reached: {error}") from error
        if len(data) > S3_MAX_BYTES:
            raise payload_too_large(
                "Configurations stored as S3 objects can be a maximum of 1 MB in size",
                S3_MAX_BYTES,
                len(data),
            )
        return Content(data, obj.get("ContentType") or "application/octet-stream", version)

    def _subject(self, deployment: Deployment) -> dict[str, Any]:
        app = self.state.application(deployment.application_id)
        env = app.environments[deployment.environment_id]
        return {
            "Application": {"Id": app.resource["Id"], "Name": app.resource.get("Name")},
            "Environment": {"Id": env.resource["Id"], "Name": env.resource.get("Name")},
            "ConfigurationProfile": {"Id": deployment.profile["Id"], "Name": deployment.profile.get("Name")},
            "DeploymentNumber": deployment.number,
            "ConfigurationVersion": deployment.content.version,
            "Description": deployment.description,
        }

    @staticmethod
    def _event(profile: dict[str, Any], version: str) -> dict[str, str]:
        return {
            "applicationId": profile["ApplicationId"],
            "configurationProfileId": profile["Id"],
            "configurationVersion": version,
            "uri": profile["LocationUri"],
        }

    def _alarm_reader(self, monitors: list[dict[str, Any]]) -> Callable[[], str | None]:
        by_role: dict[str | None, list[str]] = {}
        for monitor in monitors:
            by_role.setdefault(monitor.get("AlarmRoleArn"), []).append(
                monitor["AlarmArn"].split(":alarm:", 1)[-1]
            )

        def in_alarm() -> str | None:
            for role, names in by_role.items():
                try:
                    alarms = self._cloudwatch(role).describe_alarms(AlarmNames=names)
                except (BotoCoreError, ClientError, PermissionError):
                    continue  # an unreadable monitor never rolls back a deployment
                # Filtered here, not with StateValue: moto ignores StateValue when AlarmNames is given.
                found = [
                    a["AlarmName"]
                    for a in alarms.get("MetricAlarms", []) + alarms.get("CompositeAlarms", [])
                    if a.get("StateValue") == "ALARM"
                ]
                if found:
                    return str(found[0])
            return None

        return in_alarm

    def _tag(self, deployment: Deployment, tags: dict[str, str] | None) -> None:
        if tags:
            path = (
                f"application/{deployment.application_id}/environment/{deployment.environment_id}"
                f"/deployment/{deployment.number}"
            )
            self.state.tags[self.state.arn(path)] = dict(tags)


def _served(profile: dict[str, Any], content: Content) -> Content:
    """What the data plane hands out: feature flags in their retrieval-time form, anything else as read."""
    if profile.get("Type") != feature_flags.TYPE:
        return content
    return Content(
        feature_flags.retrieval_form(content.data),
        feature_flags.CONTENT_TYPE,
        content.version,
        content.version_label,
    )


def _environment_state(deployment_state: str) -> str:
    return {
        "DEPLOYING": "DEPLOYING",
        "BAKING": "DEPLOYING",
        "VALIDATING": "DEPLOYING",
        "ROLLING_BACK": "ROLLING_BACK",
        "ROLLED_BACK": "ROLLED_BACK",
        "REVERTED": "REVERTED",
    }.get(deployment_state, "READY_FOR_DEPLOYMENT")


__all__ = ["Rollouts"]
