"""The README's `sam local invoke` recipes, as far as they go without Docker.

Docker cannot pull Lambda images here, so the container is the one step left out: SAM CLI's own
code resolves each function's environment from the template and the recipe's --env-vars file
(``sam_env.py``), and the functions then run in the local Lambda runtime with exactly that
environment, the code folder standing in for /var/task and 127.0.0.1 for host.docker.internal
(what ``--add-host host.docker.internal:127.0.0.1`` maps it to).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from localcloud import sam_local
from localcloud.cfn.language_extensions import expand
from localcloud.consumers import ConsumerEnvironment
from localcloud.lambda_runtime.functions import TemplateFunctions
from localcloud.pipeline import LAYER, LocalPipeline
from localcloud.template import Resolver, load
from tests.template.conftest import ROOT, tool

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.template

TEMPLATE = ROOT / "template.yaml"
LOCAL_ENV = ROOT / "events" / "local-env.json"
SAM_ENV = ROOT / "tests" / "template" / "sam_env.py"


def sam_local_environment(env_vars: Path) -> dict[str, dict[str, str]]:
    """What `sam local invoke --env-vars env_vars` gives each function (SAM CLI's resolution)."""
    shell = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "SAM_CLI_TELEMETRY": "0",
    }
    python = tool("sam").parent / "python"
    result = subprocess.run(
        [str(python), str(SAM_ENV), str(TEMPLATE), str(env_vars)],
        env=shell,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    resolved: dict[str, dict[str, str]] = json.loads(result.stdout)
    return resolved


def declared(function: str) -> set[str]:
    """The variables the template declares on a function (Globals included), its loops expanded."""
    template = expand(load(TEMPLATE), {}, region="us-east-1")
    own = template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})
    return set(template["Globals"]["Function"]["Environment"]["Variables"]) | set(own)


def test_every_variable_the_consumer_recipe_sets_is_declared_and_set() -> None:
    recipe: dict[str, dict[str, str]] = json.loads(LOCAL_ENV.read_text())
    resolved = sam_local_environment(LOCAL_ENV)
    for function, variables in recipe.items():
        assert set(variables) <= declared(function), function
        for name, value in variables.items():
            assert resolved[function][name] == value, (function, name)


def test_the_flags_api_recipe_serves_the_file_in_local_development_mode(tmp_path: Path) -> None:
    """The README's copy of feature-file.yml into the built function, then the invoke."""
    environment = sam_local_environment(LOCAL_ENV)["FlagsApiFunctionproduction"]
    directory = environment["AWS_APPCONFIG_EXTENSION_LOCAL_DEVELOPMENT_DIRECTORY"]
    assert directory == "/var/task/appconfig-local"
    task = tmp_path / "task"  # /var/task
    (task / "appconfig-local").mkdir(parents=True)
    shutil.copy(
        ROOT / "feature-file.yml", task / "appconfig-local" / "feature-flags:production:feature-file.yml.yml"
    )
    variables = {k: v for k, v in environment.items() if k in declared("FlagsApiFunctionproduction")}
    variables["AWS_APPCONFIG_EXTENSION_LOCAL_DEVELOPMENT_DIRECTORY"] = str(task / "appconfig-local")
    functions = TemplateFunctions(TEMPLATE)
    consumer = ConsumerEnvironment(
        functions,
        "FlagsApiFunctionproduction",
        layer=LAYER,
        environment=variables,
        resolver=Resolver(expand(load(TEMPLATE), {}, region="us-east-1")),
    ).start()
    try:
        event = json.loads((ROOT / "events" / "flags-api-get.json").read_text())
        result = consumer.invoke(event)
    finally:
        consumer.stop()
        functions.close()
    assert not result.failed, result.error
    assert result.payload["statusCode"] == 200, result.payload
    assert json.loads(result.payload["body"])["flags"]


@pytest.fixture
def local_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[LocalPipeline, Path, Path]]:
    """`make local-up HOLD=1`: its stack, its sam-env.json and the events it holds."""
    with LocalPipeline(time_scale=600) as cloud:
        events = tmp_path / "events"
        cloud.deliveries.on_hold = sam_local.HeldEvents(events)
        cloud.deliveries.holding = True
        env_file = tmp_path / "sam-env.json"
        sam_local.write(cloud, env_file)
        yield cloud, env_file, events


@pytest.mark.xfail(
    strict=True,
    reason=(
        "SAM CLI's local expansion of AWS::LanguageExtensions leaves an Fn::ForEach inside "
        "Environment.Variables unexpanded (CloudFormation expands it), so the deploy function's "
        "APPCONFIG_PROFILE_ID_<name> and APPCONFIG_ENVIRONMENT_ID_<name> are not declared to "
        "`sam local invoke --env-vars`"
    ),
)
def test_the_deploy_function_recipe_deploys_an_upload_to_make_local_up(
    local_up: tuple[LocalPipeline, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud, env_file, events = local_up
    written: dict[str, Any] = json.loads(env_file.read_text())
    assert set(written) == {"DeployFunction"}
    assert set(written["DeployFunction"]) <= declared("DeployFunction")
    version = cloud.upload((ROOT / "feature-file.yml").read_bytes())
    (held,) = cloud.deliveries.held
    assert held.queue is not None  # the deploy queue's message, kept for the recipe
    assert held.event == json.loads((events / "DeployFunction-latest.json").read_text())
    assert held.event["detail"]["object"]["version-id"] == version

    environment = sam_local_environment(env_file)["DeployFunction"]
    assert environment["CONFIG_BUCKET"] == cloud.bucket
    assert environment["APPCONFIG_PROFILE_ID_featurefileyml"] == cloud.stack.ref("Profilefeaturefileyml")
    assert environment["AWS_ENDPOINT_URL_S3"] == f"http://{sam_local.DOCKER_HOST}:{cloud.moto.port}"
    # The container knows the local cloud only through the file: none of this process's endpoints.
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    variables = {
        k: v.replace(sam_local.DOCKER_HOST, "127.0.0.1")
        for k, v in environment.items()
        if k in declared("DeployFunction")
    }
    functions = TemplateFunctions(TEMPLATE, environment={"DeployFunction": variables})
    try:
        result = functions.invoke("DeployFunction", held.event)
    finally:
        functions.close()
    assert not result.failed, result.error
    (outcome,) = result.payload["results"]
    assert (outcome["outcome"], outcome["versionId"]) == ("deployed", version)
    assert cloud.deployments()[0]["ConfigurationVersion"] == version
