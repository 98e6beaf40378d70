"""Cache and refresh semantics through real botocore against the local AppConfig service.

The cache's clock is the service's (a ManualClock): advancing it moves the poll interval, the
service's RequiredMinimumPollIntervalInSeconds and token lifetimes together, so nothing sleeps.
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any

import pytest
from appconfig_cache_extension.aws import AppConfigDataPlane
from appconfig_cache_extension.cache import Cache
from appconfig_cache_extension.log import Logger
from appconfig_cache_extension.plane import NotFound
from appconfig_cache_extension.settings import ConfigKey, Settings

from tests.integration.extension.conftest import APP, ENV, FLAGS_V1, FLAGS_V2, PROFILE, YAML, Deployed

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.integration
KEY = ConfigKey(APP, ENV, PROFILE)


def inline(target: Callable[[], None]) -> None:
    target()


@pytest.fixture
def make_cache(deployed: Deployed) -> Callable[..., tuple[Cache, AppConfigDataPlane]]:
    def make(**options: Any) -> tuple[Cache, AppConfigDataPlane]:
        settings = Settings(**({"poll_interval_s": 45.0, "poll_timeout_s": 1.0} | options))
        plane = AppConfigDataPlane(settings)
        cache = Cache(
            plane,
            settings,
            Logger("none"),
            clock=lambda: deployed.cloud.clock.now().timestamp(),
            spawn=inline,
            jitter=lambda: 1.0,
        )
        return cache, plane

    return make


def test_cold_fetch_by_names_and_by_ids(
    deployed: Deployed, make_cache: Callable[..., tuple[Cache, Any]]
) -> None:
    cache, _ = make_cache()
    by_name = cache.get(KEY)
    assert (by_name.content, by_name.content_type) == (FLAGS_V1, YAML)
    by_id = cache.get(ConfigKey(deployed.app_id, deployed.env_id, deployed.profile_id))
    assert by_id.etag == by_name.etag
    with pytest.raises(NotFound):
        cache.get(ConfigKey(APP, ENV, "no-such-profile"))


def test_unchanged_then_new_deployment_then_rollback(
    deployed: Deployed, make_cache: Callable[..., tuple[Cache, Any]]
) -> None:
    cache, _ = make_cache()
    first = cache.get(KEY)
    deployed.cloud.clock.advance(46)
    assert cache.get(KEY) is first  # empty body: unchanged
    deployed.deploy(FLAGS_V2)
    assert cache.get(KEY) is first  # not due yet
    deployed.cloud.clock.advance(46)
    assert cache.get(KEY).content == FLAGS_V2
    # Roll back: a deployment of v1 that is stopped while baking reverts to what was there before.
    baking = deployed.appconfig.create_deployment_strategy(
        Name="bake",
        DeploymentDurationInMinutes=0,
        GrowthFactor=100,
        FinalBakeTimeInMinutes=10,
        ReplicateTo="NONE",
    )
    version = deployed.appconfig.create_hosted_configuration_version(
        ApplicationId=deployed.app_id,
        ConfigurationProfileId=deployed.profile_id,
        Content=b"{}",
        ContentType=YAML,
    )
    started = deployed.appconfig.start_deployment(
        ApplicationId=deployed.app_id,
        EnvironmentId=deployed.env_id,
        DeploymentStrategyId=baking["Id"],
        ConfigurationProfileId=deployed.profile_id,
        ConfigurationVersion=str(version["VersionNumber"]),
    )
    deployed.cloud.clock.advance(46)
    assert cache.get(KEY).content == b"{}"
    deployed.appconfig.stop_deployment(
        ApplicationId=deployed.app_id,
        EnvironmentId=deployed.env_id,
        DeploymentNumber=started["DeploymentNumber"],
        AllowRevert=True,
    )
    deployed.cloud.clock.advance(46)
    assert cache.get(KEY).content == FLAGS_V2


def test_never_polls_sooner_than_the_session_allows(
    deployed: Deployed, make_cache: Callable[..., tuple[Cache, Any]]
) -> None:
    """A 5 s poll interval asks AppConfig for its 15 s minimum; the cache honours the answer."""
    cache, _ = make_cache(poll_interval_s=5.0)
    cache.get(KEY)
    deployed.deploy(FLAGS_V2)
    deployed.cloud.clock.advance(6)
    assert cache.get(KEY).content == FLAGS_V1  # AppConfig said: not before 15 s
    deployed.cloud.clock.advance(10)
    assert cache.get(KEY).content == FLAGS_V2


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "error", "error": "InternalServerException"},
        {"kind": "throttle"},
        {"kind": "delay", "seconds": 5.0},  # ten times the plane's read timeout
        {"kind": "error", "error": "ResourceNotFoundException"},
    ],
    ids=["HTTP 500", "throttling", "timeout", "profile gone"],
)
def test_last_good_copy_is_served_while_appconfig_misbehaves(
    deployed: Deployed, make_cache: Callable[..., tuple[Cache, Any]], fault: dict[str, Any]
) -> None:
    cache, _ = make_cache(poll_timeout_s=0.5)
    good = cache.get(KEY)
    deployed.deploy(FLAGS_V2)
    deployed.cloud.appconfig.faults.configure({"operation": "GetLatestConfiguration", "count": 3, **fault})
    for _ in range(3):
        deployed.cloud.clock.advance(46)
        assert cache.get(KEY) is good
    deployed.cloud.appconfig.faults.clear()
    deployed.cloud.clock.advance(46)
    # After failures a request does not wait for the retry; the next INVOKE's refresh does.
    assert cache.get(KEY) is good
    deployed.cloud.clock.advance(46)
    assert cache.wait(cache.refresh_due(), 30.0)  # a hang guard
    assert cache.get(KEY).content == FLAGS_V2


def test_refused_connections_serve_the_last_good_copy(
    deployed: Deployed, make_cache: Callable[..., tuple[Cache, Any]]
) -> None:
    cache, _ = make_cache()
    good = cache.get(KEY)
    deployed.cloud.appconfig.stop()
    deployed.cloud.clock.advance(46)
    assert cache.get(KEY) is good


def test_an_expired_token_starts_a_new_session(
    deployed: Deployed, make_cache: Callable[..., tuple[Cache, Any]]
) -> None:
    cache, _ = make_cache()
    first = cache.get(KEY)
    deployed.deploy(FLAGS_V2)
    deployed.cloud.clock.advance(hours=25)  # tokens last 24 hours
    assert cache.get(KEY).content == FLAGS_V2
    assert cache.get(KEY) is not first


def test_cross_account_role_through_sts(
    deployed: Deployed, make_cache: Callable[..., tuple[Cache, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", deployed.cloud.moto)
    # The local cloud is one account and enforces IAM: the role lives there, trusts the account and
    # may read configurations (AppConfig has no resource-based policy a real second account could use).
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Resource": "*",
                "Action": ["appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"],
            }
        ],
    }
    iam = deployed.cloud.client("iam")
    role = iam.create_role(RoleName="AppConfigReader", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    iam.put_role_policy(RoleName="AppConfigReader", PolicyName="read", PolicyDocument=json.dumps(read))
    cache, plane = make_cache(role_arn=role, role_external_id="ext-42", role_session_name="reader")
    assert cache.get(KEY).content == FLAGS_V1
    source = plane.base_credentials
    first = source.get()
    assert first.token  # temporary credentials from STS, not the function's own
    assert first.access_key != os.environ["AWS_ACCESS_KEY_ID"]
    # Renewal: credentials a minute from expiry are replaced before they are used again.
    first.expires_at = time.time() + 60
    renewed = source.get()
    assert renewed.access_key != first.access_key
    assert renewed.expires_at is not None
    assert renewed.expires_at > time.time() + 1800
