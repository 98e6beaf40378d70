"""The extension's life: bind, register, serve, refresh on INVOKE, stop on SHUTDOWN.

Order matters. The port is bound before registering, because Lambda starts the runtime as soon
as every extension has registered and the function's init may already ask for configuration.
Registering comes before anything slow (the first fetch imports hashing and TLS, in a thread).
A bad setting, a taken port or an unusable manifest is reported through init/error, which needs
the identifier that registering returns. Prefetch runs while the runtime and the function
initialise, instead of delaying them; only a manifest (WAIT_ON_MANIFEST, the default) is waited
for before Init completes, since it decides which credentials each configuration is read with.
"""

from __future__ import annotations

import os
import sys
import time

from appconfig_cache_extension.api import Api
from appconfig_cache_extension.cache import Cache
from appconfig_cache_extension.flags import prepare
from appconfig_cache_extension.log import Logger
from appconfig_cache_extension.runtime_api import ExtensionsApi, RuntimeApiError
from appconfig_cache_extension.server import Server, bind
from appconfig_cache_extension.settings import Settings, SettingsError, parse_settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket
    from collections.abc import Mapping

    from appconfig_cache_extension.manifest import Manifest
    from appconfig_cache_extension.plane import DataPlane

# Time kept back from an invocation's deadline when waiting for refreshes on INVOKE.
DEADLINE_MARGIN_S = 0.2
# Init must end within 10 s (Lambda's limit); a manifest in AppConfig is waited for at most this.
MANIFEST_WAIT_S = 8.0


class InitProblem(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def build_plane(settings: Settings, env: Mapping[str, str], log: Logger) -> tuple[DataPlane, Manifest | None]:
    """The data plane, and the manifest it reads credentials from (None without MANIFEST)."""
    if settings.local_development_directory:
        from appconfig_cache_extension.local_dev import LocalDirectoryPlane

        return LocalDirectoryPlane(settings.local_development_directory), None
    from appconfig_cache_extension.aws import AppConfigDataPlane

    plane = AppConfigDataPlane(settings, env)
    if settings.manifest is None:
        return plane, None
    from appconfig_cache_extension.aws import sts_client
    from appconfig_cache_extension.credentials import AssumedRole
    from appconfig_cache_extension.manifest import Manifest

    def role(spec: object) -> AssumedRole:
        from appconfig_cache_extension.manifest import RoleSpec

        assert isinstance(spec, RoleSpec)
        return AssumedRole(
            sts_client(env, plane.http, plane.region),
            plane.base_credentials,
            spec.role_arn,
            session_name=spec.session_name,
            external_id=spec.external_id,
            duration_s=spec.duration_s,
            on_failed_renewal=lambda error: log.warn(
                "role renewal failed", role=spec.role_arn, error=str(error)
            ),
        )

    source_key = None
    if settings.manifest.kind == "configuration":
        from appconfig_cache_extension.paths import parse_colon_form

        source_key = parse_colon_form(settings.manifest.value)
    manifest = Manifest(
        role, log, plane.base_credentials, wait_s=settings.poll_timeout_s, source_key=source_key
    )
    plane = AppConfigDataPlane(settings, env, http=plane.http, credentials_for=manifest.credentials_for)
    return plane, manifest


def run(name: str, env: Mapping[str, str]) -> int:
    """The whole life of the extension; returns the process exit status."""
    log = Logger()
    problem: tuple[str, str] | None = None
    settings = Settings()
    listener: socket.socket | None = None
    try:
        settings = parse_settings(env)
        log = Logger(settings.log_level)
        listener = bind(settings.http_port)
    except SettingsError as error:
        problem = ("Extension.InvalidSetting", str(error))
    except OSError as error:
        problem = (
            "Extension.PortInUse",
            f"cannot listen on 127.0.0.1:{settings.http_port} ({error.strerror}); "
            "set AWS_APPCONFIG_EXTENSION_HTTP_PORT to a free port",
        )

    extensions = ExtensionsApi(env.get("AWS_LAMBDA_RUNTIME_API", ""))
    try:
        extensions.register(name)
    except RuntimeApiError as error:
        log.fatal("cannot register", error=str(error))
        return 1
    if problem or listener is None:
        error_type, message = problem or ("Extension.Unknown", "no listener")
        return _init_failed(extensions, log, error_type, message)

    try:
        plane, manifest = build_plane(settings, env, log)
        cache = Cache(plane, settings, log, preparer=prepare)
        server = Server(listener, Api(cache).respond, log, wait_timeout_s=settings.poll_timeout_s)
        server.start()
        # Logged before prefetch starts: whether anything so far pulled in the SDK (it must not).
        log.info(
            "ready",
            port=settings.http_port,
            prefetch=len(settings.prefetch),
            sdk_loaded="botocore" in sys.modules,
        )
        if manifest is None:
            cache.prefetch(settings.prefetch)
        else:
            _start_with_manifest(settings, cache, manifest, log)
    except InitProblem as error:
        return _init_failed(extensions, log, error.error_type, str(error))
    try:
        return _event_loop(extensions, cache, server, settings, log)
    except RuntimeApiError as error:
        log.fatal("Extensions API failed", error=str(error))
        return 1
    except Exception as error:
        log.fatal("extension crashed", error=repr(error))
        try:  # noqa: SIM105 - contextlib would be one more import before registering
            extensions.exit_error("Extension.Crash", f"{type(error).__name__}: {error}")
        except RuntimeApiError:
            pass  # the Extensions API is gone too: exiting is all that is left
        return 1


def _init_failed(extensions: ExtensionsApi, log: Logger, error_type: str, message: str) -> int:
    log.fatal(message, errorType=error_type)
    try:  # noqa: SIM105 - see below
        extensions.init_error(error_type, message)
    except RuntimeApiError:
        pass  # the log line above is all that is left
    return 1


def _start_with_manifest(settings: Settings, cache: Cache, manifest: Manifest, log: Logger) -> None:
    """Apply the manifest (loaded now, or fetched from AppConfig), then prefetch everything."""
    from appconfig_cache_extension.manifest import ManifestError, parse_manifest
    from appconfig_cache_extension.paths import parse_colon_form

    assert settings.manifest is not None
    cache.on_new_version(manifest.write)

    def apply(text: str | bytes, origin: str) -> None:
        entries = parse_manifest(text, default_session_name=settings.role_session_name)
        changed = manifest.apply(entries)
        log.info("manifest applied", source=origin, configurations=len(entries))
        cached = cache.cached()
        for key in changed:
            if key in cached:
                manifest.write(key, cached[key])
        cache.prefetch(changed)

    source = settings.manifest
    if source.kind in {"file", "inline"}:
        try:
            if source.kind == "file":
                with open(source.value, "rb") as file:
                    text: str | bytes = file.read()
            else:
                text = source.value
            apply(text, source.kind)
        except (OSError, ManifestError) as error:
            raise InitProblem(
                "Extension.InvalidManifest", f"AWS_APPCONFIG_EXTENSION_MANIFEST: {error}"
            ) from None
        cache.prefetch(settings.prefetch)
        return

    manifest_key = parse_colon_form(source.value)
    failures: list[str] = []

    def on_version(key: object, snapshot: object) -> None:
        from appconfig_cache_extension.cache import Snapshot

        if key != manifest_key or not isinstance(snapshot, Snapshot):
            return
        try:
            apply(snapshot.content, str(manifest_key))
        except ManifestError as error:  # the last good manifest stays in force
            failures.append(str(error))
            log.error("manifest refused", source=str(manifest_key), error=str(error))

    cache.on_new_version(on_version)
    flights = cache.prefetch([manifest_key])
    flight = flights[0] if flights else None
    if not settings.wait_on_manifest:
        if flight is not None:
            flight.add_done_callback(manifest.ready.set)  # processed or not: stop holding fetches
        cache.prefetch(settings.prefetch)
        return
    if flight is not None:
        flight.done.wait(MANIFEST_WAIT_S)
    if not manifest.ready.is_set():
        found = cache.peek(manifest_key)
        reason = (
            failures[-1] if failures else str(found) if isinstance(found, Exception) else "no answer in time"
        )
        raise InitProblem(
            "Extension.InvalidManifest",
            f"AWS_APPCONFIG_EXTENSION_MANIFEST={source.value}: the manifest could not be read ({reason}); "
            "set AWS_APPCONFIG_EXTENSION_WAIT_ON_MANIFEST=false to start without it",
        )
    cache.prefetch(settings.prefetch)


def _event_loop(
    extensions: ExtensionsApi, cache: Cache, server: Server, settings: Settings, log: Logger
) -> int:
    while True:
        event = extensions.next_event()
        if event.type == "SHUTDOWN":
            log.info("shutdown", reason=event.body.get("shutdownReason"))
            server.stop()
            return 0
        if not server.alive:
            extensions.exit_error("Extension.ServerDied", "the HTTP server stopped unexpectedly")
            return 1
        # Lambda freezes the environment after this invocation: refresh what is due now, and
        # wait for it (bounded), so no fetch is left frozen halfway through.
        flights = cache.refresh_due()
        if flights:
            remaining = event.deadline_ms / 1000 - time.time() - DEADLINE_MARGIN_S if event.deadline_ms else 0
            cache.wait(flights, max(0.0, min(settings.poll_timeout_s, remaining or settings.poll_timeout_s)))


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "appconfig-cache"
    status = run(name, os.environ)
    sys.stdout.flush()
    sys.stderr.flush()
    # Fetch threads may be blocked in a socket call; nothing they hold needs cleaning up.
    os._exit(status)
