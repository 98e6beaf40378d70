"""The extension's life: bind, register, serve, refresh on INVOKE, stop on SHUTDOWN.

Order matters. The port is bound before registering, because Lambda starts the runtime as soon
as every extension has registered and the function's init may already ask for configuration.
Registering comes before anything slow (botocore is imported later, by the first fetch, in a
thread). A bad setting or a taken port is reported through init/error, which needs the
identifier that registering returns. Prefetch runs while the runtime and the function
initialise, instead of delaying them.
"""

from __future__ import annotations

import os
import sys
import time

from appconfig_cache_extension.api import Api
from appconfig_cache_extension.cache import Cache
from appconfig_cache_extension.log import Logger
from appconfig_cache_extension.runtime_api import ExtensionsApi, RuntimeApiError
from appconfig_cache_extension.server import Server, bind
from appconfig_cache_extension.settings import Settings, SettingsError, parse_settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket
    from collections.abc import Mapping

    from appconfig_cache_extension.plane import DataPlane

# Time kept back from an invocation's deadline when waiting for refreshes on INVOKE.
DEADLINE_MARGIN_S = 0.2


def build_plane(settings: Settings) -> DataPlane:
    if settings.local_development_directory:
        from appconfig_cache_extension.local_dev import LocalDirectoryPlane

        return LocalDirectoryPlane(settings.local_development_directory)
    from appconfig_cache_extension.aws import BotocorePlane

    return BotocorePlane(settings)


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
        log.fatal(message, errorType=error_type)
        try:  # noqa: SIM105 - see below
            extensions.init_error(error_type, message)
        except RuntimeApiError:
            pass  # the log line above is all that is left
        return 1

    cache = Cache(build_plane(settings), settings, log)
    server = Server(listener, Api(cache).respond, log)
    server.start()
    # Logged before prefetch starts: whether anything so far pulled in the SDK (it must not).
    log.info(
        "ready",
        port=settings.http_port,
        prefetch=len(settings.prefetch),
        sdk_loaded="botocore" in sys.modules,
    )
    cache.prefetch(settings.prefetch)
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
