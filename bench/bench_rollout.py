"""What ``rollout push --wait`` costs beyond the pipeline itself (goal: at most 300 ms more).

On the local cloud with a zero-time strategy, in the same run and interleaved:

* the command: from starting ``python -m rollout push FILE --wait`` (its own process: start-up,
  imports, the validator's checks, the upload, polling the version's record) to its exit with
  the answer ``deployed``;
* the pipeline's own latency: from a boto3 PUT to a consumer serving the new version through
  the extension (its poll interval excluded, as in ``bench_pipeline``).

* the status itself: from a boto3 PUT to the version's record saying ``deployed`` (the deploy
  function's ``deploying``, AppConfig's completion event, the status function's ``deployed``),
  read in this process as fast as it can poll.

Command minus pipeline is what a person or a CI job waiting on an upload pays beyond the
configuration being served; command minus status is the command's own share (start-up,
imports, the validator's checks, the upload, its polling).

And what the light path (``rollout.light``) saves: ``rollout push`` without ``--wait`` (start-up,
the validator's checks, the upload) to a bucket outside the pipeline, in fresh processes,
interleaved with the same command made to take botocore (``AWS_SDK_UA_APP_ID`` set, one of the
settings the light path leaves to botocore).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rollout_status.store import StatusStore

from bench.bench_pipeline import POLL_SECONDS, URL_EVENT, ZERO_TIME, _complete, _served
from bench.harness import Figure, Paired, median
from localcloud.pipeline import ROOT, LocalPipeline

ROUNDS = 5
DOCUMENT = (ROOT / "demo" / "1-launch.yml").read_text()


def run() -> list[Figure]:
    command, pipeline, status = [], [], []
    with (
        LocalPipeline(time_scale=600, parameters=ZERO_TIME) as cloud,
        tempfile.TemporaryDirectory() as folder,
    ):
        api = cloud.consumer("FlagsApiFunction", AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS="1")
        store = StatusStore(cloud.client("s3"), None, bucket=cloud.bucket, key=cloud.key)
        for n in range(ROUNDS * 3):
            marker = f"release_{n}"
            document = f"{DOCUMENT}\n{marker}:\n  default: true\n"
            if n % 3 == 2:
                started = time.monotonic()
                version = cloud.upload(document.encode())
                while (_status(store, version)) != "deployed":
                    time.sleep(0.005)
                status.append((time.monotonic() - started) * 1000)
            elif n % 3 == 0:
                path = Path(folder) / f"round-{n}.yml"
                path.write_text(document)
                started = time.monotonic()
                push = ["push", str(path), "--wait"]
                result = subprocess.run(
                    [sys.executable, "-m", "rollout", "--stack", cloud.stack_name, *push],
                    capture_output=True, text=True, check=False, cwd=ROOT,
                )  # fmt: skip
                command.append((time.monotonic() - started) * 1000)
                if result.returncode != 0:
                    raise RuntimeError(f"rollout push --wait answered {result.returncode}: {result.stdout}")
            else:
                time.sleep(POLL_SECONDS + 0.1)  # the consumer's copy is now due for refresh
                started = time.monotonic()
                version = cloud.upload(document.encode())
                while not _complete(cloud, version):
                    time.sleep(0.005)
                while marker not in _served(api):
                    time.sleep(0.005)
                pipeline.append((time.monotonic() - started) * 1000)
            cloud.settle()
        light, botocore = _light_and_botocore(cloud, Path(folder))
    ours, theirs, known = median(command), median(pipeline), median(status)
    return [
        Figure(
            "rollout push --wait, start to exit (median of 5)",
            ours,
            "ms",
            "pipeline: upload -> consumer serves it (same run)",
            theirs,
            goal="<= pipeline + 300 ms",
        ),
        Figure(
            "rollout push --wait: what it adds beyond the configuration being served",
            ours - theirs,
            "ms",
            "the goal's budget",
            300.0,
            goal="<= 300 ms",
        ),
        Figure(
            "rollout push --wait, start to exit (median of 5)",
            ours,
            "ms",
            "upload -> its record says deployed, polled in-process (same run)",
            known,
            goal="the command's own share: the difference",
        ),
        Figure(
            "rollout push (validate + upload, no wait), fresh process, light path (median of 7)",
            median(light),
            "ms",
            "the same command through botocore",
            median(botocore),
            goal="the light path's saving",
            paired=Paired.of(light, botocore),
        ),
    ]


def _light_and_botocore(cloud: LocalPipeline, folder: Path) -> tuple[list[float], list[float]]:
    """``push`` to a bucket no deployment watches, light path and botocore interleaved."""
    bucket = "bench-side-bucket"
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    path = folder / "side.yml"
    path.write_text(DOCUMENT)
    light: list[float] = []
    botocore: list[float] = []
    for _ in range(7):
        for samples, extra in ((light, {}), (botocore, {"AWS_SDK_UA_APP_ID": "bench"})):
            started = time.monotonic()
            result = subprocess.run(
                [sys.executable, "-m", "rollout", "--bucket", bucket, "--key", "side.yml", "push", str(path)],
                capture_output=True, text=True, check=False, cwd=ROOT, env={**os.environ, **extra},
            )  # fmt: skip
            samples.append((time.monotonic() - started) * 1000)
            if result.returncode != 0:
                raise RuntimeError(f"rollout push answered {result.returncode}: {result.stderr}")
    return light, botocore


def _status(store: StatusStore, version: str) -> str | None:
    record, _ = store.read(version)
    return record.status.value if record and record.status else None


__all__ = ["URL_EVENT", "run"]
