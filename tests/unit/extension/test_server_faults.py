"""What a caller of localhost:2772 sees when the answer goes wrong behind the server: a bug in the
API answers 500 and the server lives on, a request that waits for AppConfig is answered when the
wait times out, a taken port is an error, and a full server takes waiting clients from the backlog
as soon as a connection closes."""

from __future__ import annotations

import io
import json
import socket
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from appconfig_cache_extension.api import Reply, text_reply
from appconfig_cache_extension.cache import Flight
from appconfig_cache_extension.log import Logger
from appconfig_cache_extension.server import Server, bind

from tests.unit.extension.test_server_hardening import closed_by_server, exchange, get, status_of, still_open

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from appconfig_cache_extension.http_request import Request

    from tests.unit.extension.conftest import ManualClock

pytestmark = pytest.mark.unit
WAIT_TIMEOUT_S = 5.0  # in the manual clock's seconds


class Faulty:
    """An API double: ``/ok`` answers; ``/boom`` raises; ``/wait`` waits for a flight that never
    lands and then answers 504 when resumed, or raises when resumed too if ``boom_on_resume``."""

    def __init__(self) -> None:
        self.boom_on_resume = False
        self.flights: list[Flight] = []
        self.waiting = threading.Event()  # a /wait request has been asked for its answer
        self.resumed = 0

    def __call__(self, request: Request, body: bytes, resumed: bool) -> Reply | Flight:
        if request.target == "/boom":
            raise RuntimeError("a bug")
        if request.target == "/wait":
            if not resumed:
                flight = Flight()
                self.flights.append(flight)
                self.waiting.set()
                return flight
            self.resumed += 1
            if self.boom_on_resume:
                raise RuntimeError("a bug after the wait")
            return text_reply(504, "no answer from AppConfig in time")
        return text_reply(200, "ok")


@dataclass
class Served:
    server: Server
    log: io.StringIO

    @property
    def port(self) -> int:
        return self.server.port

    def logged(self) -> list[dict[str, str]]:
        return [json.loads(line) for line in self.log.getvalue().splitlines()]


def running(
    respond: Callable[[Request, bytes, bool], Reply | Flight], clock: ManualClock, **options: int
) -> Iterator[Served]:
    log = io.StringIO()
    server = Server(
        bind(0),
        respond,
        Logger("info", log),
        wait_timeout_s=WAIT_TIMEOUT_S,
        tick_s=0.05,
        clock=clock,
        **options,
    )
    server.start()
    try:
        yield Served(server, log)
    finally:
        server.stop()


@pytest.fixture
def faulty() -> Faulty:
    return Faulty()


@pytest.fixture
def server(faulty: Faulty, clock: ManualClock) -> Iterator[Served]:
    yield from running(faulty, clock)


def parked(server: Served, faulty: Faulty) -> None:
    """Returns once the /wait request is parked: the server, one thread, has served a request
    on a connection it accepted after the /wait request was asked for its answer."""
    assert faulty.waiting.wait(30)
    assert status_of(exchange(server.port, get("/ok", "Connection: close\r\n"))) == 200


def test_a_bug_in_the_api_answers_500_and_the_server_lives_on(server: Served) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(get("/boom") + get("/ok"))  # the second is never answered: the 500 closes
        response = b""
        while data := sock.recv(65536):
            response += data
    assert status_of(response) == 500
    assert b"Connection: close" in response
    assert response.count(b"HTTP/1.1") == 1
    assert status_of(exchange(server.port, get("/ok", "Connection: close\r\n"))) == 200
    [record] = [r for r in server.logged() if r["message"] == "request failed"]
    assert "a bug" in record["error"]


def test_a_request_waiting_for_appconfig_is_answered_when_the_wait_times_out(
    server: Served, faulty: Faulty, clock: ManualClock
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(get("/wait") + get("/ok", "Connection: close\r\n"))
        parked(server, faulty)  # and others are served meanwhile
        clock.advance(WAIT_TIMEOUT_S - 1)
        assert status_of(exchange(server.port, get("/ok", "Connection: close\r\n"))) == 200
        assert faulty.resumed == 0
        assert still_open(sock)
        clock.advance(2)  # past the wait timeout
        response = b""
        while data := sock.recv(65536):
            response += data
    # The timed-out answer, then the request pipelined behind it.
    assert status_of(response) == 504
    assert response.count(b"HTTP/1.1 200 OK") == 1
    assert faulty.resumed == 1


def test_a_bug_after_the_wait_answers_500(server: Served, faulty: Faulty, clock: ManualClock) -> None:
    faulty.boom_on_resume = True
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(get("/wait"))
        parked(server, faulty)
        clock.advance(WAIT_TIMEOUT_S + 1)
        response = sock.recv(65536)
    assert status_of(response) == 500
    assert b"Connection: close" in response
    assert status_of(exchange(server.port, get("/ok", "Connection: close\r\n"))) == 200


def test_a_port_in_use_is_an_error_and_the_first_listener_keeps_it(server: Served) -> None:
    with pytest.raises(OSError, match="in use"):
        bind(server.port)
    assert status_of(exchange(server.port, get("/ok", "Connection: close\r\n"))) == 200


def test_a_full_server_takes_the_next_client_from_the_backlog_when_one_closes(
    faulty: Faulty, clock: ManualClock
) -> None:
    """With every slot held by a connection that is not idle (its request is still arriving),
    the next client waits in the backlog, and is served once a slot frees."""
    for server in running(faulty, clock, max_clients=1):
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=30) as busy,
            socket.create_connection(("127.0.0.1", server.port), timeout=30) as admitted,
        ):
            busy.sendall(b"GET /ok HTTP/1.1\r\nHost:")  # not idle: a request under way
            admitted.sendall(get("/ok"))
            assert status_of(admitted.recv(65536)) == 200  # over the limit, accepted, then no more
            with socket.create_connection(("127.0.0.1", server.port), timeout=30) as waiting:
                waiting.sendall(get("/ok"))
                assert still_open(waiting)  # in the backlog, not accepted
                busy.close()  # its incomplete request is dropped, and its slot freed
                assert status_of(waiting.recv(65536)) == 200
            # Taking the waiting one in went over the limit again: the idle one made room.
            assert closed_by_server(admitted)


def test_a_header_block_over_32_kib_without_its_end_is_refused(server: Served) -> None:
    response = exchange(server.port, b"GET /ok HTTP/1.1\r\nX-Big: " + b"b" * 40_000, half_close=True)
    assert status_of(response) == 431


def test_crlf_before_a_request_is_tolerated(server: Served) -> None:
    """RFC 9112 section 2.2: a server should ignore at least one empty line before a request line."""
    response = exchange(server.port, b"\r\n\r\n" + get("/ok", "Connection: close\r\n"))
    assert status_of(response) == 200
