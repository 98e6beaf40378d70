"""The extension's own HTTP/1.1 client against ``http.client``: the same raw responses, served from a
loopback socket, must give the same status, header fields, body and keep-alive decision; what
neither can read is an :class:`HttpClientError`. Framing follows RFC 9112 (message body length,
section 6.3; chunked coding, section 7.1) and RFC 9110 section 15.2 (1xx interim responses)."""

from __future__ import annotations

import base64
import contextlib
import http.client
import queue
import select
import socket
import string
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from appconfig_cache_extension import aws_http
from appconfig_cache_extension.aws_http import HttpClient, HttpClientError, Url
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.unit
WAIT_S = 10.0  # a bound on waits that end by an event, not a duration anything depends on


@dataclass(frozen=True)
class Answer:
    raw: bytes
    close: bool = False  # the server closes the connection after sending ``raw``


class RawServer:
    """Reads each request (head and Content-Length body) and answers it with the next queued raw
    bytes, on whichever connection it came; records requests, connections and client hang-ups."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._answers: queue.Queue[Answer] = queue.Queue()
        self._lock = threading.Lock()
        self.requests: list[bytes] = []
        self.connections = 0
        self.hangups = threading.Semaphore(0)  # released when a client closes a connection
        self.arrived = threading.Semaphore(0)  # released when a request has been read
        threading.Thread(target=self._accept, daemon=True).start()

    def answer(self, raw: bytes, *, close: bool = False) -> None:
        self._answers.put(Answer(raw, close))

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        buffer = b""
        with sock:
            while True:
                while b"\r\n\r\n" not in buffer:
                    try:
                        chunk = sock.recv(65536)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        self.hangups.release()
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buffer) < length:
                    buffer += sock.recv(65536)
                body, buffer = buffer[:length], buffer[length:]
                with self._lock:
                    self.requests.append(head + b"\r\n\r\n" + body)
                self.arrived.release()
                answer = self._answers.get(timeout=WAIT_S)
                with contextlib.suppress(OSError):  # the client may stop reading (too large)
                    sock.sendall(answer.raw)
                if answer.close:
                    return


@pytest.fixture
def server() -> Iterator[RawServer]:
    raw_server = RawServer()
    yield raw_server
    raw_server.close()


@dataclass(frozen=True)
class Seen:
    status: int
    headers: dict[str, str]
    body: bytes
    reused: bool


def joined(fields: list[tuple[str, str]]) -> dict[str, str]:
    """Header fields as aws_http keeps them: lower-case names, repeated fields joined with ", "."""
    headers: dict[str, str] = {}
    for name, value in fields:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


# The answer to the request that shows whether a connection was kept.
NEXT = b"HTTP/1.1 204 No Content\r\n\r\n"


def via_aws_http(server: RawServer, answer: Answer, method: str) -> Seen:
    client = HttpClient(timeout=WAIT_S)
    url = Url(f"http://127.0.0.1:{server.port}")
    server.answer(answer.raw, close=answer.close)
    response = client.request(method, url, "/first", {"Host": "127.0.0.1"})
    before = server.connections
    server.answer(NEXT)
    assert client.request("GET", url, "/next", {"Host": "127.0.0.1"}).status == 204
    client.close()
    return Seen(response.status, response.headers, response.body, server.connections == before)


def via_http_client(server: RawServer, answer: Answer, method: str) -> Seen:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT_S)
    server.answer(answer.raw, close=answer.close)
    conn.request(method, "/first")
    response = conn.getresponse()
    body = response.read()
    reused = not response.will_close
    conn.close()
    return Seen(response.status, joined(response.getheaders()), body, reused)


def assert_alike(server: RawServer, answer: Answer, method: str = "GET") -> Seen:
    ours = via_aws_http(server, answer, method)
    theirs = via_http_client(server, answer, method)
    assert ours == theirs
    return ours


CASES = {
    "content-length": (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello", False, "GET"),
    "chunked, extensions and trailers": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\nA ; other\r\n, world!!!\r\n0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n",
        False,
        "GET",
    ),
    "chunked wins over content-length": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        False,
        "GET",
    ),
    "until close": (b"HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nthe rest of the stream", True, "GET"),
    "HTTP/1.0 until close": (b"HTTP/1.0 200 OK\r\n\r\nold", True, "GET"),
    # The server keeps these two open: the client itself must not reuse them.
    "HTTP/1.0 with a length": (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", False, "GET"),
    "Connection: close": (
        b"HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 2\r\n\r\nok",
        False,
        "GET",
    ),
    "100 Continue before the answer": (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone",
        False,
        "POST",
    ),
    "HEAD has no body": (b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", False, "HEAD"),
    "204 has no body": (b"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n", False, "GET"),
    "304 has no body": (b'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n', False, "GET"),
    "repeated fields": (
        b"HTTP/1.1 200 OK\r\nSet-Thing: a\r\nX-B:  spaced\r\nset-thing: b\r\nContent-Length: 0\r\n\r\n",
        False,
        "GET",
    ),
    "a 5xx with a body": (b"HTTP/1.1 503 Slow Down\r\nContent-Length: 7\r\n\r\nbusy...", False, "GET"),
}


@pytest.mark.parametrize(("raw", "close", "method"), CASES.values(), ids=CASES.keys())
def test_each_framing_reads_as_http_client_reads_it(
    server: RawServer, raw: bytes, close: bool, method: str
) -> None:
    seen = assert_alike(server, Answer(raw, close), method)
    assert seen.reused is (not close and b"HTTP/1.0" not in raw and b"Connection: Close" not in raw)


def test_an_interim_103_is_skipped_to_the_final_answer(server: RawServer) -> None:
    """RFC 9110 section 15.2: a client reads any number of 1xx before the final response
    (http.client returns a 103 as if it were final, so this one is not differential)."""
    server.answer(
        b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    )
    response = HttpClient(timeout=WAIT_S).request("GET", Url(f"http://127.0.0.1:{server.port}"), "/", {})
    assert (response.status, response.body, "link" in response.headers) == (200, b"ok", False)


TOKEN = st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=12)
VALUE = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20)
RESERVED = {"content-length", "transfer-encoding", "connection"}


@st.composite
def responses(draw: st.DrawFn) -> Answer:
    status = draw(st.sampled_from([200, 201, 202, 400, 403, 404, 429, 500, 503]))
    fields = draw(st.lists(st.tuples(TOKEN.filter(lambda n: n.lower() not in RESERVED), VALUE), max_size=6))
    repeat = draw(st.booleans())
    if fields and repeat:
        fields.append((fields[0][0].upper(), draw(VALUE)))  # a repeated field, in another case
    body = draw(st.binary(max_size=300))
    framing = draw(st.sampled_from(["length", "chunked", "close"]))
    head = f"HTTP/1.1 {status} Reason\r\n" + "".join(f"{n}: {v}\r\n" for n, v in fields)
    if framing == "length":
        return Answer(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
    if framing == "close":
        return Answer(f"{head}\r\n".encode() + body, close=True)
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(body) - 1)), max_size=4)))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True) if body[a:b]]
    coded = b"".join(
        f"{len(c):{draw(st.sampled_from(['x', 'X', '04x']))}}".encode()
        + draw(st.sampled_from([b"", b";ext=1", b" ; a=b"]))
        + b"\r\n"
        + c
        + b"\r\n"
        for c in chunks
    )
    trailer = draw(st.sampled_from([b"", b"X-Trailer: 1\r\n"]))
    return Answer(f"{head}Transfer-Encoding: chunked\r\n\r\n".encode() + coded + b"0\r\n" + trailer + b"\r\n")


# No deadline: the machine is shared, and how long an example takes is not what is tested.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer=responses())
def test_any_well_framed_response_reads_as_http_client_reads_it(server: RawServer, answer: Answer) -> None:
    assert_alike(server, answer)


# ---------------------------------------------------------------------------- what cannot be read
def fails(server: RawServer, raw: bytes, *, close: bool = True) -> str:
    server.answer(raw, close=close)
    with pytest.raises(HttpClientError) as error:
        HttpClient(timeout=WAIT_S).request("GET", Url(f"http://127.0.0.1:{server.port}"), "/", {})
    return str(error.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"HTTX/1.1 200 OK\r\n\r\n", "malformed response status line"),
        (b"HTTP/1.1 2OO OK\r\n\r\n", "malformed response status line"),
        (b"HTTP/1.1\r\n\r\n", "malformed response status line"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed response header"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunk size"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\nx", "invalid Content-Length"),
        (
            f"HTTP/1.1 200 OK\r\nContent-Length: {aws_http.MAX_BODY + 1}\r\n\r\n".encode(),
            "invalid Content-Length",
        ),
        (
            f"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{aws_http.MAX_BODY + 1:x}\r\n".encode(),
            "response body too large",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", "closed before the response was complete"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "closed before the response"),
        (b"HTTP/1.1 200 OK\r\nContent-Le", "closed before the response was complete"),
        (b"", "closed before the response was complete"),
    ],
    ids=[
        "not HTTP",
        "status not digits",
        "no status",
        "header without a colon",
        "chunk size not hex",
        "negative length",
        "list as length",
        "length over MAX_BODY",
        "chunk over MAX_BODY",
        "close mid-body",
        "close mid-chunk",
        "close mid-head",
        "close before any answer",
    ],
)
def test_what_cannot_be_read_is_an_http_client_error(server: RawServer, raw: bytes, message: str) -> None:
    assert message in fails(server, raw)


def test_a_body_until_close_over_max_body_is_refused(server: RawServer) -> None:
    assert "response body too large" in fails(
        server, b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * (aws_http.MAX_BODY + 65536)
    )


def test_a_head_over_max_head_is_refused(server: RawServer) -> None:
    # The head never ends: the client must give up at the limit rather than buffer without end.
    raw = b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"y" * (4 * aws_http.MAX_HEAD)
    assert fails(server, raw, close=False) == "response head too large"


# ------------------------------------------------------------------------------ pooled connections
def test_a_connection_with_unasked_bytes_is_not_reused(server: RawServer) -> None:
    client = HttpClient(timeout=WAIT_S)
    url = Url(f"http://127.0.0.1:{server.port}")
    server.answer(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale"
    )
    assert client.request("GET", url, "/", {}).body == b"ok"
    server.answer(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh")
    assert client.request("GET", url, "/", {}).body == b"fresh"  # not the unasked "stale"
    assert server.connections == 2


def test_a_pooled_connection_the_server_closed_while_idle_is_reopened(server: RawServer) -> None:
    client = HttpClient(timeout=WAIT_S)
    url = Url(f"http://127.0.0.1:{server.port}")
    # Keep-alive by its headers, yet closed by the server while the client holds it idle.
    server.answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close=True)
    assert client.request("GET", url, "/", {}).body == b"ok"
    [[pooled]] = client._idle.values()
    assert select.select([pooled.sock], [], [], WAIT_S)[0]  # the close has reached the client
    server.answer(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain")
    assert client.request("GET", url, "/", {}).body == b"again"
    assert server.connections == 2


def test_a_connect_timeout_of_its_own_leaves_reads_the_read_timeout(server: RawServer) -> None:
    """botocore's connect_timeout and read_timeout, as the rollout command gives them."""
    client = HttpClient(timeout=WAIT_S, connect_timeout=WAIT_S / 2)
    server.answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert client.request("GET", Url(f"http://127.0.0.1:{server.port}"), "/", {}).body == b"ok"
    [[pooled]] = client._idle.values()
    assert pooled.sock.gettimeout() == WAIT_S


def test_close_hangs_up_the_idle_connections(server: RawServer) -> None:
    client = HttpClient(timeout=WAIT_S)
    server.answer(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    client.request("GET", Url(f"http://127.0.0.1:{server.port}"), "/", {})
    client.close()
    assert server.hangups.acquire(timeout=WAIT_S)


def test_connections_over_max_idle_are_closed(server: RawServer) -> None:
    """Two requests at once need two connections; with max_idle=1 only one is kept."""
    client = HttpClient(timeout=WAIT_S, max_idle=1)
    url = Url(f"http://127.0.0.1:{server.port}")
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(client.request("GET", url, "/", {}).status))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for _ in threads:  # neither is answered before both have arrived, so each has its own connection
        assert server.arrived.acquire(timeout=WAIT_S)
    for _ in threads:
        server.answer(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    for thread in threads:
        thread.join(WAIT_S)
    assert results == [200, 200]
    assert server.connections == 2
    assert server.hangups.acquire(timeout=WAIT_S)  # the second one released was closed
    assert sum(len(pool) for pool in client._idle.values()) == 1


# ---------------------------------------------------------------------------------------- proxies
def test_a_proxy_that_refuses_the_tunnel_is_named(server: RawServer) -> None:
    client = HttpClient(
        timeout=WAIT_S,
        proxy_url=f"http://svc%3Aone:p%40ss@127.0.0.1:{server.port}",
        proxy_headers=(("X-Team", "config"),),
    )
    server.answer(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n", close=True)
    with pytest.raises(HttpClientError, match=r"refused the tunnel to appconfigdata\.example:443: .*407"):
        client.request("GET", Url("https://appconfigdata.example"), "/", {})
    [connect] = server.requests
    lines = connect.decode().split("\r\n")
    assert lines[0] == "CONNECT appconfigdata.example:443 HTTP/1.1"
    token = base64.b64encode(b"svc:one:p@ss").decode()
    assert {
        "Host: appconfigdata.example:443",
        f"Proxy-Authorization: Basic {token}",
        "X-Team: config",
    } <= set(lines)


def test_a_proxy_that_speaks_before_the_tunnel_is_open_is_refused(server: RawServer) -> None:
    client = HttpClient(timeout=WAIT_S, proxy_url=f"http://127.0.0.1:{server.port}")
    server.answer(b"HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK\r\n", close=False)
    with pytest.raises(HttpClientError, match="before the tunnel was open"):
        client.request("GET", Url("https://appconfigdata.example:8443"), "/", {})
    assert server.hangups.acquire(timeout=WAIT_S)


def test_plain_http_goes_to_the_proxy_in_absolute_form(server: RawServer) -> None:
    client = HttpClient(
        timeout=WAIT_S, proxy_url=f"http://u:p@127.0.0.1:{server.port}", proxy_headers=(("A", "b"),)
    )
    server.answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert client.request("GET", Url("http://[::1]:8080"), "/x?y=1", {"Host": "[::1]:8080"}).body == b"ok"
    lines = server.requests[0].decode().split("\r\n")
    assert lines[0] == "GET http://[::1]:8080/x?y=1 HTTP/1.1"
    assert {"Proxy-Authorization: Basic dTpw", "A: b"} <= set(lines)


# -------------------------------------------------------------------------------------------- URLs
@pytest.mark.parametrize(
    "text",
    [
        "http://h",
        "HTTPS://Host.Example:8443/p/q",
        "http://[::1]:8080/x",
        "https://[FE80::1]/",
        "https://user:pw@h.example/x/y",
        "http://h:80",
        "https://h:443/",
    ],
)
def test_urls_split_as_urllib_splits_them(text: str) -> None:
    parts = urlsplit(text)
    url = Url(text)
    default = 443 if parts.scheme == "https" else 80
    assert url == (parts.scheme, parts.hostname, parts.port or default, parts.path)
    assert url.explicit_port == (None if (parts.port or default) == default else parts.port)


@pytest.mark.parametrize(
    "text",
    [
        "ftp://h",
        "h.example",
        "http://h?x=1",
        "http://h#f",
        "http://",
        "http://:80",
        "http://h:x",
        "http://[::1]:x",
    ],
)
def test_urls_that_are_not_http_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        Url(text)
