"""Malformed and misbehaving clients: each gets a 4xx or a closed connection, and the server keeps
serving everyone else (checked after every case with a normal request on a new connection)."""

from __future__ import annotations

import contextlib
import socket

import pytest
from appconfig_cache_extension.server import MAX_CLIENTS

from tests.unit.extension.conftest import HEAD_TIMEOUT_S, KEY, WRITE_TIMEOUT_S, Serving

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


def test_a_client_that_never_reads_a_large_response_does_not_block_others(serving: Serving) -> None:
    serving.plane.configs[KEY] = (b"x" * 4_000_000, "application/octet-stream")
    with socket.create_connection(("127.0.0.1", serving.port)) as lazy:
        # (The default receive buffer: a tiny one makes the drain below crawl through zero-window probes.)
        lazy.sendall(get(PATH) * 3)
        lazy.settimeout(30)
        assert lazy.recv(1, socket.MSG_PEEK)  # the server has begun the 12 MB it cannot finish
        response = exchange(serving.port, get("/ping", "Connection: close\r\n"))
        assert status_of(response) == 200
        serving.clock.advance(WRITE_TIMEOUT_S + 1)  # the write timeout closes it
        # A round trip takes the server through its loop, where it checks the timeouts, before
        # this test reads (reading would let the stalled response move again).
        assert status_of(exchange(serving.port, get("/ping", "Connection: close\r\n"))) == 200
        received = 0
        with contextlib.suppress(ConnectionResetError):
            while chunk := lazy.recv(1 << 20):
                received += len(chunk)
        assert received < 3 * 4_000_000  # closed before the end: never kept waiting on the reader


def test_a_request_with_a_body_is_answered_then_closed(serving: Serving) -> None:
    response = exchange(serving.port, get(PATH, "Content-Length: 5\r\n") + b"hello")
    assert status_of(response) == 200
    assert b"Connection: close" in response


def test_many_connections_beyond_the_limit_evict_the_longest_idle_ones(serving: Serving) -> None:
    sockets = []
    try:
        for _ in range(MAX_CLIENTS + 22):
            sockets.append(socket.create_connection(("127.0.0.1", serving.port)))
            serving.clock.advance(0.001)  # each one idle a little less than the one before
        assert_still_serving(serving)  # one more connection: 23 over the limit in all
        evicted = 23
        assert all(closed_by_server(sock) for sock in sockets[:evicted])
        assert all(still_open(sock) for sock in sockets[evicted:])
    finally:
        for sock in sockets:
            sock.close()
