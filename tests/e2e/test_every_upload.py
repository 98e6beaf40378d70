"""Every way of creating a new version of the key deploys it: PUT, POST, a copy (restoring an
older version, as S3 documents it) and a multipart upload. Through the whole pipeline: S3's
"Object Created" event, EventBridge's rule on the exact key, the deploy queue, the deploy
function, AppConfig."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from localcloud import s3_writes
from localcloud.pipeline import LocalPipeline

if TYPE_CHECKING:
    from collections.abc import Iterator

ZERO_TIME = {"CustomStrategyDurationMinutes": "0", "CustomStrategyBakeMinutes": "0"}


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalPipeline]:
    with LocalPipeline(time_scale=600, parameters=ZERO_TIME) as pipeline:
        yield pipeline


def _document(n: int) -> bytes:
    return f'{{"banner": {{"default": {str(n % 2 == 0).lower()}}}, "n": {{"default": true}}}}\n'.encode()


def _outcomes(cloud: LocalPipeline, version: str) -> list[str]:
    return [result["outcome"] for result in cloud.deploy_results() if result.get("versionId") == version]


def _served(cloud: LocalPipeline) -> bytes:
    token = cloud.configuration_session()
    answer = cloud.client("appconfigdata").get_latest_configuration(ConfigurationToken=token)
    body: bytes = answer["Configuration"].read()
    return body


@pytest.mark.parametrize("how", ["put", "post", "multipart", "copy"])
def test_each_way_of_creating_a_version_deploys_it(cloud: LocalPipeline, how: str) -> None:
    s3 = cloud.client("s3")
    first = s3_writes.put(s3, cloud.bucket, cloud.key, _document(1))
    cloud.settle()
    body = _document(2)  # one part: AppConfig takes S3 configurations of up to 1 MB
    if how == "copy":
        version = s3_writes.copy(s3, cloud.bucket, cloud.key, first)
        body = _document(1)
    else:
        write = {"put": s3_writes.put, "post": s3_writes.post, "multipart": s3_writes.multipart}[how]
        version = write(s3, cloud.bucket, cloud.key, body)
    cloud.settle()
    assert _outcomes(cloud, version) == ["deployed"]
    newest = cloud.deployments()[0]
    assert (newest["ConfigurationVersion"], newest["State"]) == (version, "COMPLETE")
    assert _served(cloud) == body


def test_another_key_and_a_tagging_request_deploy_nothing(cloud: LocalPipeline) -> None:
    s3 = cloud.client("s3")
    version = s3_writes.put(s3, cloud.bucket, cloud.key, _document(3))
    cloud.settle()
    before = len(cloud.deploy_invocations())
    s3_writes.put(s3, cloud.bucket, "my-" + cloud.key, _document(4))
    s3.put_object_tagging(
        Bucket=cloud.bucket,
        Key=cloud.key,
        VersionId=version,
        Tagging={"TagSet": [{"Key": "k", "Value": "v"}]},
    )
    cloud.settle()
    # The rule matches neither: no invocation at all, rather than an "ignored" one.
    assert len(cloud.deploy_invocations()) == before
    assert cloud.deployments()[0]["ConfigurationVersion"] == version
