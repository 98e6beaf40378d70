"""Pipeline latency on the local cloud with a zero-time strategy: from the S3 PUT to a consumer
serving the new version, minus the consumer's poll interval (goal: at most 1 s).

"Minus the poll interval" is measured, not subtracted: before each upload the consumer sits idle
for longer than its poll interval, so its cached copy is due for refresh and the first request
after the deployment completes fetches the new version. What is left is the pipeline itself:
S3 notification, deploy function, validator, deployment, extension fetch and the consumer.

Beside it, the deploy path alone: from the same kind of PUT to a boto3 AppConfigData session
(polling as fast as the service allows) receiving the new version, with no extension and no
consumer in between.
"""

from __future__ import annotations

import json
import time

from bench.harness import Figure, median, spread
from localcloud.pipeline import ROOT, LocalPipeline

ROUNDS = 5
POLL_SECONDS = 1.0  # the extension's smallest poll interval setting
ZERO_TIME = {"CustomStrategyDurationMinutes": "0", "CustomStrategyBakeMinutes": "0"}
URL_EVENT = json.loads((ROOT / "events" / "flags-api-get.json").read_text())


def run() -> list[Figure]:
    with LocalPipeline(time_scale=600, parameters=ZERO_TIME) as cloud:
        api = cloud.consumer("FlagsApiFunction", AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS="1")
        data = cloud.client("appconfigdata")
        token = cloud.configuration_session()
        ours, direct = [], []
        for n in range(ROUNDS * 2):
            marker = f"v{n}"
            if n % 2 == 0:
                time.sleep(POLL_SECONDS + 0.1)  # the consumer's copy is now due for refresh
                started = time.monotonic()
                version = cloud.upload(_document(marker))
                # A request before the deployment completes would refresh early and then wait a
                # whole poll interval: the consumer is asked once the new version is out.
                while not _complete(cloud, version):
                    time.sleep(0.005)
                while marker not in _served(api):
                    time.sleep(0.005)
                ours.append((time.monotonic() - started) * 1000)
            else:
                started = time.monotonic()
                cloud.upload(_document(marker))
                while True:
                    response = data.get_latest_configuration(ConfigurationToken=token)
                    token = response["NextPollConfigurationToken"]
                    if marker.encode() in response["Configuration"].read():
                        break
                    time.sleep(0.005)
                direct.append((time.monotonic() - started) * 1000)
            cloud.settle()
    return [
        Figure(
            f"pipeline: upload -> consumer serves it, poll interval excluded ({spread(ours)})",
            median(ours),
            "ms",
            f"upload -> boto3 AppConfigData session sees it ({spread(direct)})",
            median(direct),
            goal="<= 1000 ms",
        )
    ]


def _document(marker: str) -> bytes:
    return json.dumps({"banner": {"default": True}, f"release_{marker}": {"default": True}}).encode()


def _complete(cloud: LocalPipeline, version: str) -> bool:
    newest = cloud.client("appconfig").list_deployments(**cloud.ids(), MaxResults=1)["Items"]
    return bool(newest) and newest[0]["ConfigurationVersion"] == version and newest[0]["State"] == "COMPLETE"


def _served(api: object) -> str:
    result = api.invoke(URL_EVENT)  # type: ignore[attr-defined]
    return "" if result.failed else str(result.payload.get("body", ""))
