"""Flags for any client over HTTP: AWS's ``?flag=`` and ``Context`` headers, and OFREP (with the
real OpenFeature SDK and its OFREP provider), all evaluated by Powertools' rules."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from appconfig_cache_extension.flags import BUCKET_KEY, bucket

from tests.unit.extension.conftest import KEY, Serving

pytestmark = pytest.mark.unit
BASE = "/applications/app/environments/env/configurations/flags"
DOCUMENT = b"""
premium:
  default: false
  rules:
    tier is premium:
      when_match: true
      conditions:
        - {action: EQUALS, key: tier, value: premium}
limits:
  boolean_type: false
  default: {max_items: 20}
  rules:
    staff:
      when_match: {max_items: 500}
      conditions:
        - {action: ENDSWITH, key: email, value: "@example.com"}
rollout:
  default: false
  rules:
    ten percent:
      when_match: true
      conditions:
        - {action: KEY_LESS_THAN_VALUE, key: rollout_bucket, value: 10}
"""


@pytest.fixture
def flags(serving: Serving) -> Serving:
    serving.plane.configs[type(KEY)("app", "env", "flags")] = (DOCUMENT, "application/x-yaml")
    return serving


def call(
    serving: Serving, path: str, body: Any = None, headers: list[tuple[str, str]] | None = None
) -> tuple[int, dict[str, str], Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        serving.url(path), data=data, method="POST" if data is not None else "GET"
    )
    for name, value in headers or []:
        request.add_header(name, value)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            raw = response.read()
            return response.status, dict(response.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw.decode()
        return error.code, dict(error.headers), parsed


def raw_get(serving: Serving, path: str, header_lines: list[str]) -> tuple[int, bytes]:
    import socket

    with socket.create_connection(("127.0.0.1", serving.port), timeout=5) as sock:
        head = f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + "".join(
            f"{h}\r\n" for h in header_lines
        )
        sock.sendall(head.encode() + b"\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


def test_without_context_a_flag_is_its_entry_as_aws_documents(flags: Serving) -> None:
    status, _, body = call(flags, BASE + "?flag=premium")
    assert status == 200
    assert body == {"premium": json.loads(json.dumps(_document()["premium"]))}


def test_context_headers_evaluate_the_named_flags(flags: Serving) -> None:
    status, body = raw_get(
        flags, BASE + "?flag=premium&flag=limits", ["Context: tier=premium", "Context: email=a@example.com"]
    )
    assert (status, json.loads(body)) == (200, {"premium": True, "limits": {"max_items": 500}})
    status, body = raw_get(
        flags, BASE + "?flag=premium&flag=limits", ["Context: tier=basic, email=a@other.org"]
    )
    assert (status, json.loads(body)) == (200, {"premium": False, "limits": {"max_items": 20}})


def test_context_without_flag_names_evaluates_every_flag(flags: Serving) -> None:
    status, body = raw_get(flags, BASE, ["Context: tier=premium"])
    assert (status, json.loads(body)) == (
        200,
        {"premium": True, "limits": {"max_items": 20}, "rollout": False},
    )


def test_a_targeting_key_gives_the_documented_sticky_bucket(flags: Serving) -> None:
    users = [f"user-{i}" for i in range(200)]
    expected = {u for u in users if bucket("rollout", u) < 10}
    enabled = set()
    for user in users:
        status, body = raw_get(flags, BASE + "?flag=rollout", [f"Context: targetingKey={user}"])
        assert status == 200
        if json.loads(body)["rollout"]:
            enabled.add(user)
    assert enabled == expected
    assert 0 < len(enabled) < 60


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ("Context: tier", "key=value"),
        ("Context: =x", "key=value"),
        ("Context: a=1, a=2", "more than once"),
        (f"Context: {BUCKET_KEY}=5", "derived"),
    ],
)
def test_malformed_context_is_400(flags: Serving, header: str, why: str) -> None:
    status, body = raw_get(flags, BASE + "?flag=premium", [header])
    assert status == 400
    assert why.encode() in body


def test_ofrep_single_and_bulk(flags: Serving) -> None:
    status, _, body = call(flags, BASE + "/ofrep/v1/evaluate/flags/premium", {"context": {"tier": "premium"}})
    assert status == 200
    assert body == {
        "key": "premium",
        "value": True,
        "reason": "TARGETING_MATCH",
        "variant": "tier is premium",
        "metadata": body["metadata"],
    }
    status, headers, body = call(
        flags, BASE + "/ofrep/v1/evaluate/flags", {"context": {"email": "x@example.com"}}
    )
    assert status == 200
    values = {item["key"]: (item["value"], item["reason"]) for item in body["flags"]}
    assert values == {
        "premium": (False, "DEFAULT"),
        "limits": ({"max_items": 500}, "TARGETING_MATCH"),
        "rollout": (False, "DEFAULT"),
    }
    # The bulk ETag: the same answer for the same request is a 304 with no body.
    status, _, body = call(
        flags,
        BASE + "/ofrep/v1/evaluate/flags",
        {"context": {"email": "x@example.com"}},
        [("If-None-Match", headers["ETag"])],
    )
    assert status == 304
    assert not body


def test_ofrep_errors_carry_openfeature_codes(flags: Serving) -> None:
    status, _, body = call(flags, BASE + "/ofrep/v1/evaluate/flags/nope", {"context": {}})
    assert (status, body["errorCode"], body["key"]) == (404, "FLAG_NOT_FOUND", "nope")
    status, _, body = call(
        flags, BASE + "/ofrep/v1/evaluate/flags/premium", {"context": ["not", "an", "object"]}
    )
    assert (status, body["errorCode"]) == (400, "INVALID_CONTEXT")
    status, _, body = call(
        flags, "/applications/app/environments/env/configurations/missing/ofrep/v1/evaluate/flags", {}
    )
    assert (status, body["errorCode"]) == (404, "FLAG_NOT_FOUND")
    flags.plane.configs[type(KEY)("app", "env", "bad")] = (b"premium: {default: 3}", "application/x-yaml")
    status, _, body = call(
        flags, "/applications/app/environments/env/configurations/bad/ofrep/v1/evaluate/flags", {}
    )
    assert (status, body["errorCode"]) == (400, "PARSE_ERROR")


def test_the_openfeature_sdk_with_its_ofrep_provider(flags: Serving) -> None:
    from openfeature import api
    from openfeature.contrib.provider.ofrep import OFREPProvider
    from openfeature.evaluation_context import EvaluationContext

    api.set_provider(OFREPProvider(base_url=flags.url(BASE)), domain="extension-test")
    try:
        client = api.get_client(domain="extension-test")
        premium = EvaluationContext(targeting_key="user-1", attributes={"tier": "premium"})
        assert client.get_boolean_value("premium", False, premium) is True
        assert (
            client.get_boolean_value("premium", True, EvaluationContext(attributes={"tier": "basic"}))
            is False
        )
        assert client.get_object_value(
            "limits", {}, EvaluationContext(attributes={"email": "a@example.com"})
        ) == {"max_items": 500}
        details = client.get_boolean_details("nope", True)
        assert (details.value, details.error_code) == (True, "FLAG_NOT_FOUND")
        users = [f"user-{i}" for i in range(100)]
        rolled = {
            u for u in users if client.get_boolean_value("rollout", False, EvaluationContext(targeting_key=u))
        }
        assert rolled == {u for u in users if bucket("rollout", u) < 10}
    finally:
        api.clear_providers()


def _document() -> dict[str, Any]:
    import yaml

    return yaml.safe_load(DOCUMENT)  # type: ignore[no-any-return]
