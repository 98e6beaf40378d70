"""The AWS agent's HTTP API through the real server, with urllib.request as AWS's sample uses it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from appconfig_cache_extension.plane import Unavailable
from appconfig_cache_extension.settings import ConfigKey

from tests.unit.extension.conftest import KEY, Serving

pytestmark = pytest.mark.unit
PATH = "/applications/app/environments/env/configurations/profile"


def fetch(serving: Serving, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(serving.url(path), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_200_with_content_type_etag_and_version(serving: Serving) -> None:
    status, headers, body = fetch(serving, PATH)
    assert (status, body) == (200, b'{"a": {"default": true}}')
    assert headers["Content-Type"] == "application/json"
    assert headers["ETag"].startswith('"')
    assert headers["Configuration-Version"]


def test_if_none_match_gives_304_without_a_body(serving: Serving) -> None:
    etag = fetch(serving, PATH)[1]["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        status, headers, body = fetch(serving, PATH, **{"If-None-Match": header})
        assert (status, body) == (304, b"")
        assert headers["ETag"] == etag
    assert fetch(serving, PATH, **{"If-None-Match": '"stale"'})[0] == 200


def test_percent_encoded_names_with_slashes_and_unicode(serving: Serving) -> None:
    serving.plane.configs[ConfigKey("my/app", "prod é", "p")] = (b"x", "text/plain")
    status, _, body = fetch(serving, "/applications/my%2Fapp/environments/prod%20%C3%A9/configurations/p")
    assert (status, body) == (200, b"x")


def test_unknown_configuration_is_404_with_a_short_text_body(serving: Serving) -> None:
    status, headers, body = fetch(serving, "/applications/app/environments/env/configurations/missing")
    assert status == 404
    assert headers["Content-Type"].startswith("text/plain")
    assert b"not found" in body
    assert len(body) < 200


def test_appconfig_failure_before_any_copy_is_502(serving: Serving) -> None:
    serving.plane.failures = [Unavailable("HTTP 500 from AppConfig")]
    status, _, body = fetch(serving, PATH)
    assert status == 502
    assert b"500" in body


def test_method_other_than_get_is_405_with_allow(serving: Serving) -> None:
    request = urllib.request.Request(serving.url(PATH), data=b"{}", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)
    assert raised.value.code == 405
    assert raised.value.headers["Allow"] == "GET"


def test_ping(serving: Serving) -> None:
    status, _, body = fetch(serving, "/ping")
    assert status == 200
    assert b"healthy" in body


def test_flags_are_selected_by_name_and_repeatable(serving: Serving) -> None:
    serving.plane.configs[KEY] = (
        b"a: {default: true}\nb: {default: false}\nc: {default: true}\n",
        "application/x-yaml",
    )
    status, headers, body = fetch(serving, PATH + "?flag=a&flag=c&other=ignored")
    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert json.loads(body) == {"a": {"default": True}, "c": {"default": True}}
    assert fetch(serving, PATH + "?flag=zzz")[0] == 404


def test_flags_of_a_document_that_is_not_a_mapping_is_400(serving: Serving) -> None:
    serving.plane.configs[KEY] = (b"[1, 2]", "application/json")
    assert fetch(serving, PATH + "?flag=a")[0] == 400
    serving.plane.configs[ConfigKey("app", "env", "bin")] = (b"\x00\x01", "application/octet-stream")
    assert fetch(serving, "/applications/app/environments/env/configurations/bin?flag=a")[0] == 400
