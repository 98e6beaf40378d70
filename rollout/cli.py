"""Arguments, exit codes and the four commands.

Exit codes of ``push --wait``, ``restore --wait`` and ``promote --wait``: 0 deployed, 1 rejected
(or, before any upload, the file is invalid), 2 rolled back, 3 superseded by a newer version,
4 failed or timed out. 5: AWS refused or could not be reached; 64: the command line or the file
is unusable (or the version cannot be promoted to that stage).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

from rollout.target import Target, TargetError, from_stack

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from feature_validator.errors import FeatureFileInvalid
    from rollout_status.model import Record, Status

    from rollout.aws import ClientSet, Configuration

# What a person waits for before the upload is kept to what it needs: the status model, the
# output and the waiting come after it, while the pipeline works.
EXIT_CODES = {"deployed": 0, "rejected": 1, "rolled-back": 2, "superseded": 3, "failed": 4}
INVALID, TIMED_OUT, AWS_ERROR, USAGE = 1, 4, 5, 64
_T = TypeVar("_T")
DEFAULT_TIMEOUT = 3600.0
EPILOG = """exit codes of push --wait, restore --wait and promote --wait:
  0 deployed, 1 rejected (or the file is invalid: nothing uploaded), 2 rolled back,
  3 superseded by a newer version, 4 failed or timed out; 5 AWS error; 64 usage error"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse's own 2 would read as "rolled back" to a CI job.
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    where = common.add_argument_group("which configuration (a stack's outputs, or the bucket and key)")
    where.add_argument(
        "--stack", default=argparse.SUPPRESS, help="CloudFormation stack name (env ROLLOUT_STACK)"
    )
    where.add_argument(
        "--bucket", default=argparse.SUPPRESS, help="the configuration bucket (env ROLLOUT_BUCKET)"
    )
    where.add_argument(
        "--key",
        default=argparse.SUPPRESS,
        help="the configuration object's key (env ROLLOUT_KEY); with --stack, one of its configurations",
    )
    where.add_argument(
        "--environment",
        default=argparse.SUPPRESS,
        help="the stage (AppConfig environment) to wait for (default: the first)",
    )
    where.add_argument("--region", default=argparse.SUPPRESS, help="AWS Region (default: the SDK's)")

    top = _Parser(
        prog="rollout",
        description="Push a feature file and wait for its answer; show every version's status.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    commands = top.add_subparsers(dest="command", required=True, parser_class=_Parser)

    push = commands.add_parser(
        "push", parents=[common], help="validate, upload and (with --wait) wait for the answer"
    )
    push.add_argument("file", type=Path)
    push.add_argument(
        "--no-validate", action="store_true", help="upload without running the validator's checks"
    )
    _wait_options(push)

    status = commands.add_parser(
        "status", parents=[common], help="recent versions, or one version's whole record"
    )
    status.add_argument("version_id", nargs="?")
    status.add_argument(
        "--limit", type=int, default=10, help="how many versions the table shows (default 10)"
    )

    restore = commands.add_parser("restore", parents=[common], help="copy an older version onto the key")
    restore.add_argument("version_id")
    restore.add_argument(
        "--no-validate", action="store_true", help="restore without running the validator's checks"
    )
    _wait_options(restore)

    promote = commands.add_parser(
        "promote", parents=[common], help="approve a version that completed a stage for the next one"
    )
    promote.add_argument("version_id")
    promote.add_argument("--to", required=True, help="the stage to promote it to")
    _wait_options(promote)
    return top


def _wait_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--wait", action="store_true", help="wait for the version's final status")
    command.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds to wait (default 3600)"
    )
    command.add_argument(
        "--outputs",
        type=Path,
        help="append version-id=, status= and deployment-number= lines (GitHub's $GITHUB_OUTPUT)",
    )


def main(argv: Sequence[str] | None = None, clients: ClientSet | None = None) -> int:
    args = parser().parse_args(argv)
    from rollout.aws import Configuration

    try:
        if args.command == "push":
            return _push(args, clients)
        clients = clients or _clients(args)
        configuration = Configuration(clients, _target(args, clients))
        if args.command == "restore":
            return _restore(args, configuration)
        if args.command == "promote":
            return _promote(args, configuration)
        return _status(args, configuration)
    except TargetError as error:
        print(f"rollout: {error}", file=sys.stderr)
        return USAGE
    except Exception as error:
        if not _from_aws(error):
            raise
        print(f"rollout: AWS refused or could not be reached: {error}", file=sys.stderr)
        return AWS_ERROR


def run() -> None:
    """The ``rollout`` console script."""
    sys.exit(main())


def _clients(args: argparse.Namespace) -> ClientSet:
    """``push`` takes the light path when the settings allow (``rollout.light_settings``); every
    other command, and ``push`` otherwise, botocore's clients."""
    from rollout.aws import Clients

    region = getattr(args, "region", None)
    botocore = Clients(region)
    if args.command != "push":
        return botocore
    from rollout.light import light_clients

    return light_clients(os.environ, region, botocore) or botocore


def _from_aws(error: Exception) -> bool:
    """Whether ``error`` is botocore's: AWS's refusal, or no answer from it (imported only now:
    botocore stays out of the light path unless AWS said no)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(error, (ClientError, BotoCoreError))


def _target(args: argparse.Namespace, clients: ClientSet) -> Target:
    stack = getattr(args, "stack", None) or os.environ.get("ROLLOUT_STACK")
    bucket = getattr(args, "bucket", None) or os.environ.get("ROLLOUT_BUCKET")
    key = getattr(args, "key", None) or os.environ.get("ROLLOUT_KEY")
    environment = getattr(args, "environment", None)
    if bucket and key:
        return Target(bucket, key, environment, keys=(key,))
    if stack:
        found = from_stack(clients.cloudformation, stack)
        if args.command in ("promote", "status") and not key:
            # The version names its configuration: promote looks it up in each of the stack's;
            # status shows every configuration's versions.
            chosen = found.keys[0]
        else:
            chosen = found.key_for(key, str(getattr(args, "file", "") or "") or None)
        stage = environment or (found.stages[0] if found.stages else None)
        return Target(
            found.bucket, chosen, stage, keys=found.keys, stages=found.stages,
            queue_url=found.queue_url, approval=found.approval,
        )  # fmt: skip
    raise TargetError("name the configuration: --stack NAME, or --bucket B --key K")


def _problems(content: bytes) -> FeatureFileInvalid | None:
    """The validator Lambda's own checks: what it would refuse, or None."""
    from feature_validator.errors import FeatureFileInvalid
    from feature_validator.validate import validate

    try:
        validate(content)
    except FeatureFileInvalid as error:
        return error
    return None


def _refuse(name: str, problems: FeatureFileInvalid) -> None:
    """``FILE:line:column: path: message`` lines, and that nothing was uploaded."""
    from feature_validator.__main__ import print_problems

    print_problems(name, problems)
    print(f"{name}: not uploaded: the validator would refuse it", file=sys.stderr)


def _validate(name: str, content: bytes) -> bool:
    problems = _problems(content)
    if problems is not None:
        _refuse(name, problems)
    return problems is None


class _Background(Generic[_T]):
    """A call that mostly waits on the network (the stack's DescribeStacks), run on a thread
    while the caller checks the file; ``result()`` waits for it and raises what it raised."""

    def __init__(self, call: Callable[[], _T]) -> None:
        self._value: _T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], _T]) -> None:
        try:
            self._value = call()
        except BaseException as error:
            self._error = error

    def result(self) -> _T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def _push(args: argparse.Namespace, given: ClientSet | None) -> int:
    from rollout.aws import Configuration

    # Until the upload everything the command allocates (modules, the file's document) lives on:
    # the collector's passes over it cost about 5 % of that time and find nothing to collect.
    collecting = gc.isenabled()
    gc.disable()
    try:
        clients = given or _clients(args)
        # Which configuration, what the file holds, whether the validator takes it: answered in
        # that order (as if asked one after the other), but the stack's lookup waits on the
        # network while the checks run.
        target = _Background(lambda: _target(args, clients))
        try:
            content: bytes | None = args.file.read_bytes()
        except OSError as error:
            content, unreadable = None, error
        problems = None if content is None or args.no_validate else _problems(content)
        configuration = Configuration(clients, target.result())
        if content is None:
            print(f"rollout: cannot read {args.file}: {unreadable.strerror or unreadable}", file=sys.stderr)
            return USAGE
        if problems is not None:
            _refuse(str(args.file), problems)
            return INVALID
        version = configuration.upload(content)
    finally:
        if collecting:
            gc.enable()
    print(f"uploaded {args.file} to {configuration.target.uri} as version {version}", flush=True)
    return _maybe_wait(args, configuration, version, str(args.file))


def _restore(args: argparse.Namespace, configuration: Configuration) -> int:
    content = configuration.read_version(args.version_id)
    name = f"{configuration.target.key}@{args.version_id}"
    if not args.no_validate and not _validate(name, content):
        return INVALID
    version = configuration.restore(args.version_id)
    print(f"restored version {args.version_id} of {configuration.target.uri} as version {version}")
    return _maybe_wait(args, configuration, version, name)


def _promote(args: argparse.Namespace, configuration: Configuration) -> int:
    target = configuration.target
    stages = target.stages
    if not stages or target.queue_url is None:
        print("rollout: promote needs --stack (the stack's stages and deploy queue)", file=sys.stderr)
        return USAGE
    if args.to not in stages or stages.index(args.to) == 0:
        later = ", ".join(stages[1:]) or "none: the stack has one stage"
        print(f"rollout: {args.to!r} is not a stage a version is promoted to ({later})", file=sys.stderr)
        return USAGE
    from rollout_status.model import Status

    key, record = configuration.find(args.version_id)
    before = stages[stages.index(args.to) - 1]
    done = record.environments.get(before) if record else None
    if done is None or done.status is not Status.DEPLOYED:
        state = done.status.value if done else "no status"
        print(
            f"rollout: version {args.version_id} has not completed {before} ({state}): "
            f"only a version deployed in {before} is promoted to {args.to}",
            file=sys.stderr,
        )
        return USAGE
    configuration = configuration.for_key(key)
    configuration.promote(args.version_id, args.to)
    print(f"promoted version {args.version_id} of s3://{target.bucket}/{key} to {args.to}")
    configuration.target = configuration.target._replace(environment=args.to)
    return _maybe_wait(args, configuration, args.version_id, f"{key}@{args.version_id}")


def _maybe_wait(args: argparse.Namespace, configuration: Configuration, version: str, name: str) -> int:
    _outputs(args.outputs, {"version-id": version})
    if not args.wait:
        return 0
    from rollout import show
    from rollout.waiting import Waiter, status_in

    target = configuration.target
    progress = show.ProgressLine(sys.stderr)
    waiter = Waiter(
        configuration.record,
        configuration.deployment,
        monotonic=time.monotonic,
        sleep=time.sleep,
        on_progress=progress,
        environment=target.environment,
        stages=target.stages,
    )
    record = waiter.wait(version, args.timeout)
    progress.done()
    if record is None:
        print(f"timed out after {args.timeout:g} s: version {version} has no final status yet")
        if configuration.record_refused:
            print(
                f"(S3 refused to read its record: the caller needs s3:GetObject on "
                f"{target.key}.rollout/* and s3:ListBucket on the bucket)"
            )
        _outputs(args.outputs, {"status": "timed-out"})
        return TIMED_OUT
    for line in show.final_lines(record, name, target.environment, target.stages):
        print(line)
    final = status_in(record, target.environment, target.stages)
    assert final is not None  # the waiter returns only records with a final status
    _outputs(args.outputs, {"status": final.status.value, "deployment-number": final.deployment_number or ""})
    return exit_code(final.status)


def exit_code(status: Status) -> int:
    """The exit code of ``--wait`` for a final status."""
    return EXIT_CODES[status.value]


def _status(args: argparse.Namespace, configuration: Configuration) -> int:
    from rollout import show

    target = configuration.target
    if args.version_id:
        key, record = configuration.find(args.version_id)
        if record is None:
            print(f"version {args.version_id} of {target.uri} has no status record yet")
            return 0
        versions = configuration.for_key(key).versions(1)
        current = bool(versions) and versions[0]["VersionId"] == args.version_id
        print("\n".join(show.whole_record(record, current=current)))
        return 0
    from concurrent.futures import ThreadPoolExecutor

    blocks = []
    for key in target.keys or (target.key,):
        of_key = configuration.for_key(key)
        versions = of_key.versions(max(1, args.limit))
        with ThreadPoolExecutor(max_workers=8) as pool:
            records = list(pool.map(of_key.record, [v["VersionId"] for v in versions]))
        rows = [
            _row(version, record, target.stages) for version, record in zip(versions, records, strict=True)
        ]
        heading = f"s3://{target.bucket}/{key}" if len(target.keys) > 1 else None
        if not rows:
            blocks.append([f"s3://{target.bucket}/{key} has no versions"])
        else:
            blocks.append(([heading] if heading else []) + show.table(rows, target.stages))
    print("\n\n".join("\n".join(block) for block in blocks))
    return 0


def _row(version: dict[str, Any], record: Record | None, stages: tuple[str, ...]) -> dict[str, Any]:
    from rollout import show

    row: dict[str, Any] = {
        "version": version["VersionId"] + (" *" if version.get("IsLatest") else ""),
        "time": version["LastModified"].strftime("%Y-%m-%d %H:%M:%S"),
        "uploader": record.uploader.principal if record else "",
    }
    if stages:
        row.update({stage: show.stage_cell(record, stage) for stage in stages})
    else:
        row["status"] = record.status.value if record and record.status else ""
        row["deployment"] = record.deployment_number if record else ""
    return row


def _outputs(path: Path | None, values: dict[str, object]) -> None:
    if path is None:
        return
    with path.open("a") as handle:
        for name, value in values.items():
            handle.write(f"{name}={value}\n")
