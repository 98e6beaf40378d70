"""The botocore data plane: client settings from the variables, and failures mapped to their kinds."""

from __future__ import annotations

from typing import Any

import pytest
from appconfig_cache_extension.aws import BotocorePlane, _translate, min_poll_interval
from appconfig_cache_extension.plane import (
    BadRequest,
    NotFound,
    Throttled,
    TimedOut,
    TokenRejected,
    Unavailable,
)
from appconfig_cache_extension.settings import Settings
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }.items():
        monkeypatch.setenv(name, value)


def test_client_honours_region_proxy_connections_and_timeout() -> None:
    settings = Settings(
        service_region="eu-west-1",
        proxy_url="http://proxy.internal:3128",
        max_connections=7,
        poll_timeout_s=0.3,
    )
    config = BotocorePlane(settings).client().meta.config
    assert BotocorePlane(settings).client().meta.region_name == "eu-west-1"
    assert config.proxies == {"http": "http://proxy.internal:3128", "https": "http://proxy.internal:3128"}
    assert config.max_pool_connections == 7
    assert (config.connect_timeout, config.read_timeout) == (0.3, 0.3)
    assert config.retries["total_max_attempts"] == 1


def test_default_region_is_the_functions() -> None:
    assert BotocorePlane(Settings()).client().meta.region_name == "us-east-1"


@pytest.mark.parametrize(("interval", "minimum"), [(1, 15), (45, 45), (44.5, 45), (10**6, 86400)])
def test_minimum_poll_interval_asked_of_appconfig(interval: float, minimum: int) -> None:
    assert min_poll_interval(interval) == minimum


def client_error(code: str, status: int, **fields: Any) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **fields,
    }
    return ClientError(response, "GetLatestConfiguration")


def invalid(problem: str) -> ClientError:
    details = {"InvalidParameters": {"ConfigurationToken": {"Problem": problem}}}
    return client_error("BadRequestException", 400, Reason="InvalidParameters", Details=details)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (invalid("Expired"), TokenRejected),
        (invalid("Corrupted"), TokenRejected),
        (invalid("PollIntervalNotSatisfied"), Throttled),
        (client_error("BadRequestException", 400), BadRequest),
        (client_error("ResourceNotFoundException", 404), NotFound),
        (client_error("ThrottlingException", 429), Throttled),
        (client_error("InternalServerException", 500), Unavailable),
        (client_error("AccessDeniedException", 403), Unavailable),
        (ReadTimeoutError(endpoint_url="http://x"), TimedOut),
        (EndpointConnectionError(endpoint_url="http://x"), Unavailable),
    ],
)
def test_failures_map_to_the_kind_the_cache_acts_on(error: Exception, kind: type[Exception]) -> None:
    assert type(_translate(error)) is kind
