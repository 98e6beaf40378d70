"""Every AWS_APPCONFIG_EXTENSION_* variable: defaults, accepted forms, and errors naming the variable."""

from __future__ import annotations

import pytest
from appconfig_cache_extension.settings import ConfigKey, Settings, SettingsError, parse_settings

pytestmark = pytest.mark.unit
P = "AWS_APPCONFIG_EXTENSION_"


def test_defaults_match_aws_agent() -> None:
    settings = parse_settings({})
    assert settings == Settings()
    assert (settings.http_port, settings.poll_interval_s, settings.poll_timeout_s) == (2772, 45.0, 3.0)
    assert (settings.max_connections, settings.log_level, settings.prefetch) == (3, "info", ())
    assert settings.role_arn is None
    assert settings.role_session_name == "AWSAppConfigAgentSession"


@pytest.mark.parametrize(
    ("value", "seconds"), [("45", 45), ("45s", 45), ("5m", 300), ("1h", 3600), ("1.5m", 90)]
)
def test_poll_interval_forms(value: str, seconds: float) -> None:
    assert parse_settings({P + "POLL_INTERVAL_SECONDS": value}).poll_interval_s == seconds


@pytest.mark.parametrize(("value", "seconds"), [("3000", 3.0), ("300ms", 0.3), ("5s", 5.0), ("1m", 60.0)])
def test_poll_timeout_forms(value: str, seconds: float) -> None:
    assert parse_settings({P + "POLL_TIMEOUT_MILLIS": value}).poll_timeout_s == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["TRACE", "debug", "Info", "warn", "WARNING", "error", "fatal", "none"])
def test_log_levels_any_case(value: str) -> None:
    level = parse_settings({P + "LOG_LEVEL": value}).log_level
    assert level == ("warn" if value == "WARNING" else value.lower())


def test_prefetch_list_accepts_both_forms_and_drops_duplicates() -> None:
    value = (
        "MyApp:MyEnv:MyConfig, /applications/a%2Fb/environments/e/configurations/p ,"
        "abc123:def456:ghi789,MyApp:MyEnv:MyConfig"
    )
    assert parse_settings({P + "PREFETCH_LIST": value}).prefetch == (
        ConfigKey("MyApp", "MyEnv", "MyConfig"),
        ConfigKey("a/b", "e", "p"),
        ConfigKey("abc123", "def456", "ghi789"),
    )


def test_role_region_proxy_and_local_directory() -> None:
    settings = parse_settings(
        {
            P + "ROLE_ARN": "arn:aws:iam::111122223333:role/AppConfigReader",
            P + "ROLE_EXTERNAL_ID": "ext-1",
            P + "ROLE_SESSION_NAME": "mine",
            P + "SERVICE_REGION": "eu-west-1",
            P + "PROXY_URL": "http://proxy.internal:3128",
            P + "LOCAL_DEVELOPMENT_DIRECTORY": "/",
            P + "MAX_CONNECTIONS": "7",
            P + "HTTP_PORT": "2773",
        }
    )
    assert settings.role_arn == "arn:aws:iam::111122223333:role/AppConfigReader"
    assert (settings.role_external_id, settings.role_session_name) == ("ext-1", "mine")
    assert (settings.service_region, settings.proxy_url) == ("eu-west-1", "http://proxy.internal:3128")
    assert (settings.local_development_directory, settings.max_connections, settings.http_port) == (
        "/",
        7,
        2773,
    )


INVALID = [
    ("HTTP_PORT", "http"),
    ("HTTP_PORT", "70000"),
    ("HTTP_PORT", "0"),
    ("POLL_INTERVAL_SECONDS", "soon"),
    ("POLL_INTERVAL_SECONDS", "500ms"),
    ("POLL_INTERVAL_SECONDS", "-5"),
    ("POLL_INTERVAL_SECONDS", "45 s"),
    ("POLL_TIMEOUT_MILLIS", "3 seconds"),
    ("POLL_TIMEOUT_MILLIS", "0"),
    ("PREFETCH_LIST", "App:Env"),
    ("PREFETCH_LIST", "/applications/a/environments/e"),
    ("PREFETCH_LIST", "a:b:c:d"),
    ("MAX_CONNECTIONS", "0"),
    ("MAX_CONNECTIONS", "many"),
    ("LOG_LEVEL", "verbose"),
    ("ROLE_ARN", "my-role"),
    ("SERVICE_REGION", "Europe"),
    ("PROXY_URL", "proxy:3128"),
    ("ROLE_EXTERNAL_ID", "x"),
    ("ROLE_SESSION_NAME", "has spaces"),
    ("LOCAL_DEVELOPMENT_DIRECTORY", "/no/such/directory"),
]


@pytest.mark.parametrize(("name", "value"), INVALID)
def test_invalid_value_names_the_variable_and_the_accepted_forms(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        parse_settings({P + name: value})
    assert raised.value.variable == P + name
    assert P + name in str(raised.value)
    assert "accepted:" in str(raised.value)


@pytest.mark.parametrize(
    ("value", "headers"),
    [
        ("header: value", (("header", "value"),)),
        ("h1: v1, h2: v2", (("h1", "v1"), ("h2", "v2"))),
        ("X-A:b:c", (("X-A", "b:c"),)),
    ],
)
def test_proxy_headers_forms(value: str, headers: tuple[tuple[str, str], ...]) -> None:
    settings = parse_settings({P + "PROXY_URL": "http://proxy:3128", P + "PROXY_HEADERS": value})
    assert settings.proxy_headers == headers


@pytest.mark.parametrize("value", ["no-colon", "bad name: v", ": v", "h: ", "h1: v1,,h2: v2"])
def test_invalid_proxy_headers_name_the_variable(value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        parse_settings({P + "PROXY_URL": "http://proxy:3128", P + "PROXY_HEADERS": value})
    assert raised.value.variable == P + "PROXY_HEADERS"


def test_proxy_headers_need_a_proxy() -> None:
    with pytest.raises(SettingsError, match="PROXY_URL"):
        parse_settings({P + "PROXY_HEADERS": "h: v"})


def test_regions_of_every_partition_are_accepted() -> None:
    for region in (
        "us-east-1",
        "eu-central-2",
        "cn-northwest-1",
        "us-gov-west-1",
        "eusc-de-east-1",
        "us-isob-east-1",
    ):
        assert parse_settings({P + "SERVICE_REGION": region}).service_region == region
