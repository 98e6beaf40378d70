"""AppConfigData through boto3: sessions, single-use tokens, poll intervals, empty bodies.

https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-retrieving-the-configuration.html
https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_appconfigdata_GetLatestConfiguration.html
https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_appconfigdata_StartConfigurationSession.html
"""

from __future__ import annotations

import pytest
from botocore.config import Config

from tests.integration.appconfig_service.conftest import KEY, World, modelled

pytestmark = pytest.mark.integration


@pytest.fixture
def deployed(world: World) -> World:
    world.start(world.put("a: 1", "application/x-yaml"))
    assert world.deployment(1)["State"] == "COMPLETE"
    return world


def problem(error: pytest.ExceptionInfo[Exception]) -> str:
    response = error.value.response  # type: ignore[attr-defined]
    assert response["Reason"] == "InvalidParameters"
    value: str = response["Details"]["InvalidParameters"]["ConfigurationToken"]["Problem"]
    return value


def test_session_by_names_and_by_ids(deployed: World) -> None:
    """StartConfigurationSession: identifiers are IDs or names; 201 with an initial token."""
    w = deployed
    by_name = w.data.start_configuration_session(
        ApplicationIdentifier="feature-flags",
        EnvironmentIdentifier="production",
        ConfigurationProfileIdentifier=KEY,
    )
    assert by_name["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert w.poll(by_name["InitialConfigurationToken"])[0] == b"a: 1"
    assert w.poll(w.session())[0] == b"a: 1"


def test_unknown_identifiers_are_not_found(deployed: World) -> None:
    with pytest.raises(deployed.data.exceptions.ResourceNotFoundException) as missing:
        deployed.data.start_configuration_session(
            ApplicationIdentifier="no-such-app",
            EnvironmentIdentifier="production",
            ConfigurationProfileIdentifier=KEY,
        )
    assert modelled(missing.value)["ResourceType"] == "Application"


def test_minimum_poll_interval_range(deployed: World) -> None:
    """RequiredMinimumPollIntervalInSeconds: 15-86400 (the service checks what the client may not)."""
    data = deployed.cloud.client("appconfigdata", config=Config(parameter_validation=False))
    for bad in (14, 86401):
        with pytest.raises(data.exceptions.BadRequestException):
            data.start_configuration_session(
                ApplicationIdentifier=deployed.app_id,
                EnvironmentIdentifier=deployed.env_id,
                ConfigurationProfileIdentifier=deployed.profile_id,
                RequiredMinimumPollIntervalInSeconds=bad,
            )


def test_content_type_and_poll_interval(deployed: World) -> None:
    """GetLatestConfiguration's Content-Type is the configuration's (the S3 object's here);
    NextPollIntervalInSeconds follows the session's minimum."""
    body, _, response = deployed.poll(deployed.session(RequiredMinimumPollIntervalInSeconds=30))
    assert body == b"a: 1"
    assert response["ContentType"] == "application/x-yaml"
    assert response["NextPollIntervalInSeconds"] == 30
    assert "VersionLabel" not in response  # labels belong to hosted versions


def test_tokens_are_single_use(deployed: World) -> None:
    """ "Each configuration token is only valid for one call to GetLatestConfiguration"."""
    token = deployed.session()
    deployed.poll(token)
    with pytest.raises(deployed.data.exceptions.BadRequestException) as reused:
        deployed.poll(token)
    assert problem(reused) == "Expired"


def test_corrupted_token(deployed: World) -> None:
    with pytest.raises(deployed.data.exceptions.BadRequestException) as corrupted:
        deployed.poll("not-a-token")
    assert problem(corrupted) == "Corrupted"


def test_tokens_expire_after_24_hours(deployed: World) -> None:
    """Tokens are valid for up to 24 hours (service time)."""
    token = deployed.session()
    deployed.cloud.clock.advance(hours=24, seconds=1)
    with pytest.raises(deployed.data.exceptions.BadRequestException) as expired:
        deployed.poll(token)
    assert problem(expired) == "Expired"


def test_poll_interval_not_satisfied(deployed: World) -> None:
    """A client "can't call GetLatestConfiguration more frequently than every N seconds"."""
    _, token, _ = deployed.poll(deployed.session(RequiredMinimumPollIntervalInSeconds=30))
    deployed.cloud.clock.advance(29)
    with pytest.raises(deployed.data.exceptions.BadRequestException) as early:
        deployed.poll(token)
    assert problem(early) == "PollIntervalNotSatisfied"
    deployed.cloud.clock.advance(1)
    body, _, _ = deployed.poll(token)  # the refused call did not spend the token
    assert body == b""


def test_empty_body_until_a_new_version_completes(deployed: World) -> None:
    """ "This API may return empty configuration data if the client already has the latest version"."""
    w = deployed
    body, token, _ = w.poll(w.session())
    assert body == b"a: 1"
    body, token, _ = w.poll(token)
    assert body == b""
    w.start(w.put("a: 2", "text/plain"), "AppConfig.AllAtOnce")
    w.cloud.clock.advance(minutes=10)
    body, token, response = w.poll(token)
    assert (body, response["ContentType"]) == (b"a: 2", "text/plain")
    assert w.poll(token)[0] == b""


def test_rollout_reaches_clients_progressively(deployed: World) -> None:
    """During a linear rollout part of the clients get the new version; after COMPLETE, all of them;
    after a rollback, the previous one again."""
    w = deployed
    tokens = []
    for _ in range(40):
        body, token, _ = w.poll(w.session())
        assert body == b"a: 1"
        tokens.append(token)
    w.start(w.put("a: 2"), "AppConfig.Linear50PercentEvery30Seconds")
    w.cloud.clock.advance(30)  # 50 %
    halfway = []
    for i, token in enumerate(tokens):
        body, tokens[i], _ = w.poll(token)
        halfway.append(body)
    assert set(halfway) == {b"a: 2", b""}  # some moved on, the others still have version 1
    w.cloud.clock.advance(30)  # 100 %, baking
    for i, token in enumerate(tokens):
        body, tokens[i], _ = w.poll(token)
        assert body in (b"a: 2", b"")
    w.appconfig.stop_deployment(
        ApplicationId=w.app_id, EnvironmentId=w.env_id, DeploymentNumber=2, AllowRevert=True
    )
    for token in tokens:
        assert w.poll(token)[0] == b"a: 1"


def test_nothing_deployed_yet(world: World) -> None:
    with pytest.raises(world.data.exceptions.ResourceNotFoundException):
        world.poll(world.session())
