"""``localcloud.lambda_runtime.functions``: a template's functions run as Lambda runs them.

Follows https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html (init once
per execution environment, reuse while warm, reset after a timeout or a crash) and
https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html (the error payload).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from localcloud.lambda_runtime.functions import FunctionNotFound, TemplateFunctions
from tests.integration.appconfig_service.conftest import FUNCTIONS, lambda_arn

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration


@pytest.fixture
def runner(aws_environment: None) -> Iterator[TemplateFunctions]:
    functions = TemplateFunctions(FUNCTIONS, environment={"EchoFunction": {"BUCKET_NAME": "overridden"}})
    yield functions
    functions.close()


def test_environment_comes_from_the_template_with_overrides(runner: TemplateFunctions) -> None:
    spec = runner.spec("RefuseBadFunction")
    assert spec.environment["FORBIDDEN_WORD"] == "bad"  # a parameter's default
    assert spec.environment["GREETING"] == "hello from us-east-1"  # !Sub over a pseudo parameter
    assert spec.environment["FROM_GLOBALS"] == "globals"
    assert spec.code_dir == (FUNCTIONS.parent / "refuse_bad").resolve()
    echo = runner.spec(lambda_arn("EchoFunction"))
    assert echo.environment["BUCKET_NAME"] == "overridden"
    assert echo.unresolved == ("BUCKET_ARN",)  # !GetAtt of a resource: needs a deployed stack
    assert (echo.timeout, echo.memory_mb) == (10.0, 256)


def test_functions_are_found_by_function_name_too(runner: TemplateFunctions) -> None:
    # FunctionName: !Sub "${AWS::StackName}-echo", and the local stack is named "local".
    assert runner.logical_id(lambda_arn("local-echo")) == "EchoFunction"
    assert runner.spec("local-echo").name == "EchoFunction"


def test_unknown_function_is_not_found(runner: TemplateFunctions) -> None:
    with pytest.raises(FunctionNotFound):
        runner.spec(lambda_arn("NoSuchFunction"))
    with pytest.raises(FunctionNotFound):
        runner.spec("Bucket")  # a resource, but not a function


def test_warm_invokes_keep_module_state_and_a_cold_start_resets_it(runner: TemplateFunctions) -> None:
    first = runner.invoke("EchoFunction", {"n": 1})
    second = runner.invoke("EchoFunction", {"n": 2})
    assert (first.cold_start, second.cold_start) == (True, False)
    assert (first.payload["invocations"], second.payload["invocations"]) == (1, 2)
    assert first.payload["pid"] == second.payload["pid"]
    assert second.payload["event"] == {"n": 2}
    runner.set_environment("EchoFunction", {"EXTRA": "x"})  # a configuration change retires environments
    third = runner.invoke("EchoFunction", {})
    assert third.cold_start
    assert third.payload["invocations"] == 1
    assert third.payload["env"]["EXTRA"] == "x"


def test_the_function_sees_lambdas_environment_not_the_callers(
    runner: TemplateFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
    monkeypatch.setenv("PYTHONPATH", str(Path.cwd()))
    payload = runner.invoke("EchoFunction", {}).payload
    env = payload["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "EchoFunction"
    assert env["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:1"  # the local cloud's endpoints reach it
    assert "PYTHONPATH" not in env
    assert payload["repository_importable"] is False
    assert payload["cwd"] == str((FUNCTIONS.parent / "echo").resolve())
    assert (payload["function_name"], payload["memory"]) == ("EchoFunction", 256)
    assert 0 < payload["remaining_ms"] <= 10_000


def test_an_exception_comes_back_in_lambdas_error_shape(runner: TemplateFunctions) -> None:
    result = runner.invoke("EchoFunction", {"fail": "boom"})
    assert result.failed
    assert result.error is not None
    assert result.error["errorType"] == "RuntimeError"
    assert result.error["errorMessage"] == "boom"
    assert result.error["stackTrace"]
    assert not runner.invoke("EchoFunction", {}).cold_start  # a handled error keeps the environment


def test_exit_and_import_errors(runner: TemplateFunctions) -> None:
    exited = runner.invoke("EchoFunction", {"exit": True})
    assert exited.error is not None
    assert exited.error["errorType"] == "Runtime.ExitError"
    assert runner.invoke("EchoFunction", {}).cold_start
    broken = runner.invoke("BrokenFunction", {})
    assert broken.error is not None
    assert broken.error["errorType"] == "Runtime.ImportModuleError"
    assert "a_module_that_does_not_exist" in broken.error["errorMessage"]


def test_timeout_kills_the_environment(runner: TemplateFunctions) -> None:
    result = runner.invoke("SlowFunction", {"seconds": 30})  # the function's Timeout is 1 s
    assert result.error is not None
    assert result.error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out" in result.error["errorMessage"]
    assert runner.invoke("SlowFunction", {"seconds": 0}).cold_start


def test_concurrent_invokes_get_their_own_environments(runner: TemplateFunctions) -> None:
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda n: runner.invoke("EchoFunction", {"n": n}), range(3)))
    assert all(not r.failed for r in results)
    assert sorted(r.payload["event"]["n"] for r in results) == [0, 1, 2]
