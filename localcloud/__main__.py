"""``python -m localcloud`` (``make local-up``): moto's server and the local AppConfig service,
on 127.0.0.1, until Ctrl-C. It prints the ``export`` lines that point any AWS SDK or CLI at them:

    make local-up TIME_SCALE=60                         # strategies 60 times faster
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from pathlib import Path

from localcloud.appconfig import LocalAppConfig
from localcloud.lambdas import TemplateFunctions
from localcloud.moto import MotoServer, fake_aws_environment
from localcloud.testing import endpoint_environment

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__.splitlines()[0])
    parser.add_argument("--moto-port", type=int, default=5000, help="moto's port (0: any free one)")
    parser.add_argument("--appconfig-port", type=int, default=4780, help="AppConfig's port (0: any free one)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=float(os.environ.get("TIME_SCALE", "1")),
        help="how much faster than real time deployments, bakes and tokens age",
    )
    parser.add_argument(
        "--template",
        type=Path,
        default=ROOT / "template.yaml",
        help="the template whose functions LAMBDA validators name",
    )
    args = parser.parse_args(argv)

    for name, value in fake_aws_environment().items():
        os.environ.setdefault(name, value)
    moto = MotoServer(port=args.moto_port or None).start()
    functions = TemplateFunctions(args.template)
    appconfig = LocalAppConfig(
        s3_endpoint=moto.endpoint,
        cloudwatch_endpoint=moto.endpoint,
        time_scale=args.time_scale,
        functions=functions,
        port=args.appconfig_port,
    ).start()
    env = {**fake_aws_environment(), **endpoint_environment(moto=moto.endpoint, appconfig=appconfig.endpoint)}
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        env.pop(name)  # leave the user's CLI configuration alone; the endpoints and keys decide
    print("# the local cloud is up: paste these into another shell", flush=True)
    for name, value in env.items():
        print(f"export {name}={value}")
    print(
        f"# moto {moto.endpoint}  AppConfig + AppConfigData {appconfig.endpoint}  "
        f"time scale {args.time_scale:g}  (Ctrl-C stops)",
        flush=True,
    )

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    appconfig.stop()
    moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
