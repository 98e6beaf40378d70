"""``python -m localcloud`` (``make local-up``): the whole pipeline on 127.0.0.1 until Ctrl-C.

moto's server and the local AppConfig service, the stack from template.yaml, its functions run
as Lambda runs them, and S3's events delivered through EventBridge to the deploy function:
upload with any S3 client and the pipeline runs. It prints the ``export`` lines that point an
AWS SDK or CLI at it, and writes ``.localcloud/sam-env.json`` for ``sam local invoke``.

    make local-up TIME_SCALE=60     # strategies 60 times faster
    make local-up HOLD=1            # keep the deploy function's events in .localcloud/events/
    make local-status               # (another shell) the deployments and what a consumer returns
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from localcloud import sam_local
from localcloud.cfn.language_extensions import expand
from localcloud.consumers import ConsumerEnvironment
from localcloud.lambda_runtime.functions import TemplateFunctions
from localcloud.moto import fake_aws_environment
from localcloud.pipeline import LAYER, ROOT, LocalPipeline
from localcloud.template import Resolver, load

STATE = ROOT / ".localcloud" / "state.json"
SAM_ENV = ROOT / ".localcloud" / "sam-env.json"
HELD = ROOT / ".localcloud" / "events"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="up", choices=("up", "status"))
    parser.add_argument("--moto-port", type=int, default=5000, help="moto's port (0: any free one)")
    parser.add_argument("--appconfig-port", type=int, default=4780, help="AppConfig's port (0: any free one)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=float(os.environ.get("TIME_SCALE", "60")),
        help="how much faster than real time deployments, bakes and tokens age",
    )
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument(
        "--hold",
        action="store_true",
        help=f"deliver nothing to the deploy function; write its events to {HELD.relative_to(ROOT)}/ instead",
    )
    args = parser.parse_args(argv)
    return up(args) if args.command == "up" else status(args.template)


def up(args: argparse.Namespace) -> int:
    cloud = LocalPipeline(
        template=args.template,
        time_scale=args.time_scale,
        moto_port=args.moto_port or None,
        appconfig_port=args.appconfig_port,
    ).start()
    if args.hold:
        cloud.deliveries.on_hold = sam_local.HeldEvents(HELD)
        cloud.deliveries.holding = True
    sam_local.write(cloud, SAM_ENV)
    env = {**fake_aws_environment(), **cloud.endpoints, "AWS_ENDPOINT_URL_S3": cloud.moto.endpoint}
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        env.pop(name)  # leave the user's CLI configuration alone; the endpoints and keys decide
    STATE.parent.mkdir(exist_ok=True)
    STATE.write_text(
        json.dumps(
            {
                "env": env,
                "ids": cloud.ids(),
                "bucket": cloud.bucket,
                "key": cloud.key,
                "flags_api": cloud.consumer_id("FlagsApiFunction"),
                # With each function's execution-role session, so `status` calls as the function does.
                "functions": {
                    name: {**variables, **cloud.stack.function_credentials[name]}
                    for name, variables in cloud.stack.function_environment.items()
                },
            },
            indent=2,
        )
    )
    print("# the local cloud is up: paste these into another shell", flush=True)
    for name, value in env.items():
        print(f"export {name}={value}")
    rollout = f".venv/bin/rollout --stack {cloud.stack_name}"
    print(f"# push and wait for the answer: {rollout} push feature-file.yml --wait")
    print(f"#   (or --bucket {cloud.bucket} --key {cloud.key}); every version: {rollout} status")
    print(f"# or upload with any S3 client: aws s3 cp feature-file.yml s3://{cloud.bucket}/{cloud.key}")
    print("# then:   make local-status")
    print(f"# sam local invoke DeployFunction --env-vars {SAM_ENV.relative_to(ROOT)} -e EVENT_FILE", end="")
    print(f"   (events held in {HELD.relative_to(ROOT)}/)" if args.hold else "")
    print(
        f"# moto {cloud.moto.endpoint}  AppConfig + AppConfigData {cloud.appconfig.endpoint}  "
        f"time scale {args.time_scale:g}  (Ctrl-C stops)",
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    cloud.stop()
    STATE.unlink(missing_ok=True)
    return 0


def status(template: Path) -> int:
    """The running local cloud's deployments, and the flags API's answer through the extension."""
    if not STATE.exists():
        print("the local cloud is not running: start it with `make local-up`", file=sys.stderr)
        return 2
    state: dict[str, Any] = json.loads(STATE.read_text())
    os.environ.update(state["env"])
    import boto3

    appconfig = boto3.client("appconfig", region_name="us-east-1")
    deployments = appconfig.list_deployments(**state["ids"])["Items"]
    print(f"deployments of s3://{state['bucket']}/{state['key']} (newest first):")
    for d in deployments:
        print(f"  #{d['DeploymentNumber']} {d['State']:<12} version {d['ConfigurationVersion']}")
    if not deployments:
        print("  none yet")
    functions = TemplateFunctions(template)
    flags_api = state["flags_api"]
    environment = {
        **state["functions"][flags_api],
        "AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS": "1",
    }
    resolver = Resolver(expand(load(template), {}, region="us-east-1"))
    consumer = ConsumerEnvironment(
        functions, flags_api, layer=LAYER, environment=environment, resolver=resolver
    ).start()
    try:
        event = json.loads((ROOT / "events" / "flags-api-get.json").read_text())
        for caller in (
            {"tier": "premium", "region": "eu-west-1"},
            {"tier": "standard", "region": "us-east-1"},
        ):
            result = consumer.invoke({**event, "queryStringParameters": caller})
            answer = result.error if result.failed else json.loads(result.payload["body"])
            print(f"flags API for {caller}: {json.dumps(answer, sort_keys=True)}")
    finally:
        consumer.stop()
        functions.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
