"""Where AppConfigData and STS are (and CloudFormation, for the ``rollout`` command): the
standard endpoint variables, else the Region's endpoint.

The same rules as the AWS SDKs (botocore 1.44's endpoint rule sets for ``appconfigdata``,
``sts`` and ``cloudformation``, regional STS, no FIPS or dual-stack unless asked for):
``AWS_ENDPOINT_URL_<SERVICE>``, then ``AWS_ENDPOINT_URL`` (both ignored with
``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true``; "Service-specific endpoints",
https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), then
``https://<service>[-fips].<region>.<partition's DNS suffix>``. A differential test resolves
every Region botocore knows, with and without FIPS and dual-stack, through both.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

# botocore's partitions.json: (id, Region pattern, DNS suffix, dual-stack DNS suffix, Regions
# named outright). A Region listed outright wins; else the first pattern that matches; else aws.
PARTITIONS = (
    ("aws", r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$", "amazonaws.com", "api.aws", ("aws-global",)),
    ("aws-cn", r"^cn\-\w+\-\d+$", "amazonaws.com.cn", "api.amazonwebservices.com.cn", ("aws-cn-global",)),
    ("aws-eusc", r"^eusc\-(de)\-\w+\-\d+$", "amazonaws.eu", "api.amazonwebservices.eu", ()),
    ("aws-iso", r"^us\-iso\-\w+\-\d+$", "c2s.ic.gov", "api.aws.ic.gov", ("aws-iso-global",)),
    ("aws-iso-b", r"^us\-isob\-\w+\-\d+$", "sc2s.sgov.gov", "api.aws.scloud", ("aws-iso-b-global",)),
    ("aws-iso-e", r"^eu\-isoe\-\w+\-\d+$", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk", ("aws-iso-e-global",)),
    ("aws-iso-f", r"^us\-isof\-\w+\-\d+$", "csp.hci.ic.gov", "api.aws.hci.ic.gov", ("aws-iso-f-global",)),
    ("aws-us-gov", r"^us\-gov\-\w+\-\d+$", "amazonaws.com", "api.aws", ("aws-us-gov-global",)),
)
# Variable names: what botocore reads for each service (its "service id" upper-cased).
SERVICE_VARIABLES = {"appconfigdata": "APPCONFIGDATA", "sts": "STS", "cloudformation": "CLOUDFORMATION"}


class EndpointError(ValueError):
    """No endpoint can be made for these settings (e.g. an unusable Region name)."""


def partition(region: str) -> tuple[str, str, str]:
    """(partition id, DNS suffix, dual-stack DNS suffix) of a Region."""
    for pid, _, suffix, dual, named in PARTITIONS:
        if region in named:
            return pid, suffix, dual
    for pid, pattern, suffix, dual, _ in PARTITIONS:
        if re.match(pattern, region):
            return pid, suffix, dual
    return PARTITIONS[0][0], PARTITIONS[0][2], PARTITIONS[0][3]


def configured_endpoint(variable: str, env: Mapping[str, str]) -> str | None:
    """``AWS_ENDPOINT_URL_<variable>``, else ``AWS_ENDPOINT_URL`` (an empty value counts as unset);
    None when neither is set or ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` is true."""
    if env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    return env.get(f"AWS_ENDPOINT_URL_{variable}") or env.get("AWS_ENDPOINT_URL") or None


def endpoint_url(service: str, region: str, env: Mapping[str, str]) -> str:
    """The base URL for ``service`` (``appconfigdata``, ``sts`` or ``cloudformation``) in ``region``."""
    configured = configured_endpoint(SERVICE_VARIABLES[service], env)
    if configured:
        return configured
    if not re.fullmatch(r"[a-zA-Z0-9-]+", region or ""):
        raise EndpointError(f"cannot make an endpoint for the Region {region!r}")
    pid, suffix, dual_suffix = partition(region)
    fips = env.get("AWS_USE_FIPS_ENDPOINT", "").lower() == "true"
    dual = env.get("AWS_USE_DUALSTACK_ENDPOINT", "").lower() == "true"
    if fips and dual:
        return f"https://{service}-fips.{region}.{dual_suffix}"
    if fips:
        if pid == "aws-us-gov":  # GovCloud's regular endpoints are its FIPS endpoints
            return f"https://{service}.{region}.amazonaws.com"
        return f"https://{service}-fips.{region}.{suffix}"
    if dual:
        return f"https://{service}.{region}.{dual_suffix}"
    return f"https://{service}.{region}.{suffix}"
