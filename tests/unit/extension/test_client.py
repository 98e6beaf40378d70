"""The function-side client against the real server: keep-alive, 304 reuse, parse once per version."""

from __future__ import annotations

import socket

import pytest
from appconfig_cache import ConfigurationClient, ConfigurationError, ExtensionUnavailable
from appconfig_cache.feature_flags import ExtensionStore
from aws_lambda_powertools.utilities.feature_flags import FeatureFlags
from aws_lambda_powertools.utilities.feature_flags.exceptions import ConfigurationStoreError

from tests.unit.extension.conftest import KEY, ManualClock, Serving
from tests.unit.extension.test_flags_http import DOCUMENT

pytestmark = pytest.mark.unit


def test_unchanged_configuration_is_the_same_object_and_parsed_once(serving: Serving) -> None:
    client = ConfigurationClient(serving.port)
    first = client.get("app", "env", "profile")
    assert first.document == {"a": {"default": True}}
    again = client.get("app", "env", "profile")
    assert again is first
    assert again.document is first.document
    assert first.version is not None


def test_a_new_version_is_a_new_object_parsed_by_its_content_type(serving: Serving) -> None:
    client = ConfigurationClient(serving.port, max_age=0)
    first = client.get("app", "env", "profile")
    serving.plane.configs[KEY] = (b"a: {default: false}", "application/x-yaml")
    serving.clock.advance(46)  # past the poll interval
    second = client.get("app", "env", "profile")
    assert second is not first
    assert second.etag != first.etag
    assert second.document == {"a": {"default": False}}


def test_keep_alive_uses_one_connection(serving: Serving) -> None:
    client = ConfigurationClient(serving.port, max_age=0)
    client.get("app", "env", "profile")
    sock = client._sock
    for _ in range(50):
        client.get("app", "env", "profile")
    assert client._sock is sock


def test_a_stale_kept_alive_connection_is_replaced_transparently(serving: Serving) -> None:
    client = ConfigurationClient(serving.port, max_age=0)
    client.get("app", "env", "profile")
    assert client._sock is not None
    client._sock.shutdown(socket.SHUT_RDWR)  # as if the connection died while frozen
    assert client.get("app", "env", "profile").document == {"a": {"default": True}}


def test_errors_carry_the_status(serving: Serving) -> None:
    client = ConfigurationClient(serving.port)
    with pytest.raises(ConfigurationError) as raised:
        client.get("app", "env", "missing")
    assert raised.value.status == 404


def test_no_extension_is_a_clear_error_once_the_connect_timeout_has_passed() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clock = ManualClock()
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        clock.advance(seconds)

    client = ConfigurationClient(port, connect_timeout=0.3, clock=clock, sleep=sleep)
    started = clock()
    with pytest.raises(ExtensionUnavailable) as raised:
        client.get("app", "env", "profile")
    assert "layer" in str(raised.value)
    # Retried while the extension might still be starting, and not a pause longer.
    assert len(pauses) > 1
    assert 0.3 <= clock() - started < 0.3 + max(pauses)


def test_an_extension_that_never_answers_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        client = ConfigurationClient(silent.getsockname()[1], timeout=0.3)
        with pytest.raises(ExtensionUnavailable, match="no answer"):
            client.get("app", "env", "profile")


def test_powertools_feature_flags_through_the_store(serving: Serving) -> None:
    serving.plane.configs[type(KEY)("app", "env", "flags")] = (
        b"""
premium:
  default: false
  rules:
    tier is premium:
      when_match: true
      conditions:
        - {action: EQUALS, key: tier, value: premium}
""",
        "application/x-yaml",
    )
    store = ExtensionStore("app", "env", "flags", client=ConfigurationClient(serving.port))
    flags = FeatureFlags(store=store)
    assert flags.evaluate(name="premium", context={"tier": "premium"}, default=False) is True
    assert flags.evaluate(name="premium", context={"tier": "basic"}, default=True) is False


def test_store_envelope_and_errors(serving: Serving) -> None:
    serving.plane.configs[type(KEY)("app", "env", "wrapped")] = (
        b'{"features": {"x": {"default": true}}}',
        "application/json",
    )
    client = ConfigurationClient(serving.port)
    store = ExtensionStore("app", "env", "wrapped", envelope="features", client=client)
    assert store.get_configuration() == {"x": {"default": True}}
    with pytest.raises(ConfigurationStoreError):
        ExtensionStore("app", "env", "missing", client=client).get_configuration()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_repeated_reads_within_max_age_do_not_ask_the_extension(serving: Serving) -> None:
    clock = Clock()
    client = ConfigurationClient(serving.port, max_age=1.0, clock=clock, sleep=clock.sleep)
    first = client.get("app", "env", "profile")
    serving.server.stop()  # nobody answers any more
    clock.now += 0.9
    assert client.get("app", "env", "profile") is first  # from memory
    clock.now += 0.2  # past max_age: asks, and finds no extension
    with pytest.raises(ExtensionUnavailable):
        client.get("app", "env", "profile")


def test_after_max_age_a_new_version_is_seen(serving: Serving) -> None:
    clock = Clock()
    client = ConfigurationClient(serving.port, max_age=1.0, clock=clock)
    first = client.get("app", "env", "profile")
    serving.plane.configs[KEY] = (b'{"a": {"default": false}}', "application/json")
    serving.clock.advance(46)  # past the extension's poll interval in this fixture
    assert client.get("app", "env", "profile") is first  # within max_age: the copy in memory
    assert client.get("app", "env", "profile", max_age=0).document == {"a": {"default": False}}
    clock.now += 1.5
    assert client.get("app", "env", "profile").document == {"a": {"default": False}}


def test_flags_evaluated_by_the_extension(serving: Serving) -> None:
    from appconfig_cache.flags import ExtensionFlags

    serving.plane.configs[type(KEY)("app", "env", "flags")] = (DOCUMENT, "application/x-yaml")
    client = ConfigurationClient(serving.port)
    assert client.evaluate("app", "env", "flags", {"tier": "premium"}) == {
        "premium": True,
        "limits": {"max_items": 20},
        "rollout": False,
    }
    assert client.evaluate_flag("app", "env", "flags", "premium", {"tier": "basic"}) is False
    flags = ExtensionFlags("app", "env", "flags", client=client)
    assert flags.evaluate(name="premium", context={"tier": "premium"}, default=False) is True
    assert flags.evaluate(name="nope", context={}, default="fallback") == "fallback"
    assert flags.evaluate_all(context={"email": "a@example.com"})["limits"] == {"max_items": 500}
    # A configuration that cannot be read gives the default, as FeatureFlags does with its store.
    missing = ExtensionFlags("app", "env", "missing", client=client)
    assert missing.evaluate(name="premium", default="fallback") == "fallback"


def test_an_invalid_flags_document_raises_as_powertools_validation_does(serving: Serving) -> None:
    from appconfig_cache.flags import ExtensionFlags, FlagsUnavailable, InvalidFlags

    serving.plane.configs[type(KEY)("app", "env", "bad")] = (
        b"premium: {default: maybe}",
        "application/x-yaml",
    )
    flags = ExtensionFlags("app", "env", "bad", client=ConfigurationClient(serving.port))
    with pytest.raises(InvalidFlags):
        flags.evaluate(name="premium", default=False)
    with pytest.raises(FlagsUnavailable):
        ExtensionFlags("app", "env", "missing", client=ConfigurationClient(serving.port)).evaluate_all()


def test_a_context_the_extension_refuses_is_raised_not_defaulted(serving: Serving) -> None:
    """A caller's own mistake (OFREP INVALID_CONTEXT) must not hide behind the default value, and
    a document that is not valid flags is InvalidFlags for every flag at once too."""
    from appconfig_cache.flags import ExtensionFlags, InvalidFlags

    serving.plane.configs[type(KEY)("app", "env", "flags")] = (DOCUMENT, "application/x-yaml")
    flags = ExtensionFlags("app", "env", "flags", client=ConfigurationClient(serving.port))
    with pytest.raises(ConfigurationError) as one:
        flags.evaluate(name="premium", context={"targetingKey": 42}, default=False)
    with pytest.raises(ConfigurationError) as every:
        flags.evaluate_all(context={"targetingKey": 42})
    assert (
        (one.value.code, one.value.status)
        == (every.value.code, every.value.status)
        == ("INVALID_CONTEXT", 400)
    )
    assert "targetingKey must be a string" in one.value.message
    serving.plane.configs[type(KEY)("app", "env", "bad")] = (
        b"premium: {default: maybe}",
        "application/x-yaml",
    )
    with pytest.raises(InvalidFlags):
        ExtensionFlags("app", "env", "bad", client=ConfigurationClient(serving.port)).evaluate_all()
