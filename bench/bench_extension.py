"""The caching extension, built as ``sam build`` builds it and run in the local Lambda sandbox,
beside the baselines a Python user would really choose, in one run:

* start-up: PREFETCH time-to-first-configuration in the function, beside a function that makes
  the two AppConfigData calls with boto3 in its own init (fresh environments, one CPU,
  interleaved); the memory of both environments; the extension's RSS after its first fetch
  beside a naive boto3 extension's after its fetch; what botocore's signer alone would weigh;
* the flags API's cold path (import and first evaluated response) beside the same function
  written with Powertools ``FeatureFlags`` + ``AppConfigStore`` in-process, and its memory;
* the first ``?flag=`` after a new 1 MB YAML version beside ``yaml.load(CSafeLoader)`` of it;
* repeated reads within an invocation beside Powertools' cached ``get_app_config(transform=...)``,
  and the client's round trip beside a raw kept-alive socket sending the same bytes;
* warm reads (304s labelled as such, and full bodies) beside a stdlib server with TCP_NODELAY and
  an asyncio server, read with the same client;
* serving under load (16 and 64 keep-alive clients) beside an asyncio server of the same responses.

Every process of a measured environment runs the Lambda runtime's Python (3.13) when this machine
has it, and the AppConfigData endpoint is behind TLS, as AWS's is. The machine is shared: every
comparison interleaves its runs and reports medians with their spread.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.harness import ROOT, Figure, median, percentile, spread
from localcloud.testing import zero_time_strategy

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from localcloud.lambda_runtime.sandbox import LambdaSandbox

APP, ENV = "bench", "bench"
FLAGS_YAML, FLAGS_JSON = "feature-file.yml", "feature-file.json"
SIZES = {"2 KB": 2 * 1024, "1 MB": 1024 * 1024}
STARTS = 15
READS = 3000
LOAD_ROUNDS, LOAD_SECONDS = 4, 2.0
NEW_VERSIONS = 5
P = "AWS_APPCONFIG_EXTENSION_"
RESULT = "RESULT "
# Pure-Python packages a function of the 3.13 runtime gets from the runtime or its own bundle.
FUNCTION_PACKAGES = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "urllib3",
    "python-dateutil",
    "six",
    "aws-lambda-powertools",
    "typing-extensions",
)
RSS = (
    "def rss():\n"
    "    return int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1]) / 1024\n"
)


def run() -> list[Figure]:
    saved = dict(os.environ)
    try:
        with World() as world:
            figures = startup_and_memory(world)
            figures += flags_cold_path(world)
            figures += first_flag_after_new_version(world)
            figures += repeated_reads(world)
            figures += warm_reads(world)
            figures += serving_under_load(world)
        return figures
    finally:
        os.environ.clear()
        os.environ.update(saved)


# ----------------------------------------------------------------------------------------- world
class World:
    """The local AppConfig service behind TLS, the deployed documents, the built layer, and the
    interpreter every measured process runs."""

    def __enter__(self) -> World:
        from localcloud.appconfig import LocalAppConfig, ManualClock
        from localcloud.moto import fake_aws_environment

        self._stack = ExitStack()
        self.folder = Path(self._stack.enter_context(tempfile.TemporaryDirectory()))
        self.clock = ManualClock()
        self.service = self._stack.enter_context(LocalAppConfig(self.clock))
        from bench.tls_front import TlsFront

        host, port = self.service.endpoint.removeprefix("http://").split(":")
        front = TlsFront(self.folder, (host, int(port)))
        self._stack.callback(front.close)
        self.aws = {
            **fake_aws_environment(),
            "AWS_ENDPOINT_URL_APPCONFIGDATA": front.endpoint,
            "AWS_CA_BUNDLE": str(front.ca),
        }
        # The bench process itself reads the plain endpoint (in-process baselines, deployments).
        os.environ.update({**fake_aws_environment(), "AWS_ENDPOINT_URL_APPCONFIGDATA": self.service.endpoint})
        self.documents = {label: yaml_document(size) for label, size in SIZES.items()}
        self.flags = (ROOT / "feature-file.yml").read_bytes()
        self.appconfig = boto3_client("appconfig", self.service.endpoint)
        self._app = self.appconfig.create_application(Name=APP)["Id"]
        self._env = self.appconfig.create_environment(ApplicationId=self._app, Name=ENV)["Id"]
        self._strategy = zero_time_strategy(self.appconfig, "now")
        self._profiles: dict[str, str] = {}
        for label, body in self.documents.items():
            self.deploy(label, body, "application/x-yaml")
        self.deploy(FLAGS_YAML, self.flags, "application/x-yaml")
        import yaml

        self.deploy(FLAGS_JSON, json.dumps(yaml.safe_load(self.flags)).encode(), "application/json")
        self.python = find_python313()
        self.site = function_site(self.python) if self.python else None
        self.layer = build_layer(self.folder / "layer")
        self.bin = self.folder / "bin"  # python3 -> the runtime's interpreter, as /var/lang/bin
        self.bin.mkdir()
        (self.bin / "python3").symlink_to(self.python or sys.executable)
        self.runtime = "python3.13" if self.python else f"python{sys.version_info[0]}.{sys.version_info[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def deploy(self, profile: str, body: bytes, content_type: str) -> None:
        if profile not in self._profiles:
            self._profiles[profile] = self.appconfig.create_configuration_profile(
                ApplicationId=self._app, Name=profile, LocationUri="hosted"
            )["Id"]
        version = self.appconfig.create_hosted_configuration_version(
            ApplicationId=self._app,
            ConfigurationProfileId=self._profiles[profile],
            Content=body,
            ContentType=content_type,
        )["VersionNumber"]
        self.appconfig.start_deployment(
            ApplicationId=self._app,
            EnvironmentId=self._env,
            DeploymentStrategyId=self._strategy,
            ConfigurationProfileId=self._profiles[profile],
            ConfigurationVersion=str(version),
        )

    @property
    def interpreter(self) -> str:
        return self.python or sys.executable

    def function_env(self, *paths: Path, **extra: str) -> dict[str, str]:
        path = [*paths, *([self.site] if self.site else [])]
        return {
            **self.aws,
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": os.pathsep.join(map(str, path)),
            "POWERTOOLS_METRICS_NAMESPACE": "Bench",
            **extra,
        }

    @contextlib.contextmanager
    def extension(
        self, settings: dict[str, str] | None = None, layer: Path | None = None
    ) -> Iterator[LambdaSandbox]:
        from localcloud.lambda_runtime.sandbox import LambdaSandbox

        port = free_port()
        env = {
            **self.aws,
            "PATH": f"{self.bin}{os.pathsep}/usr/bin:/bin",
            P + "HTTP_PORT": str(port),
            **(settings or {}),
        }
        sandbox = LambdaSandbox(layer or self.layer, env=env, freeze_between_invocations=False)
        sandbox.port = port  # type: ignore[attr-defined]
        try:
            yield sandbox
        finally:
            sandbox.close()


# ---------------------------------------------------------------------------- start-up and memory
def startup_and_memory(world: World) -> list[Figure]:
    prefetch = {P + "PREFETCH_LIST": f"{APP}:{ENV}:{FLAGS_YAML}"}
    naive = naive_layer(world.folder / "naive")
    ours_ttfc: list[float] = []
    boto_ttfc: list[float] = []
    ours_env: list[float] = []
    ours_ext: list[float] = []
    boto_env: list[float] = []
    naive_rss: list[float] = []
    reader = (
        "from appconfig_cache import ConfigurationClient\n"
        f"c = ConfigurationClient().get({APP!r}, {ENV!r}, {FLAGS_YAML!r})"
    )
    boto = textwrap.dedent(
        f"""
        import boto3
        data = boto3.client("appconfigdata")
        token = data.start_configuration_session(ApplicationIdentifier={APP!r}, EnvironmentIdentifier={ENV!r},
            ConfigurationProfileIdentifier={FLAGS_YAML!r})["InitialConfigurationToken"]
        body = data.get_latest_configuration(ConfigurationToken=token)["Configuration"].read()
        """
    )
    with one_cpu():
        for _ in range(2):  # warm the file cache, as a deployed environment's disk already is
            environment_start(world, reader, prefetch, world.layer / "python")
            function_start(world, boto)
        for _ in range(STARTS):
            elapsed, function_rss, extension_rss = environment_start(
                world, reader, prefetch, world.layer / "python"
            )
            ours_ttfc.append(elapsed)
            ours_env.append(function_rss + extension_rss)
            ours_ext.append(extension_rss)
            elapsed, rss = function_start(world, boto)
            boto_ttfc.append(elapsed)
            boto_env.append(rss)
            naive_rss.append(naive_after_fetch(world, naive, prefetch))
    signer = botocore_signer_rss(world)
    on = f"{world.runtime}, 1 CPU, {STARTS} interleaved fresh environments"
    return [
        Figure(
            f"PREFETCH: environment start to the function's first configuration ({on}; {spread(ours_ttfc)})",
            median(ours_ttfc),
            "ms",
            f"function making the two AppConfigData calls with boto3 in its init ({spread(boto_ttfc)})",
            median(boto_ttfc),
            goal="ratio <= 0.5",
        ),
        Figure(
            f"extension RSS after its first fetch, over TLS ({spread(ours_ext, 'MB')})",
            median(ours_ext),
            "MB",
            f"naive boto3 extension RSS after its fetch ({spread(naive_rss, 'MB')})",
            median(naive_rss),
            goal="<= 20 MB",
        ),
        Figure(
            "whole environment memory at the first configuration: function + extension "
            f"({spread(ours_env, 'MB')})",
            median(ours_env),
            "MB",
            f"the boto3 function's RSS ({spread(boto_env, 'MB')})",
            median(boto_env),
            goal="ratio <= 1.0",
        ),
        Figure(
            "interpreter RSS with only botocore's signer imported (why SigV4 is the extension's own)",
            signer,
            "MB",
            "the extension's whole RSS after its first fetch",
            median(ours_ext),
        ),
    ]


def environment_start(
    world: World, function_code: str, settings: dict[str, str], *paths: Path, **function_env: str
) -> tuple[float, float, float]:
    """(ms from the environment's start to the function's result, function RSS, extension RSS)."""
    started = time.time()
    with world.extension(settings) as sandbox:
        sandbox.start()
        [extension] = sandbox.extensions.values()
        while extension.registered_at is None:  # Lambda starts the runtime once all have registered
            if extension.process.poll() is not None:
                raise RuntimeError(sandbox.logs())
            time.sleep(0.0005)
        env = world.function_env(*paths, AWS_APPCONFIG_EXTENSION_HTTP_PORT=str(sandbox.port), **function_env)  # type: ignore[attr-defined]
        result = run_function(world, function_code, env)
        extension_rss = rss_mb(extension.process.pid)
        sandbox.wait_ready()
    return (result["at"] - started) * 1000, result["rss"], extension_rss


def function_start(world: World, code: str, *paths: Path, **extra: str) -> tuple[float, float]:
    started = time.time()
    result = run_function(world, code, world.function_env(*paths, **extra))
    return (result["at"] - started) * 1000, result["rss"]


def run_function(world: World, code: str, env: dict[str, str]) -> dict[str, float]:
    script = (
        f"{code}\nimport json, time\n{RSS}print({RESULT!r} + json.dumps({{'at': time.time(), 'rss': rss()}}))"
    )
    output = subprocess.run(
        [world.interpreter, "-c", script], env=env, capture_output=True, text=True, check=False, cwd="/"
    )
    for line in output.stdout.splitlines():
        if line.startswith(RESULT):
            return dict(json.loads(line[len(RESULT) :]))
    raise RuntimeError(f"the function failed:\n{output.stdout[-2000:]}\n{output.stderr[-3000:]}")


NAIVE = textwrap.dedent(
    """\
    #!/usr/bin/env python3
    # The naive extension: the SDK and its client first, then register, fetch the prefetch list, serve.
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
    app, env, profile = os.environ["AWS_APPCONFIG_EXTENSION_PREFETCH_LIST"].split(":")
    token = client.start_configuration_session(ApplicationIdentifier=app, EnvironmentIdentifier=env,
        ConfigurationProfileIdentifier=profile)["InitialConfigurationToken"]
    cached = client.get_latest_configuration(ConfigurationToken=token)["Configuration"].read()
    print("fetched", len(cached), flush=True)
    while True:
        event = json.load(urllib.request.urlopen(urllib.request.Request(
            api + "/event/next", headers={"Lambda-Extension-Identifier": identifier})))
        if event["eventType"] == "SHUTDOWN":
            break
    """
)


def naive_layer(folder: Path) -> Path:
    (folder / "extensions").mkdir(parents=True)
    launcher = folder / "extensions" / "naive-appconfig"
    launcher.write_text(NAIVE)
    launcher.chmod(0o755)
    return folder


def naive_after_fetch(world: World, layer: Path, settings: dict[str, str]) -> float:
    site = {"PYTHONPATH": str(world.site)} if world.site else {}
    with world.extension({**settings, **site}, layer) as sandbox:
        sandbox.start()
        [extension] = sandbox.extensions.values()
        deadline = time.monotonic() + 30
        while "fetched" not in extension.log():
            if extension.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(extension.log())
            time.sleep(0.005)
        return rss_mb(extension.process.pid)


def botocore_signer_rss(world: World) -> float:
    code = "import botocore.auth, botocore.awsrequest, botocore.credentials"
    return run_function(world, code, world.function_env())["rss"]


# --------------------------------------------------------------------------------- flags cold path
IN_PROCESS = textwrap.dedent(
    """\
    # The flags API written with Powertools FeatureFlags + AppConfigStore in-process (JSON: the
    # store reads nothing else), the same caller parsing and response.
    import json, os
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.data_classes.lambda_function_url_event import LambdaFunctionUrlEvent
    from aws_lambda_powertools.utilities.feature_flags import AppConfigStore, FeatureFlags
    from flags_api.caller import BadCaller, caller_from_query
    logger = Logger(service="flags-api")
    metrics = Metrics(namespace="Bench")
    store = AppConfigStore(environment=os.environ["APPCONFIG_ENVIRONMENT"],
        application=os.environ["APPCONFIG_APPLICATION"], name=os.environ["APPCONFIG_PROFILE"], max_age=30)
    flags = FeatureFlags(store=store)

    @metrics.log_metrics
    @logger.inject_lambda_context
    def lambda_handler(event, context):
        request = LambdaFunctionUrlEvent(event)
        caller = caller_from_query(request.query_string_parameters)
        document = store.get_configuration()
        context = caller.as_context()
        evaluated = {n: flags.evaluate(name=n, context=context, default=False) for n in sorted(document)}
        metrics.add_metric(name="FlagsEvaluated", unit=MetricUnit.Count, value=1)
        return {"statusCode": 200, "body": json.dumps({"context": caller.as_context(), "flags": evaluated})}
    """
)
INVOKE = textwrap.dedent(
    """\
    import json
    from {module} import lambda_handler
    class Context:
        function_name = "flags-api"; memory_limit_in_mb = 256; aws_request_id = "bench"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:flags-api"
    event = json.loads({event!r})
    response = lambda_handler(event, Context())
    assert response["statusCode"] == 200, response
    """
)


def flags_cold_path(world: World) -> list[Figure]:
    event = json.loads((ROOT / "events" / "flags-api-get.json").read_text())
    event["queryStringParameters"] = {"user": "u-1", "tier": "premium", "region": "eu-west-1"}
    baseline_folder = world.folder / "inprocess"
    baseline_folder.mkdir()
    (baseline_folder / "flags_api_inprocess.py").write_text(IN_PROCESS)
    functions = ROOT / "functions" / "flags_api"
    ours_code = INVOKE.format(module="flags_api.handler", event=json.dumps(event))
    theirs_code = INVOKE.format(module="flags_api_inprocess", event=json.dumps(event))
    names = {"APPCONFIG_APPLICATION": APP, "APPCONFIG_ENVIRONMENT": ENV}
    prefetch = {P + "PREFETCH_LIST": f"{APP}:{ENV}:{FLAGS_YAML}"}
    ours_time: list[float] = []
    ours_memory: list[float] = []
    theirs_time: list[float] = []
    theirs_memory: list[float] = []
    with one_cpu():
        for run_index in range(STARTS + 2):
            elapsed, function_rss, extension_rss = environment_start(
                world,
                ours_code,
                prefetch,
                functions,
                world.layer / "python",
                APPCONFIG_PROFILE=FLAGS_YAML,
                **names,
            )
            theirs_elapsed, theirs_rss = function_start(
                world, theirs_code, baseline_folder, functions, APPCONFIG_PROFILE=FLAGS_JSON, **names
            )
            if run_index >= 2:  # the first two warm the file cache
                ours_time.append(elapsed)
                ours_memory.append(function_rss + extension_rss)
                theirs_time.append(theirs_elapsed)
                theirs_memory.append(theirs_rss)
    on = f"{world.runtime}, 1 CPU, {STARTS} interleaved fresh environments"
    return [
        Figure(
            "FlagsApiFunction cold path: environment start to the first evaluated response "
            f"({on}; {spread(ours_time)})",
            median(ours_time),
            "ms",
            "the same function with Powertools FeatureFlags + AppConfigStore in-process "
            f"({spread(theirs_time)})",
            median(theirs_time),
            goal="ratio <= 0.8",
        ),
        Figure(
            f"FlagsApiFunction environment memory: function + extension ({spread(ours_memory, 'MB')})",
            median(ours_memory),
            "MB",
            f"the in-process Powertools function's RSS ({spread(theirs_memory, 'MB')})",
            median(theirs_memory),
            goal="ratio <= 1.0",
        ),
    ]


# ---------------------------------------------------------------------- first ?flag= after a version
def first_flag_after_new_version(world: World) -> list[Figure]:
    """New versions come from the local development directory (re-read at the poll interval),
    so AppConfig's 15 s minimum poll interval is not waited out between them; the fetch is then
    a file read instead of a loopback download, a millisecond either way beside the parse."""
    base = world.documents["1 MB"]
    folder = world.folder / "local-development"
    folder.mkdir()
    source = folder / f"{APP}:{ENV}:big.yaml"
    source.write_bytes(base)
    path = f"/applications/{APP}/environments/{ENV}/configurations/big?flag=flag_000001"
    firsts: list[float] = []
    settings = {
        P + "LOCAL_DEVELOPMENT_DIRECTORY": str(folder),
        P + "POLL_INTERVAL_SECONDS": "1",
        P + "POLL_TIMEOUT_MILLIS": "60s",
    }
    with world.extension(settings) as sandbox:
        sandbox.start()
        sandbox.wait_ready()
        port = sandbox.port  # type: ignore[attr-defined]
        get(port, path)  # asks for flags once: from now on every new version is parsed before serving
        for index in range(NEW_VERSIONS):
            enabled = index % 2 == 0
            source.write_bytes(base.replace(b"default: false", b"default: true", 2) if enabled else base)
            time.sleep(1.1)  # the extension's poll interval: the next request fetches the new version
            started = time.perf_counter()
            status, body = get(port, path)
            firsts.append((time.perf_counter() - started) * 1000)
            assert status == 200, body[:200]
            assert json.loads(body)["flag_000001"]["default"] is enabled  # the new version, not the old
    loads = c_loader_parse_ms(world, base)
    return [
        Figure(
            f"first ?flag= after a new 1 MB YAML version: fetch, parse, validate, evaluate "
            f"({world.runtime}; {NEW_VERSIONS} versions; {spread(firsts)})",
            median(firsts),
            "ms",
            f"yaml.load(CSafeLoader) of the same bytes, the layer's own build ({spread(loads)})",
            median(loads),
            goal="ratio <= 1.5",
        )
    ]


def c_loader_parse_ms(world: World, document: bytes) -> list[float]:
    source = world.folder / "big.yml"
    source.write_bytes(document)
    code = textwrap.dedent(
        f"""
        import json, sys, time
        sys.path.insert(0, {str(world.layer / "appconfig-cache")!r})
        import yaml
        data = open({str(source)!r}, 'rb').read()
        times = []
        for _ in range({NEW_VERSIONS}):
            started = time.perf_counter(); yaml.load(data, Loader=yaml.CSafeLoader)
            times.append((time.perf_counter() - started) * 1000)
        print(json.dumps(times))
        """
    )
    output = subprocess.run([world.interpreter, "-c", code], capture_output=True, text=True, check=True)
    return list(json.loads(output.stdout))


# --------------------------------------------------------------------------------- repeated reads
def repeated_reads(world: World) -> list[Figure]:
    sys.path.insert(0, str(ROOT / "layers" / "appconfig-cache" / "python"))
    from appconfig_cache import ConfigurationClient
    from aws_lambda_powertools.utilities import parameters

    with world.extension() as sandbox:
        sandbox.start()
        sandbox.wait_ready()
        port = sandbox.port  # type: ignore[attr-defined]
        client = ConfigurationClient(port)
        assert client.get(APP, ENV, FLAGS_JSON).document  # parsed once here; the loop reads it
        parameters.get_app_config(
            name=FLAGS_JSON, environment=ENV, application=APP, transform="json", max_age=600
        )
        ours, theirs = [], []
        for _ in range(5):  # interleaved batches
            ours.append(per_call_us(lambda: client.get(APP, ENV, FLAGS_JSON).document, 20000))
            theirs.append(
                per_call_us(
                    lambda: parameters.get_app_config(
                        name=FLAGS_JSON, environment=ENV, application=APP, transform="json", max_age=600
                    ),
                    20000,
                )
            )
        request = client._known[(APP, ENV, FLAGS_JSON)].conditional  # the exact bytes the client sends
        round_trips, raw = [], []
        raw_read = raw_reader(port, request)
        for _ in range(5):
            round_trips += timed(lambda: client.get(APP, ENV, FLAGS_JSON, max_age=0), READS // 5)
            raw += timed(raw_read, READS // 5)
    return [
        Figure(
            "repeated reads of a parsed configuration within an invocation "
            f"(client, 1 s staleness bound; {spread(ours, 'us')})",
            median(ours),
            "us",
            f"Powertools parameters.get_app_config(transform='json') cached ({spread(theirs, 'us')})",
            median(theirs),
            goal="ratio <= 3",
        ),
        Figure(
            f"client round trip to the extension (a 304, {len(round_trips)} reads) p50",
            percentile(round_trips, 50),
            "us",
            "raw kept-alive socket sending the same bytes, reading the 304, p50",
            percentile(raw, 50),
            goal="ratio <= 1.2",
        ),
    ]


def raw_reader(port: int, request: bytes) -> Callable[[], object]:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def read() -> object:
        sock.sendall(request)
        data = sock.recv(65536)
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        return data

    return read


# ------------------------------------------------------------------------------------- warm reads
STDLIB = textwrap.dedent(
    """
    import json, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    bodies = {k: bytes.fromhex(v) for k, v in json.load(open(sys.argv[1])).items()}
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # TCP_NODELAY, as any real server sets it
        def log_message(self, *args): pass
        def do_GET(self):
            body = bodies[self.path]
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


def warm_reads(world: World) -> list[Figure]:
    from appconfig_cache import ConfigurationClient

    figures: list[Figure] = []
    paths = {label: config_path(label) for label in SIZES}
    with world.extension() as sandbox, ExitStack() as servers:
        sandbox.start()
        sandbox.wait_ready()
        port = sandbox.port  # type: ignore[attr-defined]
        responses = {paths[label]: full_response(port, paths[label]) for label in SIZES}
        bodies = world.folder / "bodies.json"
        bodies.write_text(json.dumps({paths[label]: world.documents[label].hex() for label in SIZES}))
        stdlib_port = servers.enter_context(process_server(world, ["-c", STDLIB, str(bodies)]))
        table = world.folder / "responses.json"
        table.write_text(json.dumps({p: r.hex() for p, r in responses.items()}))
        asyncio_port = servers.enter_context(
            process_server(world, [str(ROOT / "bench" / "http_load.py"), "asyncio", str(table)])
        )
        ours = ConfigurationClient(port, max_age=0)
        stdlib = ConfigurationClient(stdlib_port, max_age=0)
        asyncio_client = ConfigurationClient(asyncio_port, max_age=0)
        for label in SIZES:
            ours.get(APP, ENV, label)
            conditional, full, plain, event_loop = [], [], [], []
            for _ in range(5):
                conditional += timed(functools.partial(ours.get, APP, ENV, label), READS // 5)
                full += timed(functools.partial(ours.get, APP, ENV, label, conditional=False), READS // 5)
                plain += timed(functools.partial(stdlib.get, APP, ENV, label, conditional=False), READS // 5)
                event_loop += timed(
                    functools.partial(asyncio_client.get, APP, ENV, label, conditional=False), READS // 5
                )
            for pct in (50, 99):
                figures.append(
                    Figure(
                        f"extension read {label}, unchanged: a 304 with no body "
                        f"({len(conditional)} reads) p{pct}",
                        percentile(conditional, pct),
                        "us",
                        f"stdlib server with TCP_NODELAY, full body, same client, p{pct}",
                        percentile(plain, pct),
                    )
                )
                figures.append(
                    Figure(
                        f"extension full-body read {label} ({len(full)} reads) p{pct}",
                        percentile(full, pct),
                        "us",
                        f"stdlib server with TCP_NODELAY, same client, p{pct}",
                        percentile(plain, pct),
                        goal="ratio <= 1.0" if pct == 50 else "",
                    )
                )
                figures.append(
                    Figure(
                        f"extension full-body read {label} p{pct}",
                        percentile(full, pct),
                        "us",
                        f"asyncio server of the same responses, same client, p{pct}",
                        percentile(event_loop, pct),
                    )
                )
    return figures


# ---------------------------------------------------------------------------------- under load
def serving_under_load(world: World) -> list[Figure]:
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, load_cpu = (cpus[0], cpus[1]) if len(cpus) > 1 else (cpus[0], cpus[0])
    path = config_path("2 KB")
    request = world.folder / "request.bin"
    request.write_bytes(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    figures: list[Figure] = []
    with one_cpu(server_cpu), world.extension() as sandbox, ExitStack() as servers:
        sandbox.start()
        sandbox.wait_ready()
        port = sandbox.port  # type: ignore[attr-defined]
        table = world.folder / "load-responses.json"
        table.write_text(json.dumps({path: full_response(port, path).hex()}))
        asyncio_port = servers.enter_context(
            process_server(world, [str(ROOT / "bench" / "http_load.py"), "asyncio", str(table)])
        )
        for connections in (16, 64):
            ours, theirs = [], []
            for _ in range(LOAD_ROUNDS):
                ours.append(load(world, port, connections, request, load_cpu))
                theirs.append(load(world, asyncio_port, connections, request, load_cpu))
            rps = [r["rps"] for r in ours], [r["rps"] for r in theirs]
            p99 = [r["p99"] for r in ours], [r["p99"] for r in theirs]
            on = (
                f"{connections} keep-alive clients, server and load on separate CPUs, "
                f"{LOAD_ROUNDS} interleaved rounds of {LOAD_SECONDS:.0f} s"
            )
            figures.append(
                Figure(
                    f"throughput under load ({on}; {spread(rps[0], 'req/s')})",
                    median(rps[0]),
                    "req/s",
                    f"asyncio server of the same responses ({spread(rps[1], 'req/s')})",
                    median(rps[1]),
                    goal="ratio >= 0.9",
                )
            )
            figures.append(
                Figure(
                    f"p99 latency under load ({connections} clients; {spread(p99[0], 'us')})",
                    median(p99[0]),
                    "us",
                    f"asyncio server of the same responses ({spread(p99[1], 'us')})",
                    median(p99[1]),
                    goal="ratio <= 1.2",
                )
            )
    return figures


def load(world: World, port: int, connections: int, request: Path, cpu: int) -> dict[str, float]:
    output = subprocess.run(
        [
            world.interpreter,
            str(ROOT / "bench" / "http_load.py"),
            "client",
            str(port),
            str(connections),
            str(LOAD_SECONDS),
            str(request),
        ],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=lambda: os.sched_setaffinity(0, {cpu}),
    )
    return dict(json.loads(output.stdout))


# -------------------------------------------------------------------------------------- helpers
@contextlib.contextmanager
def one_cpu(cpu: int | None = None) -> Iterator[None]:
    """Every process started inside runs on one CPU (children inherit the affinity)."""
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(saved) if cpu is None else cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, saved)


@contextlib.contextmanager
def process_server(world: World, args: list[str]) -> Iterator[int]:
    process = subprocess.Popen([world.interpreter, *args], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield int(process.stdout.readline())
    finally:
        process.kill()
        process.wait()


def per_call_us(call: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - started) / count * 1e6


def timed(call: Callable[[], object], count: int) -> list[float]:
    samples: list[float] = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1e6)
    return samples


def get(port: int, path: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(1 << 20):
            data += chunk
    return int(data.split(b" ", 2)[1]), data.partition(b"\r\n\r\n")[2]


def full_response(port: int, path: str) -> bytes:
    """The extension's exact keep-alive response for ``path`` (what the baselines send back)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(1 << 20)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head)[1])  # type: ignore[index]
        while len(body) < length:
            body += sock.recv(1 << 20)
    return head + b"\r\n\r\n" + body


def config_path(profile: str) -> str:
    return f"/applications/{APP}/environments/{ENV}/configurations/{profile.replace(' ', '%20')}"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def boto3_client(service: str, endpoint: str) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1")  # type: ignore[call-overload]


def yaml_document(size: int) -> bytes:
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


def find_python313() -> str | None:
    for candidate in [
        shutil.which("python3.13"),
        *sorted(Path.home().glob(".pyenv/versions/3.13*/bin/python3.13")),
    ]:
        probe = (
            subprocess.run([str(candidate), "-c", "import sys"], check=False, capture_output=True)
            if candidate
            else None
        )
        if probe is not None and probe.returncode == 0:
            return str(candidate)
    return None


def function_site(python: str) -> Path:
    """boto3, botocore and Powertools for the 3.13 processes, at the development lock's versions."""
    site = ROOT / ".tools" / "bench-site-3.13"
    pins = dict(
        re.findall(
            r"^([a-z0-9-]+)==(\S+) \\$", (ROOT / "requirements" / "dev.lock").read_text(), re.MULTILINE
        )
    )
    wanted = [f"{name}=={pins[name]}" for name in FUNCTION_PACKAGES]
    stamp = site / ".pins"
    if not stamp.exists() or stamp.read_text() != "\n".join(wanted):
        shutil.rmtree(site, ignore_errors=True)
        subprocess.run(
            [str(ROOT / ".tools" / "uv" / "bin" / "uv"), "pip", "install", "--quiet", "--python", python,
             "--target", str(site), "--no-deps", "--compile-bytecode", *wanted],
            check=True,
        )  # fmt: skip
        stamp.write_text("\n".join(wanted))
    return site


def build_layer(artifacts: Path) -> Path:
    artifacts.mkdir()
    pip = os.environ.get("PIP") or f"{ROOT / '.tools' / 'uv' / 'bin' / 'python'} -m pip"
    subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-s",
            "build-AppConfigCacheLayer",
            f"ARTIFACTS_DIR={artifacts}",
            f"PIP={pip}",
        ],
        cwd=ROOT / "layers" / "appconfig-cache",
        check=True,
        capture_output=True,
    )
    return artifacts
