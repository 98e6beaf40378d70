"""The validator's problems for one version, kept where the deploy function finds them.

AppConfig invokes the validator with the version (``configurationVersion``) and the profile's
``uri``; whether AppConfig passes the validator's message on in StartDeployment's
BadRequestException is not documented. So the validator writes what it found beside the
version's record before it refuses the version, and the deploy function, on the refusal,
copies it into the record and the ``rejected`` event. The message AppConfig passes on (as the
local cloud does) is the fallback: ``problems_from_message`` reads the validator's own lines.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from rollout_status.locations import report_key
from rollout_status.model import Problem

if TYPE_CHECKING:
    from collections.abc import Iterable

# The validator's summary lines: "18:18: $.flag.rules['x'].conditions[0].value: expected string ..."
_LINE = re.compile(r"(?m)^\s*(\d+):(\d+): (\$[^:]*): (.+)$")


def write_report(
    s3: Any, bucket: str, key: str, version_id: str, *, problems: Iterable[Problem], total: int
) -> None:
    body = {"versionId": version_id, "total": total, "problems": [p.as_dict() for p in problems]}
    s3.put_object(
        Bucket=bucket,
        Key=report_key(key, version_id),
        Body=json.dumps(body).encode(),
        ContentType="application/json",
    )


def read_report(s3: Any, bucket: str, key: str, version_id: str) -> tuple[Problem, ...] | None:
    """The validator's problems for the version, or None when it wrote none."""
    try:
        response = s3.get_object(Bucket=bucket, Key=report_key(key, version_id))
    except ClientError as error:
        # 404, or the 403 S3 gives a reader that may not list the bucket: either way there is no
        # report to read, and the refusal's own message is the fallback.
        if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (403, 404):
            return None
        raise
    body = json.loads(response["Body"].read())
    if body.get("versionId") != version_id:
        return None
    return tuple(Problem.from_dict(p) for p in body.get("problems", []))


def problems_from_message(message: str) -> tuple[Problem, ...]:
    """The validator's ``line:column: path: message`` lines, wherever a message carries them."""
    return tuple(
        Problem(path=m.group(3), line=int(m.group(1)), column=int(m.group(2)), message=m.group(4).strip())
        for m in _LINE.finditer(message)
    )
