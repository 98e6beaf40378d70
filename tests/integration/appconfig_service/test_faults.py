"""Fault injection, set through the local service's own controls (never through the code under test)."""

from __future__ import annotations

import json
import urllib.request
from typing import TYPE_CHECKING

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

if TYPE_CHECKING:
    from tests.integration.appconfig_service.conftest import World

pytestmark = pytest.mark.integration

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


def test_fail_next_calls_with_a_modelled_error(world: World) -> None:
    ac = world.cloud.client("appconfig", config=NO_RETRIES)
    world.cloud.appconfig.faults.fail_next("GetApplication", error="InternalServerException", count=2)
    for _ in range(2):
        with pytest.raises(ac.exceptions.InternalServerException):
            ac.get_application(ApplicationId=world.app_id)
    assert ac.get_application(ApplicationId=world.app_id)["Id"] == world.app_id


def test_sdk_retries_absorb_a_short_fault(world: World) -> None:
    world.cloud.appconfig.faults.fail_next("GetApplication", error="InternalServerException", count=1)
    response = world.appconfig.get_application(ApplicationId=world.app_id)
    assert response["ResponseMetadata"]["RetryAttempts"] == 1


def test_throttling_is_the_modelled_exception(world: World) -> None:
    data = world.cloud.client("appconfigdata", config=NO_RETRIES)
    world.cloud.appconfig.faults.throttle("StartConfigurationSession", count=1)
    with pytest.raises(data.exceptions.ThrottlingException) as throttled:
        data.start_configuration_session(
            ApplicationIdentifier=world.app_id,
            EnvironmentIdentifier=world.env_id,
            ConfigurationProfileIdentifier=world.profile_id,
        )
    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_rate_throttle(world: World) -> None:
    ac = world.cloud.client("appconfig", config=NO_RETRIES)
    # One token, and the next only after 1,000 s: the bucket's refill is unit-tested with a clock.
    world.cloud.appconfig.faults.throttle("ListApplications", per_second=0.001, count=None)
    codes = []
    for _ in range(3):
        try:
            ac.list_applications()
            codes.append("ok")
        except ClientError as error:
            codes.append(error.response["Error"]["Code"])
    assert codes == ["ok", "ThrottlingException", "ThrottlingException"]


def test_delay_outlasts_a_client_timeout(world: World) -> None:
    ac = world.cloud.client("appconfig", config=Config(read_timeout=0.2, retries={"total_max_attempts": 1}))
    world.cloud.appconfig.faults.delay("GetApplication", 5.0, count=1)  # 25 times the timeout
    with pytest.raises(ReadTimeoutError):
        ac.get_application(ApplicationId=world.app_id)


def control(world: World, method: str, path: str, body: object = None) -> object:
    request = urllib.request.Request(
        f"{world.cloud.appconfig.endpoint}/_localcloud/{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def test_http_control_interface(world: World) -> None:
    ac = world.cloud.client("appconfig", config=NO_RETRIES)
    assert control(world, "GET", "health") == {"ok": True}
    control(world, "POST", "faults", {"operation": "*", "error": "InternalServerException", "count": None})
    assert len(control(world, "GET", "faults")) == 1  # type: ignore[arg-type]
    with pytest.raises(ac.exceptions.InternalServerException):
        ac.list_applications()
    control(world, "DELETE", "faults")
    ac.list_applications()
    before = world.cloud.clock.now()
    control(world, "POST", "clock/advance", {"seconds": 3600})
    assert (world.cloud.clock.now() - before).total_seconds() == 3600
