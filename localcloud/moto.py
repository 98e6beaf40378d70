"""moto's server, the local cloud's stand-in for every AWS service moto implements."""

from __future__ import annotations

import ipaddress
import logging
import socket
import urllib.request

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
