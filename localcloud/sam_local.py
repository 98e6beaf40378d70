"""What ``sam local invoke`` needs to run the deploy function against ``make local-up``.

``sam local invoke --env-vars FILE`` sets only variables the template declares on the function
(SAM CLI's ``samcli/local/lambdafn/env_vars.py``), so template.yaml declares the endpoint
variables on DeployFunction (absent in AWS: ``!Ref AWS::NoValue``). ``make local-up`` writes the
file with the values its stack has (bucket, key, AppConfig IDs) and the endpoints as a
container reaches them: Docker Desktop's ``host.docker.internal``, or, on Linux,
``--docker-network host --add-host host.docker.internal:127.0.0.1``.

With ``make local-up HOLD=1`` the local cloud keeps what EventBridge would put on the deploy
queue and writes each event to a file instead, for ``sam local invoke -e FILE``: the event S3
sent for that upload, so the function sees the real bucket, key and version (the function
decides an event given to it directly at once, into the first stage).
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from pathlib import Path

    from localcloud.delivery import Delivery
    from localcloud.pipeline import LocalPipeline

DOCKER_HOST = "host.docker.internal"
FUNCTION = "DeployFunction"


def env_vars(cloud: LocalPipeline, host: str = DOCKER_HOST) -> dict[str, dict[str, str]]:
    """The ``--env-vars`` document: the function's variables in this stack, endpoints via ``host``."""
    moto, appconfig = urlsplit(cloud.moto.endpoint), urlsplit(cloud.appconfig.endpoint)
    return {
        FUNCTION: {
            **cloud.stack.functions[FUNCTION].environment,
            "AWS_ENDPOINT_URL_S3": f"http://{host}:{moto.port}",
            "AWS_ENDPOINT_URL_APPCONFIG": f"http://{host}:{appconfig.port}",
            "AWS_ENDPOINT_URL_EVENTBRIDGE": f"http://{host}:{moto.port}",
        }
    }


class HeldEvents:
    """``LambdaDeliveries.on_hold``: each held event as ``NNN-Function.json`` and ``Function-latest.json``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._count = 0
        self._lock = threading.Lock()
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.json"):
            old.unlink()

    def __call__(self, delivery: Delivery) -> None:
        with self._lock:
            self._count += 1
            number = self._count
        text = json.dumps(delivery.event, indent=2) + "\n"
        # The deploy queue's message is S3's event, which the deploy function also takes as it is.
        function = FUNCTION if delivery.queue is not None else delivery.function
        (self.folder / f"{number:03d}-{function}.json").write_text(text)
        (self.folder / f"{function}-latest.json").write_text(text)


def write(cloud: LocalPipeline, path: Path) -> dict[str, Any]:
    document = env_vars(cloud)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
    return document
