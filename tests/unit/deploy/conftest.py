"""In-memory doubles of the deploy path's two AWS interfaces, for the pure decision logic.

They keep AppConfig's rules that the decision depends on: one deployment in progress per
environment (StartDeployment conflicts), history newest first, StopDeployment only while in
progress (or with AllowRevert). The same decisions run against real clients in tests/integration.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import Stubber
from deployer.aws import AppConfigDeployments, Deployment, S3ObjectVersions
from deployer.errors import ConfigurationRefused, DeploymentConflict
from deployer.rollout import Rollout, Target
from deployer.stages import StageDeployer
from deployer.uploads import Upload
from rollout_status.layout import Configuration, Layout, Stage

from tests.handlers import init

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mypy_boto3_s3 import S3Client

BUCKET = "config-bucket"
KEY = "feature-file.yml"
PROFILE = "prof123"
VERSION = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# The variables the template sets with the default parameters (one configuration, one stage).
VARIABLES = {
    "CONFIG_BUCKET": BUCKET,
    "CONFIGURATIONS": KEY,
    "ENVIRONMENTS": "production",
    "APPCONFIG_APPLICATION_ID": "app1234",
    "APPCONFIG_PROFILE_ID_featurefileyml": PROFILE,
    "APPCONFIG_ENVIRONMENT_ID_production": "env1234",
    "APPCONFIG_DEPLOYMENT_STRATEGY_ID": "strat12",
    "DEPLOY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/deploy.fifo",
    "DEPLOY_QUEUE_MAX_RECEIVES": "10",
}
LAYOUT = Layout(
    bucket=BUCKET,
    application_id="app1234",
    configurations=(Configuration(KEY, KEY, PROFILE),),
    stages=(Stage("production", "env1234", 0),),
)


def stage_deployer(s3: Any, appconfig: Any, layout: Layout = LAYOUT) -> StageDeployer:
    """The handler's deployer on the given (stubbed) clients."""
    return StageDeployer(
        layout,
        S3ObjectVersions(s3),
        appconfig,
        strategy_id="strat12",
        kms_key_identifier=None,
        sleep=lambda _: None,
        before_stop=lambda key, environment: lambda version, number, reason: None,
    )


@dataclass
class Objects:
    newest: dict[str, str | None] = field(default_factory=dict)
    after_reads: list[str | None] = field(default_factory=list)
    """Versions that become newest after each read: a newer upload landing mid-decision."""

    def superseded(self, newest: str | None) -> str:
        return (
            f"a newer version {newest} exists" if newest else "the object has been deleted since this upload"
        )

    def newest_version(self, bucket: str, key: str) -> str | None:
        current = self.newest.get(key)
        if self.after_reads:
            self.newest[key] = self.after_reads.pop(0)
        return current


@dataclass
class Environment:
    items: list[Deployment] = field(default_factory=list)  # newest first
    refuse: dict[str, str] = field(default_factory=dict)
    start_state: str = "DEPLOYING"
    later_states: list[str] = field(default_factory=list)
    stopped: list[tuple[int, bool]] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    before_start: Callable[[Environment], None] | None = None
    """Runs once just before the next start: another delivery acting concurrently."""

    def add(self, version: str, state: str, profile: str = PROFILE, started: datetime = NOW) -> Deployment:
        deployment = Deployment(len(self.items) + 1, version, state, started, profile)
        self.items.insert(0, deployment)
        return deployment

    def history(self) -> Iterator[Deployment]:
        # Summaries, as ListDeployments gives them: no profile ID.
        for item in list(self.items):
            yield replace(item, profile_id=None)

    def get(self, number: int) -> Deployment:
        found = next(d for d in self.items if d.number == number)
        if self.later_states and found.state == "VALIDATING":
            found = self._set(number, self.later_states.pop(0), "Validation failed: line 3:7")
        return found

    def start(self, version: str, description: str, *, latest: int | None) -> Deployment:
        if self.before_start:
            self.before_start(self)
            self.before_start = None
        if version in self.refuse:
            raise ConfigurationRefused(self.refuse[version])
        if any(d.in_progress for d in self.items):
            raise DeploymentConflict("Deployment number 1 already exists")
        if latest is not None and self.items and self.items[0].number != latest:
            raise DeploymentConflict(f"LatestDeploymentNumber {latest} is not the latest deployment")
        self.started.append(version)
        return self.add(version, self.start_state, started=NOW + timedelta(seconds=1))

    def stop(self, number: int, *, allow_revert: bool) -> bool:
        found = next(d for d in self.items if d.number == number)
        if not (found.in_progress or allow_revert):
            return False
        self.stopped.append((number, allow_revert))
        self._set(number, "ROLLED_BACK" if found.in_progress else "REVERTED")
        return True

    def _set(self, number: int, state: str, event: str = "") -> Deployment:
        index = next(i for i, d in enumerate(self.items) if d.number == number)
        self.items[index] = replace(self.items[index], state=state, last_event=event)
        return self.items[index]


def upload(version: str | None = "v2", key: str = KEY, event: str = "ObjectCreated:Put", **kw: Any) -> Upload:
    return Upload(event, kw.get("bucket", BUCKET), key, version, "0055AED6DCD90281E5", NOW)


@pytest.fixture
def objects() -> Objects:
    return Objects(newest={KEY: "v2"})


@pytest.fixture
def environment() -> Environment:
    return Environment()


@pytest.fixture
def rollout(objects: Objects, environment: Environment) -> Rollout:
    return Rollout(Target(BUCKET, KEY, PROFILE), objects, environment, sleep=lambda _: None)


@pytest.fixture
def clients() -> Iterator[tuple[Stubber, Stubber, Rollout]]:
    s3: S3Client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    appconfig = boto3.client(
        "appconfig", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    rollout = Rollout(
        Target(BUCKET, KEY, PROFILE),
        S3ObjectVersions(s3),
        AppConfigDeployments(
            appconfig,
            application_id="app1234",
            environment_id="env1234",
            profile_id="prof123",
            strategy_id="strat12",
        ),
        sleep=lambda _: None,
    )
    with Stubber(s3) as s3_stub, Stubber(appconfig) as appconfig_stub:
        yield s3_stub, appconfig_stub, rollout
        s3_stub.assert_no_pending_responses()
        appconfig_stub.assert_no_pending_responses()


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """What the handler logs (its log handler keeps the stdout it found at import)."""
    handler: Any = sys.modules.get("deployer.handler") or init("deployer.handler", VARIABLES)
    stream = io.StringIO()
    previous = handler.logger.registered_handler.setStream(stream)
    yield stream
    handler.logger.registered_handler.setStream(previous)


class ReportedStatuses:
    """What the handler tells the status records (their store runs against S3 in tests/integration)."""

    def __init__(self) -> None:
        self.reported: list[tuple[str | None, str]] = []

    def report(self, upload: Any, environment: Any, result: Any) -> None:
        self.reported.append((upload.version_id, result.outcome.value))


@pytest.fixture(autouse=True)
def statuses(monkeypatch: pytest.MonkeyPatch) -> ReportedStatuses:
    reported = ReportedStatuses()
    handler = sys.modules.get("deployer.handler") or init("deployer.handler", VARIABLES)

    monkeypatch.setattr(handler, "statuses", lambda: reported)
    return reported
