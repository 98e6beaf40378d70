"""MANIFEST: both documented forms and the inline one, per-configuration credentials, writeTo,
and every invalid value refused with the configuration and field it is about."""

from __future__ import annotations

import json
import os
import stat
from typing import TYPE_CHECKING, Any

import pytest
from appconfig_cache_extension.aws import AppConfigDataPlane
from appconfig_cache_extension.cache import Snapshot
from appconfig_cache_extension.credentials import AssumedRole
from appconfig_cache_extension.log import Logger
from appconfig_cache_extension.manifest import Manifest, ManifestError, RoleSpec, parse_manifest
from appconfig_cache_extension.paths import ConfigKey
from appconfig_cache_extension.settings import ManifestSource, Settings, SettingsError, parse_settings
from appconfig_cache_extension.sigv4 import Credentials

from tests.unit.extension.aws_doubles import FakeAppConfigData, serving
from tests.unit.extension.test_aws_plane import environment

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.unit
P = "AWS_APPCONFIG_EXTENSION_"
SAMPLE = {
    "MyApp:Test:MyAllowListConfiguration": {},
    "My2ndApp:Beta:MyEnableMobilePaymentsFeatureFlagConfiguration": {
        "credentials": {
            "roleArn": "arn:aws:iam::123456789012:role/MyTestRole",
            "roleExternalId": "00b148e2-4ea4-46a1-ab0f-c422b54d0aac",
            "roleSessionName": "AwsAppConfigAgent",
            "credentialsDuration": "2h",
        },
        "writeTo": {
            "path": "/tmp/aws-appconfig/my-2nd-app/beta/my-enable-payments-feature-flag-configuration.json"
        },
    },
}


@pytest.mark.parametrize(
    ("value", "source"),
    [
        ("MyApp:MyEnv:MyManifestConfig", ManifestSource("configuration", "MyApp:MyEnv:MyManifestConfig")),
        ("/applications/A/environments/E/configurations/M", ManifestSource("configuration", "A:E:M")),
        ("file:/path/to/manifest.json", ManifestSource("file", "/path/to/manifest.json")),
        ('{"A:E:C": {}}', ManifestSource("inline", '{"A:E:C": {}}')),
    ],
)
def test_manifest_forms(value: str, source: ManifestSource) -> None:
    assert parse_settings({P + "MANIFEST": value}).manifest == source


@pytest.mark.parametrize("value", ["file:relative.json", "file:", "A:E", "nonsense", "A:E:C:D"])
def test_an_invalid_manifest_value_names_the_variable(value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        parse_settings({P + "MANIFEST": value})
    assert raised.value.variable == P + "MANIFEST"


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("FALSE", False), ("True", True)])
def test_wait_on_manifest(value: str, expected: bool) -> None:
    assert parse_settings({P + "WAIT_ON_MANIFEST": value}).wait_on_manifest is expected
    assert parse_settings({}).wait_on_manifest is True


@pytest.mark.parametrize("value", ["yes", "1", "maybe"])
def test_an_invalid_wait_on_manifest_names_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="WAIT_ON_MANIFEST"):
        parse_settings({P + "WAIT_ON_MANIFEST": value})


def test_the_documented_sample_reads_as_written() -> None:
    entries = parse_manifest(json.dumps(SAMPLE), default_session_name="AWSAppConfigAgentSession")
    plain = entries[ConfigKey("MyApp", "Test", "MyAllowListConfiguration")]
    assert (plain.role, plain.write_to) == (None, None)
    payments = entries[ConfigKey("My2ndApp", "Beta", "MyEnableMobilePaymentsFeatureFlagConfiguration")]
    assert payments.role == RoleSpec(
        "arn:aws:iam::123456789012:role/MyTestRole",
        "00b148e2-4ea4-46a1-ab0f-c422b54d0aac",
        "AwsAppConfigAgent",
        7200,
    )
    assert (
        payments.write_to
        == SAMPLE["My2ndApp:Beta:MyEnableMobilePaymentsFeatureFlagConfiguration"]["writeTo"]["path"]
    )


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [
        ("not json", "not JSON"),
        ("[]", "JSON object"),
        ({"A:E": {}}, "App:Env:Profile"),
        ({"A:E:C": []}, "must be an object"),
        ({"A:E:C": {"backup": {}}}, "unknown feature 'backup'"),
        ({"A:E:C": {"credentials": {"roleArn": "arn:aws:us-west-1:iam::123456789012:role/R"}}}, "roleArn"),
        (
            {"A:E:C": {"credentials": {"roleArn": "arn:aws:iam::123456789012:role/R", "role": "x"}}},
            "unknown credentials field",
        ),
        (
            {
                "A:E:C": {
                    "credentials": {
                        "roleArn": "arn:aws:iam::123456789012:role/R",
                        "credentialsDuration": "5m",
                    }
                }
            },
            "15m to 12h",
        ),
        (
            {
                "A:E:C": {
                    "credentials": {
                        "roleArn": "arn:aws:iam::123456789012:role/R",
                        "credentialsDuration": "13h",
                    }
                }
            },
            "15m to 12h",
        ),
        (
            {
                "A:E:C": {
                    "credentials": {
                        "roleArn": "arn:aws:iam::123456789012:role/R",
                        "roleSessionName": "has space",
                    }
                }
            },
            "roleSessionName",
        ),
        (
            {
                "A:E:C": {
                    "credentials": {"roleArn": "arn:aws:iam::123456789012:role/R", "roleExternalId": "x"}
                }
            },
            "roleExternalId",
        ),
        ({"A:E:C": {"writeTo": {"path": "relative/file"}}}, "absolute"),
        ({"A:E:C": {"writeTo": {"path": "/tmp/x", "mode": "0644"}}}, "writeTo"),
    ],
)
def test_an_invalid_manifest_is_refused_naming_the_configuration_and_field(
    manifest: Any, problem: str
) -> None:
    text = manifest if isinstance(manifest, str) else json.dumps(manifest)
    with pytest.raises(ManifestError, match=problem):
        parse_manifest(text, default_session_name="reader")


class FakeSts:
    def __init__(self) -> None:
        self.assumed: list[tuple[str, str]] = []  # (role, with the credentials of this access key)

    def assume_role(self, credentials: Credentials, **params: Any) -> Credentials:
        self.assumed.append((params["role_arn"], credentials.access_key))
        account = params["role_arn"].split(":")[4]
        return Credentials(f"ASIA{account}", "secret-" + account, "token-" + account, 4e9)


@pytest.fixture
def data() -> Iterator[FakeAppConfigData]:
    yield from serving(FakeAppConfigData())


def test_each_configuration_is_read_with_its_own_role(data: FakeAppConfigData) -> None:
    """Two vendor accounts in one manifest; a configuration it does not name uses the function's."""
    sts = FakeSts()
    base = AppConfigDataPlane(Settings(), environment(data.endpoint)).base_credentials

    def role(spec: RoleSpec) -> AssumedRole:
        return AssumedRole(
            sts, base, spec.role_arn, session_name=spec.session_name, duration_s=spec.duration_s
        )

    manifest = Manifest(role, Logger("none"), base)
    manifest.apply(
        parse_manifest(
            json.dumps(
                {
                    "B:E:C": {"credentials": {"roleArn": "arn:aws:iam::111111111111:role/Vendor"}},
                    "C:E:C": {"credentials": {"roleArn": "arn:aws:iam::222222222222:role/Vendor"}},
                }
            ),
            default_session_name="reader",
        )
    )
    plane = AppConfigDataPlane(
        Settings(), environment(data.endpoint), credentials_for=manifest.credentials_for
    )
    for key in (ConfigKey("B", "E", "C"), ConfigKey("C", "E", "C"), ConfigKey("Own", "E", "C")):
        plane.get_latest(key, plane.start_session(key))
    signers = [r.headers["Authorization"].split("Credential=")[1].split("/")[0] for r in data.requests]
    assert signers == ["ASIA111111111111"] * 2 + ["ASIA222222222222"] * 2 + ["AKIDEXAMPLE"] * 2
    assert sts.assumed == [
        ("arn:aws:iam::111111111111:role/Vendor", "AKIDEXAMPLE"),
        ("arn:aws:iam::222222222222:role/Vendor", "AKIDEXAMPLE"),
    ]  # each role assumed once, with the function's credentials, and kept


def test_write_to_replaces_the_copy_atomically_readable_by_the_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "config.json"
    manifest = Manifest(lambda spec: None, Logger("none"), None)  # type: ignore[arg-type,return-value]
    key = ConfigKey("A", "E", "C")
    manifest.apply(
        parse_manifest(json.dumps({"A:E:C": {"writeTo": {"path": str(path)}}}), default_session_name="reader")
    )
    manifest.write(key, Snapshot(b"v1", "application/json", '"1"'))
    assert path.read_bytes() == b"v1"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    manifest.write(key, Snapshot(b"v2", "application/json", '"2"'))
    assert path.read_bytes() == b"v2"
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.json"]  # no temporary left behind
    manifest.write(ConfigKey("Other", "E", "C"), Snapshot(b"x", "text/plain", '"x"'))  # not in the manifest
    assert path.read_bytes() == b"v2"


def test_two_threads_writing_one_path_at_once_both_land_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest's first write and a fetch thread's can meet on one path: neither may take
    the other's temporary file away (each would otherwise fail, or leave half a file)."""
    import threading

    from appconfig_cache_extension import manifest

    target = str(tmp_path / "app" / "env" / "config.json")
    first_written, second_done = threading.Event(), threading.Event()
    replace, errors = os.replace, list[BaseException]()

    def held_replace(source: str, destination: str) -> None:
        if threading.current_thread().name == "first":
            first_written.set()
            second_done.wait(timeout=30)
        replace(source, destination)

    def first() -> None:
        try:
            manifest.write_atomically(target, b'{"first": true}')
        except BaseException as error:
            errors.append(error)

    monkeypatch.setattr(os, "replace", held_replace)
    thread = threading.Thread(target=first, name="first")
    thread.start()
    assert first_written.wait(timeout=30)
    manifest.write_atomically(target, b'{"second": true}')
    second_done.set()
    thread.join(timeout=30)
    assert errors == []
    with open(target, "rb") as file:
        assert file.read() == b'{"first": true}'  # the last to replace wins, whole
    assert [p.name for p in (tmp_path / "app" / "env").iterdir()] == ["config.json"]
