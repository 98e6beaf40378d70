"""When ``push`` takes the light path, and that it then goes where botocore goes.

Every setting botocore reads is classified (a botocore upgrade that reads a new one fails here
until it is); each setting the light path does not follow sends the command to botocore; the
endpoints, for every Region botocore knows and for configured ones, are the URLs botocore's own
clients send to, read from the same environment."""

from __future__ import annotations

import json
import re
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import botocore
import botocore.session
import pytest
from botocore.config import Config
from botocore.configprovider import ConfiguredEndpointProvider

from rollout.aws import Clients
from rollout.light import light_clients, s3_location
from rollout.light_settings import ENDPOINT_VARIABLES, ENVIRONMENT, classify, resolve
from tests.unit.rollout_cli.light_doubles import (
    ACCESS_KEY,
    SECRET_KEY,
    Network,
    ScriptedHttp,
    environment,
    light,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

pytestmark = pytest.mark.unit

BOTOCORE = Path(botocore.__file__).parent
PARTITIONS = json.loads((BOTOCORE / "data" / "partitions.json").read_text())
REGIONS = sorted(
    {r for p in PARTITIONS["partitions"] for r in p["regions"] if not r.endswith("-global")}
    | {"us-west-9", "eu-nowhere-3", "cn-far-2", "us-gov-inner-4", "us-isob-deep-7", "eusc-de-north-2"}
)


def test_every_variable_botocore_reads_is_classified() -> None:
    read = set()
    for source in BOTOCORE.rglob("*.py"):
        read |= set(re.findall(r"""['"](AWS_[A-Z0-9_]+)['"]""", source.read_text()))
    read -= {"AWS_ENDPOINT_URL_"}  # the prefix of the per-service variables
    assert sorted(read - set(ENVIRONMENT)) == []


@pytest.mark.parametrize("service", ["s3", "cloudformation"])
def test_the_endpoint_variables_are_botocores(service: str) -> None:
    provider: Any = ConfiguredEndpointProvider(full_config={}, scoped_config={}, client_name=service)
    assert provider._get_service_env_var_name() == f"AWS_ENDPOINT_URL_{ENDPOINT_VARIABLES[service]}"


@pytest.mark.parametrize(
    ("variables", "light_path"),
    [
        ({}, True),
        ({"AWS_REGION": "eu-west-1"}, True),  # read by botocore only in the "auto" defaults mode
        ({"AWS_USE_FIPS_ENDPOINT": "false"}, True),
        ({"AWS_USE_FIPS_ENDPOINT": "TRUE"}, False),
        ({"AWS_USE_DUALSTACK_ENDPOINT": "true"}, False),
        ({"AWS_DEFAULTS_MODE": "legacy"}, True),
        ({"AWS_DEFAULTS_MODE": "standard"}, False),  # would make us-east-1's S3 endpoint regional
        ({"AWS_REQUEST_CHECKSUM_CALCULATION": "WHEN_REQUIRED"}, True),
        ({"AWS_REQUEST_CHECKSUM_CALCULATION": "sometimes"}, False),  # botocore's error to raise
        ({"AWS_S3_US_EAST_1_REGIONAL_ENDPOINT": "regional"}, True),
        ({"AWS_S3_US_EAST_1_REGIONAL_ENDPOINT": "Regional"}, False),
        ({"HTTPS_PROXY": "http://proxy:3128"}, False),
        ({"https_proxy": "http://proxy:3128"}, False),
        ({"NO_PROXY": "localhost"}, True),
        ({"AWS_DATA_PATH": "/models"}, False),
        ({"AWS_SDK_UA_APP_ID": "ci"}, False),
        ({"AWS_CREDENTIAL_EXPIRATION": "2030-01-01T00:00:00Z"}, False),
        ({"AWS_CSM_ENABLED": "true"}, False),
        ({"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, True),
        ({"AWS_ROLE_ARN": "arn:aws:iam::1:role/r", "AWS_WEB_IDENTITY_TOKEN_FILE": "/t"}, True),
        ({"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:5000"}, True),
        ({"AWS_SECRET_ACCESS_KEY": ""}, False),  # partial credentials: botocore's error
        ({"AWS_SESSION_TOKEN": "", "AWS_SECURITY_TOKEN": "t"}, False),  # botocore's session decides
        ({"AWS_SECURITY_TOKEN": "t"}, True),
        ({"AWS_DEFAULT_REGION": ""}, False),  # no Region: botocore's error
        ({"AWS_DEFAULT_REGION": "aws-global"}, False),
        ({"AWS_DEFAULT_REGION": "local"}, False),
    ],
)
def test_which_environments_take_the_light_path(variables: dict[str, str], light_path: bool) -> None:
    assert (resolve(environment(**variables)) is not None) is light_path


def test_an_explicit_region_wins_as_botocores_region_name_does() -> None:
    env = environment()
    del env["AWS_DEFAULT_REGION"]
    assert resolve(env) is None
    found = resolve(env, "eu-central-1")
    assert found is not None
    assert found.region == "eu-central-1"


def test_an_unknown_variable_is_not_botocores_business() -> None:
    assert classify("AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS", "1")
    assert classify("GITHUB_ACTIONS", "true")


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_a_profile_in_the_shared_files_is_read_by_botocores_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No keys in the environment: botocore's chain finds the profile's, the profile's Region
    is used, and the light path signs with them."""
    config = _write(tmp_path / "config", "[profile ci]\nregion = eu-west-2\noutput = json\n")
    credentials = _write(
        tmp_path / "credentials",
        f"[ci]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n",
    )
    env = {"AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": credentials, "AWS_PROFILE": "ci"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # botocore's session reads os.environ itself
    found = resolve(env)
    assert found is not None
    assert found.session is not None
    assert found.region == "eu-west-2"
    signing = found.credentials()
    assert (signing.access_key, signing.secret_key, signing.token) == (ACCESS_KEY, SECRET_KEY, None)


@pytest.mark.parametrize(
    "profile",
    [
        "s3 =\n  addressing_style = path\n",
        "endpoint_url = http://localhost:4566\n",
        "use_fips_endpoint = true\n",
        "services = local\n",
        "sdk_ua_app_id = ci\n",
    ],
)
def test_a_profile_setting_the_light_path_does_not_follow_means_botocore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: str
) -> None:
    config = _write(tmp_path / "config", f"[default]\nregion = eu-west-1\n{profile}")
    monkeypatch.setenv("AWS_CONFIG_FILE", config)
    env = environment(AWS_CONFIG_FILE=config)
    assert resolve(env) is None
    clients = Clients()
    assert light_clients(env, None, clients) is None


def test_a_missing_profile_is_left_to_botocore_to_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nowhere")
    assert resolve({**environment(), "AWS_PROFILE": "nowhere"}) is None


def _botocore_url(client: Any, call: str, **params: Any) -> str:
    with Network(client, (200, {}, b"<DescribeStacksResponse/>")) as network, suppress(Exception):
        getattr(client, call)(**params)  # only the request matters here
    return str(network.requests[0].url)


@pytest.mark.parametrize("regional", [False, True])
def test_s3_urls_for_every_region_are_botocores(regional: bool) -> None:
    s3_config: Any = {"us_east_1_regional_endpoint": "regional" if regional else "legacy"}
    session = botocore.session.Session()
    variables = {"AWS_S3_US_EAST_1_REGIONAL_ENDPOINT": "regional"} if regional else {}
    mismatches = {}
    keys: Any = {"aws_access_key_id": ACCESS_KEY, "aws_secret_access_key": SECRET_KEY}
    for region in REGIONS:
        client = session.create_client("s3", region_name=region, config=Config(s3=s3_config), **keys)
        theirs = _botocore_url(client, "get_object", Bucket="config-bucket-1", Key="team a/f.yml")
        location = s3_location("config-bucket-1", "team a/f.yml", _settings(region, variables))
        assert location is not None
        url, path = location
        mine = f"https://{url.host}{path}"
        if mine != theirs:
            mismatches[region] = (mine, theirs)
    assert mismatches == {}


def _settings(region: str, variables: Mapping[str, str]) -> Any:
    found = resolve(environment(region, **variables))
    assert found is not None
    return found


@pytest.mark.parametrize(
    "variables",
    [
        {
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:5000",
            "AWS_ENDPOINT_URL_CLOUDFORMATION": "http://127.0.0.1:5001",
        },
        {"AWS_ENDPOINT_URL": "http://localhost:4566"},
        {"AWS_ENDPOINT_URL": "http://all:1", "AWS_ENDPOINT_URL_S3": "https://s3.example.com/base/"},
        {
            "AWS_ENDPOINT_URL_S3": "https://s3.example.com/base",
            "AWS_ENDPOINT_URL_CLOUDFORMATION": "https://cfn.example.com/x/",
        },
        {"AWS_ENDPOINT_URL": "http://all:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
        {"AWS_ENDPOINT_URL_S3": "", "AWS_ENDPOINT_URL": "http://[::1]:9000"},
    ],
)
def test_configured_endpoints_are_read_from_the_environment_as_botocore_reads_them(
    variables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = environment("eu-west-1", **variables)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    session = botocore.session.Session()
    for service, call, params in (
        ("s3", "get_object", {"Bucket": "config-bucket", "Key": "a b/c.yml"}),
        ("cloudformation", "describe_stacks", {"StackName": "stack"}),
    ):
        theirs = _botocore_url(session.create_client(service), call, **params)
        http = ScriptedHttp()
        clients = light(http, env=env)
        with suppress(Exception):  # only the request matters here
            getattr(clients.s3 if service == "s3" else clients.cloudformation, call)(**params)
        assert ScriptedHttp.full_url(http.requests[0]) == theirs, service


@pytest.mark.parametrize(
    "bucket",
    [
        "Config-Bucket",
        "config.bucket",
        "my-bucket--x-s3",
        "ab",
        "arn:aws:s3:eu-west-1:1:accesspoint/ap",
        "x" * 64,
    ],
)
def test_a_bucket_name_that_is_not_plain_is_botocores_to_address(bucket: str) -> None:
    assert s3_location(bucket, "k", _settings("eu-west-1", {})) is None
