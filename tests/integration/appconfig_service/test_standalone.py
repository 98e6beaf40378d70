"""``python -m localcloud`` (``make local-up``): the local cloud for people, in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def test_standalone_prints_the_exports_that_reach_it() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "localcloud",
            "--moto-port",
            "0",
            "--appconfig-port",
            "0",
            "--time-scale",
            "60",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
    )
    try:
        assert process.stdout is not None
        exports: dict[str, str] = {}
        for line in process.stdout:
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                exports[name] = value
            if line.startswith("# moto"):
                break
        appconfig_url = exports["AWS_ENDPOINT_URL_APPCONFIG"]
        assert appconfig_url.startswith("http://127.0.0.1:")
        assert exports["AWS_ENDPOINT_URL_APPCONFIGDATA"] == appconfig_url
        session = boto3.Session(
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        )
        strategies = session.client("appconfig", endpoint_url=appconfig_url).list_deployment_strategies()
        assert "AppConfig.AllAtOnce" in {s["Id"] for s in strategies["Items"]}
        session.client("s3", endpoint_url=exports["AWS_ENDPOINT_URL_S3"]).create_bucket(Bucket="works")
    finally:
        process.terminate()
        # A hang guard only: under coverage on a busy machine, stopping every thread and
        # subprocess and writing the coverage data has taken more than 20 s.
        assert process.wait(timeout=120) == 0
