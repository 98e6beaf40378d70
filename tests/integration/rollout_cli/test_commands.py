"""The ``rollout`` command against the local cloud's S3 and CloudFormation (the pipeline's side of
``--wait`` runs in tests/e2e)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from rollout_status.model import Change, Problem, Status, Uploader
from rollout_status.store import StatusStore

from localcloud.pipeline import ROOT
from localcloud.testing import versioned_bucket
from rollout.cli import main

if TYPE_CHECKING:
    from pathlib import Path

    from localcloud.testing import LocalCloud

BUCKET, KEY = "config-bucket", "team-a/feature-file.yml"
WHERE = ["--bucket", BUCKET, "--key", KEY]
VALID = ROOT / "demo" / "1-launch.yml"
BROKEN = ROOT / "demo" / "2-broken.yml"


@pytest.fixture
def s3(local_cloud: LocalCloud) -> Any:
    return versioned_bucket(local_cloud.client("s3"), BUCKET)


def versions(s3: Any) -> list[dict[str, Any]]:
    return [v for v in s3.list_object_versions(Bucket=BUCKET).get("Versions", []) if v["Key"] == KEY]


def test_a_broken_file_is_refused_with_its_problems_and_never_uploaded(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*WHERE, "push", str(BROKEN)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out, "every problem is printed"
    assert all(line.startswith(f"{BROKEN}:") for line in out)
    line, column = out[0].split(":")[1:3]
    assert line.isdigit()
    assert column.isdigit()
    assert versions(s3) == []


def test_a_valid_file_is_uploaded_as_yaml_and_its_version_printed(
    s3: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    outputs = tmp_path / "github-output"
    assert main([*WHERE, "push", str(VALID), "--outputs", str(outputs)]) == 0
    (version,) = versions(s3)
    assert capsys.readouterr().out.strip().endswith(f"as version {version['VersionId']}")
    head = s3.head_object(Bucket=BUCKET, Key=KEY, VersionId=version["VersionId"])
    assert head["ContentType"] == "application/x-yaml"
    assert outputs.read_text() == f"version-id={version['VersionId']}\n"


def test_no_validate_uploads_a_broken_file(s3: Any) -> None:
    assert main([*WHERE, "push", str(BROKEN), "--no-validate"]) == 0
    assert len(versions(s3)) == 1


def test_an_unreadable_file_and_a_missing_target_are_usage_errors(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*WHERE, "push", "/no/such/file.yml"]) == 64
    assert main(["push", str(VALID)]) == 64
    assert "--stack NAME, or --bucket B --key K" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main([*WHERE, "push"])
    assert exited.value.code == 64, "argparse's own 2 would read as rolled back"


def test_status_lists_versions_newest_first_with_their_records(
    s3: Any, local_cloud: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    store = StatusStore(s3, local_cloud.client("events"), bucket=BUCKET, key=KEY)
    older = s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"a: {}")["VersionId"]
    newer = s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"b: {}")["VersionId"]
    problem = Problem("$.b", 1, 4, "expected an object with a default")
    store.report(
        older, Change("production", Status.DEPLOYED, "deployment 2 completed", 2), uploader=Uploader("ci")
    )
    store.report(newer, Change("production", Status.REJECTED, "refused", problems=(problem,)))
    assert main([*WHERE, "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["VERSION", "STATUS", "DEPLOYMENT", "TIME", "UPLOADER"]
    assert lines[1].split()[:3] == [newer, "*", "rejected"]
    assert lines[2].split()[:3] == [older, "deployed", "2"]
    assert lines[2].split()[-1] == "ci"

    assert main([*WHERE, "status", newer]) == 0
    whole = capsys.readouterr().out
    assert f"version {newer} (current)" in whole
    assert "1:4: $.b: expected an object with a default" in whole


def test_restore_copies_the_version_without_its_status_tags(
    s3: Any, local_cloud: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    good = s3.put_object(Bucket=BUCKET, Key=KEY, Body=VALID.read_bytes(), Tagging="owner=team-a")["VersionId"]
    StatusStore(s3, local_cloud.client("events"), bucket=BUCKET, key=KEY).report(
        good, Change("production", Status.DEPLOYED, "completed", 1)
    )
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"later: {}")
    assert main([*WHERE, "restore", good]) == 0
    restored = versions(s3)[0]["VersionId"]
    assert restored != good
    assert s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == VALID.read_bytes()
    tags = s3.get_object_tagging(Bucket=BUCKET, Key=KEY, VersionId=restored)["TagSet"]
    assert tags == [{"Key": "owner", "Value": "team-a"}]
    assert f"as version {restored}" in capsys.readouterr().out


def test_the_stack_outputs_name_the_bucket_key_and_environment(
    s3: Any, local_cloud: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {"ConfigBucketName": BUCKET, "ConfigObjectKey": KEY, "AppConfigEnvironmentName": "production"}
    template = {
        "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }
    local_cloud.client("cloudformation").create_stack(
        StackName="rollout-test", TemplateBody=json.dumps(template)
    )
    assert main(["--stack", "rollout-test", "push", str(VALID)]) == 0
    assert len(versions(s3)) == 1
    assert main(["--stack", "no-such-stack", "status"]) == 64
    assert "no-such-stack" in capsys.readouterr().err
