"""Run a template's Lambda functions locally, as Lambda would.

``TemplateFunctions(template.yaml)`` knows every ``AWS::Serverless::Function`` (and plain
``AWS::Lambda::Function`` with a local ``Code`` folder) of the template by logical ID (or by its
``FunctionName`` when the template alone decides it), and ``invoke(name_or_arn, event)`` runs
its real handler:

* as the provisioner registered it (``register``: the SAM-transformed template's function,
  its environment, role and layers resolved against the stack), or else as the template alone
  describes it;
* in its own process (``sys.executable -I``: the project's interpreter, none of the caller's
  import path), with the function's CodeUri folder first on ``sys.path`` and its layers'
  ``python/`` folders after it, as ``/var/task`` and ``/opt/python`` are in Lambda;
* with the function's environment: Globals and the function's ``Environment.Variables``
  (resolved where the template alone decides them; see ``localcloud.template``), overrides
  given to ``TemplateFunctions``, Lambda's own variables, and the caller's ``AWS_*``
  credentials and ``AWS_ENDPOINT_URL_*`` endpoints so the function reaches the local cloud;
* warm: an execution environment is kept between invokes and its module state with it, as Lambda
  does; a cold start (the first invoke, a concurrent invoke, after a crash or a timeout) starts a
  fresh process. Init counts against the invoke's time limit;
* bounded by the function's ``Timeout`` (or a shorter limit the caller gives, e.g. AppConfig's
  15 s); a timed-out environment is killed, as Lambda resets it.

A failure comes back in Lambda's error shape (``errorMessage``, ``errorType``, ``stackTrace``),
exactly what a synchronous invoke's payload carries with ``X-Amz-Function-Error`` set.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from queue import Empty, Queue
from typing import IO, TYPE_CHECKING, Any

from localcloud.cfn.language_extensions import expand
from localcloud.template import NO_VALUE, Resolver, Unresolved, load

if TYPE_CHECKING:
    from collections.abc import Callable

WORKER = Path(__file__).with_name("_worker.py")
DEFAULT_TIMEOUT = 3.0  # Lambda's default function timeout, seconds
STOP_TIMEOUT_S = 5.0  # how long a worker may take to exit once its environment is shut down
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


class FunctionNotFound(KeyError):
    pass


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    """The logical ID, which the local cloud uses as the function name."""
    code_dir: Path
    handler: str
    timeout: float
    memory_mb: int
    environment: dict[str, str]
    layer_paths: tuple[Path, ...] = ()
    unresolved: tuple[str, ...] = ()
    """Environment variables left out because they need a deployed stack; pass overrides."""
    physical_name: str = ""
    """The function's name in the stack (Lambda's ``FunctionName``); the logical ID if not deployed."""
    arn: str = ""
    role_arn: str | None = None
    """The execution role the provisioner created in IAM; None for a template-only function."""

    @property
    def function_name(self) -> str:
        return self.physical_name or self.name


@dataclass(frozen=True)
class Invocation:
    payload: Any
    """The handler's return value, or Lambda's error object when ``error`` is set."""
    error: dict[str, Any] | None
    cold_start: bool
    duration_ms: float

    @property
    def failed(self) -> bool:
        return self.error is not None


def function_name_from_arn(arn: str) -> str:
    """``arn:aws:lambda:region:account:function:NAME[:qualifier]`` (or a bare name) -> NAME."""
    parts = arn.split(":")
    if len(parts) >= 7 and parts[5] == "function":
        return parts[6]
    return arn


class TemplateFunctions:
    def __init__(
        self,
        template: Path,
        *,
        parameters: dict[str, str] | None = None,
        environment: dict[str, dict[str, str]] | None = None,
        python: str = sys.executable,
        log_lines: int = 200,
    ) -> None:
        self.template_path = template
        # Fn::ForEach expanded with the same values, so looped functions are known by logical ID.
        self._template = expand(load(template), dict(parameters or {}), region="us-east-1")
        self._resolver = Resolver(self._template, dict(parameters or {}))
        self._overrides = {k: dict(v) for k, v in (environment or {}).items()}
        self._python = python
        self._pools: dict[str, _Pool] = {}
        self._registered: dict[str, FunctionSpec] = {}
        self._lock = threading.Lock()
        self.observers: list[Callable[[FunctionSpec, Invocation], None]] = []
        """Called after every invocation, as Lambda publishes each one's metrics."""
        self.logs: deque[str] = deque(maxlen=log_lines)
        """The newest lines the functions wrote (stdout and stderr), for diagnostics."""

    def names(self) -> list[str]:
        declared = [n for n, r in self._resources().items() if r.get("Type") in FUNCTION_TYPES]
        return declared + [n for n in self._registered if n not in declared]

    def register(self, spec: FunctionSpec) -> None:
        """Run ``spec.name`` as deployed (the provisioner's resolution wins over the template's)."""
        with self._lock:
            self._registered[spec.name] = spec
            pool = self._pools.pop(spec.name, None)
        if pool:
            pool.close()

    def spec(self, name: str) -> FunctionSpec:
        logical_id = self.logical_id(name)
        registered = self._registered.get(logical_id)
        if registered is not None:
            overrides = self._overrides.get(logical_id, {})
            return replace(registered, environment={**registered.environment, **overrides})
        resources = self._resources()
        resource = resources[logical_id]
        globals_ = self._template.get("Globals", {}).get("Function", {})
        props = {**globals_, **resource.get("Properties", {})}
        code = props.get("CodeUri") or props.get("Code")
        if not isinstance(code, str):
            raise FunctionNotFound(f"{logical_id} has no local code folder")
        env: dict[str, str] = {}
        unresolved: list[str] = []
        variables = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **resource.get("Properties", {}).get("Environment", {}).get("Variables", {}),
        }
        for key, raw in variables.items():
            try:
                value = self._resolver.resolve(raw)
            except (Unresolved, KeyError, IndexError):
                unresolved.append(key)
                continue
            if value is not None and value is not NO_VALUE:
                env[key] = str(value)
        overrides = self._overrides.get(logical_id, {})
        env.update(overrides)
        unresolved = [k for k in unresolved if k not in overrides]
        base = self.template_path.parent
        return FunctionSpec(
            name=logical_id,
            code_dir=(base / code).resolve(),
            handler=str(props.get("Handler", "")),
            timeout=float(props.get("Timeout", DEFAULT_TIMEOUT)),
            memory_mb=int(props.get("MemorySize", 128)),
            environment=env,
            layer_paths=tuple(self._layer_paths(props.get("Layers", []), resources)),
            unresolved=tuple(unresolved),
        )

    def logical_id(self, name: str) -> str:
        """The function's logical ID from an ARN, a logical ID, or the template's ``FunctionName``."""
        wanted = function_name_from_arn(name)
        for logical_id, registered in self._registered.items():
            if wanted in (logical_id, registered.physical_name):
                return logical_id
        resources = self._resources()
        if resources.get(wanted, {}).get("Type") in FUNCTION_TYPES:
            return wanted
        for logical_id, resource in resources.items():
            if resource.get("Type") not in FUNCTION_TYPES:
                continue
            try:
                if self._resolver.resolve(resource.get("Properties", {}).get("FunctionName")) == wanted:
                    return logical_id
            except (Unresolved, KeyError, IndexError):
                continue
        raise FunctionNotFound(name)

    def set_environment(self, name: str, variables: dict[str, str]) -> None:
        """Override variables (like UpdateFunctionConfiguration): warm environments are retired."""
        try:
            logical_id = self.logical_id(name)
        except FunctionNotFound:
            logical_id = function_name_from_arn(name)  # kept for a function the template may gain
        self._overrides.setdefault(logical_id, {}).update(variables)
        with self._lock:
            pool = self._pools.pop(logical_id, None)
        if pool:
            pool.close()

    def invoke(self, name: str, event: Any, *, time_limit: float | None = None) -> Invocation:
        """Run the handler once; ``time_limit`` (seconds, start-up included) caps the function's Timeout."""
        spec = self.spec(name)
        limit = spec.timeout if time_limit is None else min(spec.timeout, time_limit)
        with self._lock:
            pool = self._pools.get(spec.name)
            if pool is None:
                pool = self._pools[spec.name] = _Pool(spec, self._python, self.logs)
        result = pool.invoke(event, limit)
        for observer in self.observers:
            observer(spec, result)
        return result

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    def _resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self._template.get("Resources", {})
        return resources

    def _layer_paths(self, layers: list[Any], resources: dict[str, Any]) -> list[Path]:
        paths: list[Path] = []
        for layer in layers:
            ref = layer.get("Ref") if isinstance(layer, dict) else None
            content = resources.get(ref, {}).get("Properties", {}).get("ContentUri") if ref else None
            if isinstance(content, str):
                folder = (self.template_path.parent / content).resolve()
                paths.append(folder / "python" if (folder / "python").is_dir() else folder)
        return paths


class _Pool:
    """A function's execution environments: idle ones are reused, busy ones never shared."""

    def __init__(self, spec: FunctionSpec, python: str, logs: deque[str]) -> None:
        self._spec = spec
        self._python = python
        self._logs = logs
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def invoke(self, event: Any, limit: float) -> Invocation:
        started = time.monotonic()
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        cold = worker is None
        if worker is None:
            worker = _Worker(self._spec, self._python, self._logs)
        error, payload = worker.run(event, started, limit, cold)
        duration = (time.monotonic() - started) * 1000
        if worker.alive:
            with self._lock:
                if self._closed:
                    worker.stop()
                else:
                    self._idle.append(worker)
        return Invocation(payload if error is None else error, error, cold, duration)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


class _Worker:
    def __init__(self, spec: FunctionSpec, python: str, logs: deque[str]) -> None:
        self._spec = spec
        self._replies: Queue[dict[str, Any] | None] = Queue()
        self._logs = logs
        self._ready = False
        env = _lambda_environment(spec)
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and worker script
            [python, "-I", str(WORKER), str(spec.code_dir), spec.handler],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            bufsize=1,
        )
        assert self._process.stdout is not None
        assert self._process.stderr is not None
        threading.Thread(target=self._read_replies, args=(self._process.stdout,), daemon=True).start()
        threading.Thread(target=self._read_logs, args=(self._process.stderr,), daemon=True).start()

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def run(self, event: Any, started: float, limit: float, cold: bool) -> tuple[dict[str, Any] | None, Any]:
        request_id = str(uuid.uuid4())
        deadline = started + limit
        if not self._ready:
            reply = self._next(deadline)
            if reply is None:
                return self._timed_out(request_id, limit, cold)
            if not reply.get("ready"):
                self.kill()
                return dict(reply.get("error") or _exited(request_id)), None
            self._ready = True
        assert self._process.stdin
        deadline_ms = time.time() * 1000 + (deadline - time.monotonic()) * 1000
        try:
            self._process.stdin.write(
                json.dumps({"event": event, "request_id": request_id, "deadline_ms": deadline_ms}) + "\n"
            )
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            self.kill()
            return _exited(request_id), None
        reply = self._next(deadline)
        if reply is None:
            return self._timed_out(request_id, limit, cold)
        if reply.get("error"):
            if not reply.get("ok", True) and reply["error"].get("errorType") == "Runtime.ExitError":
                self.kill()
            return dict(reply["error"]), None
        return None, json.loads(reply["result"])

    def stop(self) -> None:
        """The environment is shut down: end of input lets the worker return from its invoke loop
        and exit as a process does (its atexit handlers run); killed if it does not."""
        if self._process.stdin:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(STOP_TIMEOUT_S)
        self.kill()

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
            if stream:
                stream.close()

    def _next(self, deadline: float) -> dict[str, Any] | None:
        """The next reply, or None when the deadline passes first (a crash gives an ExitError reply)."""
        try:
            reply = self._replies.get(timeout=max(0.0, deadline - time.monotonic()))
        except Empty:
            return None
        return reply if reply is not None else {"ok": False, "error": _exited("")}

    def _timed_out(self, request_id: str, limit: float, cold: bool) -> tuple[dict[str, Any], None]:
        self.kill()
        return {
            "errorMessage": f"RequestId: {request_id} Error: Task timed out after {limit:.2f} seconds"
            + (" (including init)" if cold else ""),
            "errorType": "Sandbox.Timedout",
        }, None

    def _read_replies(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                self._replies.put(json.loads(line))
            except ValueError:
                continue
        self._replies.put(None)  # the process ended

    def _read_logs(self, stream: IO[str]) -> None:
        for line in stream:
            self._logs.append(f"[{self._spec.name}] {line.rstrip()}")


def _exited(request_id: str) -> dict[str, Any]:
    return {
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited without providing a reason",
        "errorType": "Runtime.ExitError",
    }


def _lambda_environment(spec: FunctionSpec) -> dict[str, str]:
    # COVERAGE_*: coverage's own variables, so `make test` measures the handlers in workers too.
    passed = {
        k: v
        for k, v in os.environ.items()
        if k.startswith(("AWS_", "COVERAGE_")) or k in ("PATH", "HOME", "LANG", "TZ")
    }
    region = passed.get("AWS_REGION") or passed.get("AWS_DEFAULT_REGION") or "us-east-1"
    return {
        **passed,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"local/[$LATEST]{uuid.uuid4().hex}",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        # What `sam local invoke` sets too: Powertools' Tracer then stays off (no X-Ray daemon here).
        "AWS_SAM_LOCAL": "true",
        "LAMBDA_TASK_ROOT": str(spec.code_dir),
        "_HANDLER": spec.handler,
        "LOCALCLOUD_LAYER_PATHS": os.pathsep.join(str(p) for p in spec.layer_paths),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "TZ": ":UTC",
        **spec.environment,
    }
