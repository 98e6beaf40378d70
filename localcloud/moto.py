"""moto's server, the local cloud's stand-in for every AWS service moto implements."""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import urllib.request
from functools import cache
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


def fake_aws_environment() -> dict[str, str]:
    """Credentials moto accepts and no real account does; config files pointed nowhere."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class MotoServer:
    """``ThreadedMotoServer`` bound to 127.0.0.1 only, on a free port unless one is given."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1") -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"moto's server binds loopback addresses only, not {host}")
        self.host = host
        self.port = port or free_port(host)
        self._server = ThreadedMotoServer(ip_address=host, port=self.port, verbose=False)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> MotoServer:
        # werkzeug logs every request to stderr; tests and demos want their own output.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # Every request is authorised as IAM would (localcloud.iam); the harness's key is the admin.
        from localcloud.iam.accounts import Accounts
        from localcloud.iam.moto_hooks import MotoEnforcement

        MotoEnforcement.enforce(Accounts(ACCOUNT_ID, REGION))
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @staticmethod
    def reset(endpoint: str) -> None:
        """Forget every resource (moto's own reset API)."""
        if not endpoint.startswith("http://"):
            raise ValueError(f"not a local moto endpoint: {endpoint}")
        request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310 - checked above
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - checked above
            response.read()


@cache
def _aws_managed_policy_data() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data: dict[str, Any] = json.loads(aws_managed_policies_data)
    return data


def aws_managed_policy_arns() -> dict[str, str]:
    """Name -> ARN of every AWS managed policy in moto's copy of AWS's list."""
    return {
        name: f"arn:aws:iam::aws:policy{item.get('Path', '/')}{name}"
        for name, item in _aws_managed_policy_data().items()
    }


def ensure_aws_managed_policy(arn: str, account_id: str = ACCOUNT_ID) -> None:
    """Make an AWS managed policy attachable in moto's IAM (this process's moto), with its real document.

    moto holds AWS's managed policies only when told to load all 1,500 of them for every account
    it meets (``MOTO_IAM_LOAD_MANAGED_POLICIES``), which costs a second per account; this adds
    the one a role attaches, from moto's own copy of AWS's documents."""
    from moto.iam.models import AWSManagedPolicy, iam_backends

    name = arn.rsplit("/", 1)[-1]
    data = _aws_managed_policy_data().get(name)
    if data is None or aws_managed_policy_arns()[name] != arn:
        raise KeyError(f"{arn} is not an AWS managed policy moto knows")
    backend = iam_backends[account_id]["global"]
    if arn not in backend.managed_policies:
        backend.managed_policies[arn] = AWSManagedPolicy.from_data(name, account_id, "us-east-1", data)
