"""Malformed and misbehaving clients: each gets a 4xx or a closed connection, and the server keeps
serving everyone else (checked after every case with a normal request on a new connection)."""

from __future__ import annotations

import contextlib
import socket

import pytest
from appconfig_cache_extension.api import Api
from appconfig_cache_extension.cache import Cache
from appconfig_cache_extension.flags import prepare
from appconfig_cache_extension.log import Logger
from appconfig_cache_extension.server import Server, bind
from appconfig_cache_extension.settings import Settings

from tests.unit.extension.conftest import (
    HEAD_TIMEOUT_S,
    KEY,
    ManualClock,
    MemoryPlane,
    Serving,
)

pytestmark = pytest.mark.unit

PATH = "/applications/app/environments/env/configurations/profile"


def exchange(port: int, data: bytes, *, half_close: bool = False, timeout: float = 3.0) -> bytes:
    """Send raw bytes, read until the server closes (or the timeout); the raw response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)  # the server may answer and stop reading before all is sent
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if (
                    not half_close
                    and b"\r\n\r\n" in b"".join(chunks)
                    and b"Connection: close" not in chunks[0]
                ):
                    break
        except (TimeoutError, ConnectionResetError):
            pass
        return b"".join(chunks)


def status_of(response: bytes) -> int | None:
    if not response:
        return None  # closed without an answer
    return int(response.split(b" ", 2)[1])


def assert_still_serving(serving: Serving) -> None:
    response = exchange(serving.port, f"GET {PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert status_of(response) == 200, response
    assert response.endswith(b'{"a": {"default": true}}')


def get(target: str, headers: str = "", method: str = "GET", version: str = "HTTP/1.1") -> bytes:
    return f"{method} {target} {version}\r\nHost: x\r\n{headers}\r\n".encode()


MALFORMED: dict[str, tuple[bytes, set[int | None]]] = {
    "request line over 8 KiB": (get("/" + "a" * 9000), {414}),
    "request line over 8 KiB without end": (b"GET /" + b"a" * 70000, {414}),
    "header block over 32 KiB": (get(PATH, "X-Big: " + "b" * 40000 + "\r\n"), {431}),
    "more than 100 header fields": (get(PATH, "".join(f"X-{i}: v\r\n" for i in range(150))), {431}),
    "path traversal": (get("/applications/../environments/env/configurations/profile"), {400}),
    "encoded path traversal": (get("/applications/%2e%2e/environments/env/configurations/profile"), {400}),
    "invalid percent escape": (get("/applications/a%zz/environments/env/configurations/profile"), {400}),
    "truncated percent escape": (get("/applications/a%4/environments/env/configurations/profile"), {400}),
    "percent-encoded bytes that are not UTF-8": (
        get("/applications/%ff%fe/environments/e/configurations/p"),
        {400},
    ),
    "raw non-ASCII bytes in the target": (
        b"GET /applications/\xc3\xa9/environments/e/configurations/p HTTP/1.1\r\n\r\n",
        {400},
    ),
    "encoded control character": (get("/applications/a%0ab/environments/e/configurations/p"), {400}),
    "empty path segment": (get("/applications//environments/env/configurations/profile"), {400}),
    "name over 128 characters": (get(f"/applications/{'n' * 129}/environments/e/configurations/p"), {400}),
    "NUL byte in a header": (get(PATH, "X-A: a\x00b\r\n"), {400}),
    "space before the colon": (get(PATH, "Host : x\r\n"), {400}),
    "obsolete line folding": (get(PATH, "X-A: a\r\n  folded\r\n"), {400}),
    "header line without a colon": (get(PATH, "NoColonHere\r\n"), {400}),
    "missing HTTP version": (b"GET /ping\r\n\r\n", {400}),
    "unsupported HTTP version": (get("/ping", version="HTTP/2.0"), {505}),
    "garbage HTTP version": (get("/ping", version="HTTX/1.1"), {400}),
    "illegal characters in the method": (get("/ping", method="G(ET"), {400}),
    "extra spaces in the request line": (b"GET  /ping HTTP/1.1\r\n\r\n", {400}),
    "POST": (get(PATH, "Content-Length: 2\r\n", method="POST") + b"{}", {405}),
    "DELETE": (get(PATH, method="DELETE"), {405}),
    "HEAD": (get("/ping", method="HEAD"), {405}),
    "conflicting Content-Length": (get(PATH, "Content-Length: 1\r\nContent-Length: 2\r\n"), {400}),
    "Content-Length with Transfer-Encoding": (
        get(PATH, "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n"),
        {400},
    ),
    "negative Content-Length": (get(PATH, "Content-Length: -1\r\n"), {400}),
    "absolute-form target": (get("http://127.0.0.1/ping"), {400}),
    "asterisk target": (get("*", method="OPTIONS"), {400}),
    "two Host headers": (get(PATH, "Host: y\r\n"), {400}),
    "empty flag name": (get(PATH + "?flag="), {400}),
    "fragment in the target": (get(PATH + "#frag"), {400}),
    "unknown route": (get("/applications/app"), {404}),
    "bare LF line endings, then half-close": (b"GET /ping HTTP/1.1\nHost: x\n\n", {400, None}),
    "binary garbage": (bytes(range(256)) * 4 + b"\r\n\r\n", {400}),
    "TLS handshake to the plain port": (
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n",
        {400},
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_request_is_refused_and_the_server_stays_up(serving: Serving, case: str) -> None:
    data, expected = MALFORMED[case]
    response = exchange(serving.port, data, half_close=True)
    assert status_of(response) in expected, response[:300]
    if response:  # a short text body saying what was wrong
        head, _, body = response.partition(b"\r\n\r\n")
        assert b"Content-Type: text/plain" in head
        assert 0 < len(body) < 200
    assert_still_serving(serving)


def closed_by_server(sock: socket.socket) -> bool:
    """Reads what is left; True once the server has closed its side (EOF or reset)."""
    sock.settimeout(30)  # a hang guard only: a closed socket reports EOF at once
    try:
        while sock.recv(1 << 20):
            pass
    except ConnectionResetError:
        pass
    return True


def still_open(sock: socket.socket) -> bool:
    """True when the server has neither sent anything more nor closed the connection."""
    sock.setblocking(False)
    try:
        return not sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)


def test_slow_client_is_dropped_after_the_head_timeout(serving: Serving) -> None:
    with socket.create_connection(("127.0.0.1", serving.port), timeout=3) as slow:
        slow.sendall(b"GET /ping HTTP/1.1\r\nHost:")
        # Served while the slow one dribbles; the server has read the slow bytes by now too (they
        # were waiting before this connection's first byte).
        assert_still_serving(serving)
        serving.clock.advance(HEAD_TIMEOUT_S - 1)
        assert_still_serving(serving)
        assert still_open(slow)
        serving.clock.advance(2)  # past the head timeout
        assert closed_by_server(slow)
    assert_still_serving(serving)


def test_connect_and_close_without_a_byte(serving: Serving) -> None:
    for _ in range(20):
        socket.create_connection(("127.0.0.1", serving.port)).close()
    assert_still_serving(serving)


def test_half_closed_client_still_gets_its_answer(serving: Serving) -> None:
    response = exchange(serving.port, get(PATH), half_close=True)
    assert status_of(response) == 200
    assert response.endswith(b'{"a": {"default": true}}')


def test_pipelined_requests_are_answered_in_order(serving: Serving) -> None:
    response = exchange(
        serving.port, get("/ping") + get(PATH) + get(PATH, "Connection: close\r\n"), half_close=True
    )
    assert response.count(b"HTTP/1.1 200 OK") == 3
    assert response.index(b"healthy") < response.index(b'{"a"')


SIZE = 16_000_000


def test_a_client_that_never_reads_a_large_response_does_not_block_others(serving: Serving) -> None:
    # Three answers of 16 MB: more than the kernel's socket buffers hold, so the server has output
    # left that the client does not take.
    serving.plane.configs[KEY] = (b"x" * SIZE, "application/octet-stream")
    with socket.create_connection(("127.0.0.1", serving.port)) as lazy:
        lazy.sendall(get(PATH) * 3)
        lazy.settimeout(30)
        assert lazy.recv(1, socket.MSG_PEEK)  # the server has begun the 48 MB it cannot finish
        for _ in range(3):  # others are served meanwhile, one after another
            response = exchange(serving.port, get("/ping", "Connection: close\r\n"))
            assert status_of(response) == 200


def test_a_request_with_a_body_is_answered_then_closed(serving: Serving) -> None:
    response = exchange(serving.port, get(PATH, "Content-Length: 5\r\n") + b"hello")
    assert status_of(response) == 200
    assert b"Connection: close" in response


def test_many_connections_beyond_the_limit_evict_the_longest_idle_ones(
    plane: MemoryPlane, clock: ManualClock
) -> None:
    """Beyond ``max_clients``, each new connection closes the longest-idle one that has had its
    answer (a kept-alive connection), so the newest are kept."""
    cache = Cache(plane, Settings(), Logger("none"), clock=clock, preparer=prepare)
    server = Server(bind(0), Api(cache).respond, Logger("none"), tick_s=0.05, clock=clock, max_clients=8)
    server.start()
    sockets = []
    try:
        for _ in range(12):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            sock.sendall(get("/ping"))
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")  # served: now an idle keep-alive
            sockets.append(sock)
            clock.advance(0.001)  # each one idle a little less long than the one before
        # The 9th to the 12th each closed the longest-idle one: the first four.
        assert all(closed_by_server(sock) for sock in sockets[:4])
        assert all(still_open(sock) for sock in sockets[4:])
    finally:
        for sock in sockets:
            sock.close()
        server.stop()
