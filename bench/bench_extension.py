"""The caching extension, built as ``sam build`` builds it and run in the local Lambda sandbox,
beside its baselines in one run:

* warm reads through the client (2 KB, 64 KB, 1 MB; p50/p99 over 5,000 sequential reads) beside
  an in-process dict read (the floor), a plain stdlib keep-alive HTTP server in its own process
  serving the same bytes, and a boto3 GetLatestConfiguration call to the local AppConfig service;
* an unchanged 1 MB YAML configuration read as a parsed document, beside ``yaml.safe_load`` each time;
* process start to registered and serving (median of 10 fresh starts), beside a naive extension
  that imports boto3 and makes its client before registering;
* resident memory before and after the first fetch, beside the naive extension's.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.harness import ROOT, Figure, median, percentile
from localcloud.testing import zero_time_strategy

if TYPE_CHECKING:
    from collections.abc import Callable

SIZES = {"2 KB": 2 * 1024, "64 KB": 64 * 1024, "1 MB": 1024 * 1024}
READS = 5000
BASELINE_BUDGET_S = 15.0  # a baseline stops early after this long (the stdlib server can stall 40 ms a read)
STARTS = 10
APP, ENV = "bench", "bench"


def run() -> list[Figure]:
    # The client is the layer's python/ folder, as /opt/python is on a function's path.
    client_path = str(ROOT / "layers" / "appconfig-cache" / "python")
    if client_path not in sys.path:
        sys.path.insert(0, client_path)
    saved = dict(os.environ)
    try:
        return _run()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _run() -> list[Figure]:
    with ExitStack() as stack:
        env = _fake_aws()
        service = stack.enter_context(_local_appconfig())
        endpoint = service.endpoint
        env["AWS_ENDPOINT_URL_APPCONFIGDATA"] = endpoint
        os.environ.update(env)
        documents = {label: _yaml_document(size) for label, size in SIZES.items()}
        _deploy(endpoint, documents)
        layer = _build_layer(stack.enter_context(tempfile.TemporaryDirectory()))
        figures = _reads(stack, layer, env, documents, endpoint)
        figures += _starts_and_memory(stack, layer, env)
    return figures


# ---------------------------------------------------------------------------------------- reads
def _reads(
    stack: ExitStack, layer: Path, env: dict[str, str], documents: dict[str, bytes], endpoint: str
) -> list[Figure]:
    from appconfig_cache import ConfigurationClient

    from localcloud.lambda_runtime.sandbox import LambdaSandbox

    port = _free_port()
    sandbox = stack.enter_context(
        LambdaSandbox(
            layer,
            env={
                **env,
                "AWS_APPCONFIG_EXTENSION_HTTP_PORT": str(port),
                "AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS": "1h",
            },
            freeze_between_invocations=False,
        )
    )
    sandbox.wait_ready()
    client = ConfigurationClient(port)
    stdlib = stack.enter_context(_StdlibServer(documents))
    figures: list[Figure] = []
    with sandbox.invocation(timeout_ms=600_000):
        for label in SIZES:
            client.get(APP, ENV, label)  # the first fetch fills the cache
            ours = _timed(lambda label=label: client.get(APP, ENV, label), READS)  # type: ignore[misc]
            # The same read, downloading the body each time: what the stdlib server's reads do.
            full = _timed(lambda label=label: client.get(APP, ENV, label, conditional=False), READS)  # type: ignore[misc]
            table = {label: documents[label]}
            floor = _timed(lambda table=table, label=label: table[label], READS)  # type: ignore[misc]
            plain = _timed(stdlib.reader(label), READS, BASELINE_BUDGET_S)
            boto = _timed(_boto3_reader(endpoint, label), READS, BASELINE_BUDGET_S)
            for pct in (50, 99):
                goal = "<= 150 us and ratio <= 1" if (label, pct) == ("2 KB", 50) else ""
                figures.append(
                    Figure(
                        f"extension warm read {label} p{pct} ({len(ours)} reads, 304 when unchanged)",
                        percentile(ours, pct),
                        "us",
                        f"plain stdlib keep-alive server p{pct} ({len(plain)} reads)",
                        percentile(plain, pct),
                        goal=goal,
                    )
                )
                figures.append(
                    Figure(
                        f"extension full-body read {label} p{pct} ({len(full)} reads)",
                        percentile(full, pct),
                        "us",
                        f"plain stdlib keep-alive server p{pct} ({len(plain)} reads)",
                        percentile(plain, pct),
                    )
                )
            figures.append(
                Figure(
                    f"extension warm read {label} p50",
                    percentile(ours, 50),
                    "us",
                    "in-process dict read p50 (the floor)",
                    percentile(floor, 50),
                )
            )
            figures.append(
                Figure(
                    f"extension warm read {label} p50",
                    percentile(ours, 50),
                    "us",
                    f"boto3 GetLatestConfiguration p50 ({len(boto)} calls)",
                    percentile(boto, 50),
                    goal="ratio <= 0.2" if label == "2 KB" else "",
                )
            )
        figures.append(_parsed_read(client, documents["1 MB"]))
    return figures


def _parsed_read(client: Any, document: bytes) -> Figure:
    import yaml

    parsed = _timed(lambda: client.get(APP, ENV, "1 MB").document, 2000)
    each_time = _timed(lambda: yaml.safe_load(document), 5)
    return Figure(
        "unchanged 1 MB YAML read as a document p50",
        percentile(parsed, 50) / 1000,
        "ms",
        "yaml.safe_load of it each time p50 (5 runs)",
        percentile(each_time, 50) / 1000,
        goal="<= 0.5 ms and ratio <= 0.002",
    )


def _timed(call: Callable[[], object], count: int, budget_s: float | None = None) -> list[float]:
    """Microseconds per call, sequentially; stops early after ``budget_s`` (at least 50 calls)."""
    samples: list[float] = []
    stop = time.perf_counter() + budget_s if budget_s else float("inf")
    for _ in range(count):
        started = time.perf_counter()
        call()
        ended = time.perf_counter()
        samples.append((ended - started) * 1e6)
        if ended > stop and len(samples) >= 50:
            break
    return samples


def _boto3_reader(endpoint: str, label: str) -> Callable[[], object]:
    import boto3

    data = boto3.client("appconfigdata", endpoint_url=endpoint, region_name="us-east-1")
    token = [
        data.start_configuration_session(
            ApplicationIdentifier=APP, EnvironmentIdentifier=ENV, ConfigurationProfileIdentifier=label
        )["InitialConfigurationToken"]
    ]

    def read() -> object:
        response = data.get_latest_configuration(ConfigurationToken=token[0])
        token[0] = response["NextPollConfigurationToken"]
        return response["Configuration"].read()

    return read


class _StdlibServer:
    """``http.server`` (HTTP/1.1 keep-alive) in its own process, read with ``http.client``."""

    SCRIPT = textwrap.dedent(
        """
        import sys
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from pathlib import Path
        folder = Path(sys.argv[1])
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass
            def do_GET(self):
                body = (folder / self.path.rsplit("/", 1)[-1]).read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-yaml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """
    )

    def __init__(self, documents: dict[str, bytes]) -> None:
        self._folder = tempfile.TemporaryDirectory()
        for index, body in enumerate(documents.values()):
            (Path(self._folder.name) / str(index)).write_bytes(body)
        self._names = {label: str(i) for i, label in enumerate(documents)}
        self._process = subprocess.Popen(
            [sys.executable, "-c", self.SCRIPT, self._folder.name], stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        self.port = int(self._process.stdout.readline())

    def __enter__(self) -> _StdlibServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.kill()
        self._process.wait()
        self._folder.cleanup()

    def reader(self, label: str) -> Callable[[], object]:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.port)
        path = f"/{self._names[label]}"

        def read() -> object:
            connection.request("GET", path)
            return connection.getresponse().read()

        return read


# ------------------------------------------------------------------------------ start and memory
NAIVE = textwrap.dedent(
    """\
    #!/usr/bin/env python3
    # The naive extension: the SDK and its client first, then register and serve.
    import json, os, sys, threading, urllib.request
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import boto3
    client = boto3.client("appconfigdata")
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *args): pass
        def do_GET(self):
            self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
            self.wfile.write(b"ok")
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["AWS_APPCONFIG_EXTENSION_HTTP_PORT"])), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2020-01-01/extension"
    body = json.dumps({"events": ["INVOKE", "SHUTDOWN"]}).encode()
    name = {"Lambda-Extension-Name": os.path.basename(sys.argv[0])}
    request = urllib.request.Request(api + "/register", data=body, headers=name)
    identifier = urllib.request.urlopen(request).headers["Lambda-Extension-Identifier"]
    while True:
        event = json.load(urllib.request.urlopen(urllib.request.Request(
            api + "/event/next", headers={"Lambda-Extension-Identifier": identifier})))
        if event["eventType"] == "SHUTDOWN":
            break
    """
)


def _starts_and_memory(stack: ExitStack, layer: Path, env: dict[str, str]) -> list[Figure]:
    naive = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    (naive / "extensions").mkdir()
    launcher = naive / "extensions" / "naive-appconfig"
    launcher.write_text(NAIVE)
    launcher.chmod(0o755)
    _start(layer, env)  # warm the file cache, as a deployed environment's disk already is
    _start(naive, env)
    ours, theirs = [], []
    ours_rss = theirs_rss = 0.0
    for _ in range(STARTS):
        elapsed, ours_rss = _start(layer, env)
        ours.append(elapsed)
        elapsed, theirs_rss = _start(naive, env)
        theirs.append(elapsed)
    after = _rss_after_first_fetch(layer, env)
    return [
        Figure(
            f"extension process start to registered and serving (median of {STARTS})",
            median(ours),
            "ms",
            "naive extension importing boto3 before registering",
            median(theirs),
            goal="<= 60 ms",
        ),
        Figure(
            "extension RSS before the first fetch",
            ours_rss,
            "MB",
            "naive boto3 extension RSS at start",
            theirs_rss,
            goal="<= 25 MB",
        ),
        Figure(
            "extension RSS after the first fetch (1 MB configuration)",
            after,
            "MB",
            "naive boto3 extension RSS at start",
            theirs_rss,
            goal="<= 45 MB",
        ),
    ]


def _start(layer: Path, env: dict[str, str]) -> tuple[float, float]:
    """(ms from process start to registered and answering on its port, RSS in MB then)."""
    from localcloud.lambda_runtime.sandbox import LambdaSandbox

    port = _free_port()
    with LambdaSandbox(layer, env={**env, "AWS_APPCONFIG_EXTENSION_HTTP_PORT": str(port)}) as sandbox:
        [extension] = sandbox.extensions.values()
        while extension.registered_at is None or not _answers(port):
            if extension.process.poll() is not None:
                raise RuntimeError(sandbox.logs())
            time.sleep(0.0005)
        ready = time.monotonic()
        rss = _rss_mb(extension.process.pid)
        sandbox.wait_ready()
        return (ready - extension.started_at) * 1000, rss


def _rss_after_first_fetch(layer: Path, env: dict[str, str]) -> float:
    from appconfig_cache import ConfigurationClient

    from localcloud.lambda_runtime.sandbox import LambdaSandbox

    port = _free_port()
    with LambdaSandbox(layer, env={**env, "AWS_APPCONFIG_EXTENSION_HTTP_PORT": str(port)}) as sandbox:
        sandbox.wait_ready()
        with sandbox.invocation(timeout_ms=60_000):
            ConfigurationClient(port).get(APP, ENV, "1 MB")
        [extension] = sandbox.extensions.values()
        sandbox.thaw()
        return _rss_mb(extension.process.pid)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return sock.recv(12).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --------------------------------------------------------------------------------- the world
def _fake_aws() -> dict[str, str]:
    from localcloud.moto import fake_aws_environment

    return fake_aws_environment()


def _local_appconfig() -> Any:
    from localcloud.appconfig import LocalAppConfig, ManualClock

    return LocalAppConfig(ManualClock())  # started and stopped as a context manager


def _deploy(endpoint: str, documents: dict[str, bytes]) -> None:
    import boto3

    appconfig = boto3.client("appconfig", endpoint_url=endpoint, region_name="us-east-1")
    app = appconfig.create_application(Name=APP)["Id"]
    env = appconfig.create_environment(ApplicationId=app, Name=ENV)["Id"]
    strategy = zero_time_strategy(appconfig, "now")
    for label, body in documents.items():
        profile = appconfig.create_configuration_profile(ApplicationId=app, Name=label, LocationUri="hosted")[
            "Id"
        ]
        version = appconfig.create_hosted_configuration_version(
            ApplicationId=app, ConfigurationProfileId=profile, Content=body, ContentType="application/x-yaml"
        )["VersionNumber"]
        appconfig.start_deployment(
            ApplicationId=app,
            EnvironmentId=env,
            DeploymentStrategyId=strategy,
            ConfigurationProfileId=profile,
            ConfigurationVersion=str(version),
        )


def _yaml_document(size: int) -> bytes:
    """A feature flags document (YAML) of about ``size`` bytes."""
    flags: list[str] = []
    index = 0
    while sum(len(f) for f in flags) < size:
        flags.append(
            f"flag_{index:06d}:\n  default: false\n  rules:\n    tier is premium:\n      when_match: true\n"
            f"      conditions:\n        - {{action: EQUALS, key: tier, value: premium-{index}}}\n"
        )
        index += 1
    return "".join(flags).encode()[: max(size, 1)].rsplit(b"\nflag_", 1)[0] + b"\n"


def _build_layer(folder: str) -> Path:
    artifacts = Path(folder) / "AppConfigCacheLayer"
    artifacts.mkdir()
    subprocess.run(
        ["make", "--no-print-directory", "-s", "build-AppConfigCacheLayer", f"ARTIFACTS_DIR={artifacts}"],
        cwd=ROOT / "layers" / "appconfig-cache",
        check=True,
        capture_output=True,
    )
    return artifacts


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
