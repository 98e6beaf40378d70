"""Endpoint resolution against botocore's rule sets, for every Region botocore knows (and names
that only match a partition's pattern), with and without FIPS and dual-stack."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import botocore
import pytest
from appconfig_cache_extension.endpoints import endpoint_url
from botocore.endpoint_provider import EndpointProvider
from botocore.loaders import create_loader

pytestmark = pytest.mark.unit

PARTITIONS = json.loads((Path(botocore.__file__).parent / "data" / "partitions.json").read_text())
REGIONS = sorted(
    {r for p in PARTITIONS["partitions"] for r in p["regions"] if not r.endswith("-global")}
    | {
        "us-west-9",
        "eu-nowhere-3",
        "cn-far-2",
        "us-gov-inner-4",
        "us-isob-deep-7",
        "eusc-de-north-2",
        "zz-top-1",
    }
)


@functools.cache
def provider(service: str) -> EndpointProvider:
    loader = create_loader()
    ruleset = loader.load_service_model(service, "endpoint-rule-set-1")
    return EndpointProvider(ruleset_data=ruleset, partition_data=loader.load_data("partitions"))


def botocore_url(service: str, region: str, *, fips: bool, dual: bool) -> str:
    params = {"Region": region, "UseFIPS": fips, "UseDualStack": dual}
    if service == "sts":
        params["UseGlobalEndpoint"] = False  # botocore's default since STS went regional
    return str(provider(service).resolve_endpoint(**params).url)


@pytest.mark.parametrize("service", ["appconfigdata", "sts", "cloudformation"])
@pytest.mark.parametrize(("fips", "dual"), [(False, False), (True, False), (False, True), (True, True)])
def test_every_region_resolves_as_botocore_resolves_it(service: str, fips: bool, dual: bool) -> None:
    env = {"AWS_USE_FIPS_ENDPOINT": str(fips).lower(), "AWS_USE_DUALSTACK_ENDPOINT": str(dual).lower()}
    mismatches = {
        region: (endpoint_url(service, region, env), botocore_url(service, region, fips=fips, dual=dual))
        for region in REGIONS
    }
    assert {r: pair for r, pair in mismatches.items() if pair[0] != pair[1]} == {}


def test_configured_endpoints_win_unless_ignored() -> None:
    env = {"AWS_ENDPOINT_URL": "http://all:1", "AWS_ENDPOINT_URL_APPCONFIGDATA": "http://data:2"}
    assert endpoint_url("appconfigdata", "eu-west-1", env) == "http://data:2"
    assert endpoint_url("sts", "eu-west-1", env) == "http://all:1"
    ignored = {**env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}
    assert endpoint_url("sts", "eu-west-1", ignored) == "https://sts.eu-west-1.amazonaws.com"
