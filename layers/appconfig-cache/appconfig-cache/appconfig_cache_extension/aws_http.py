"""A small HTTP/1.1 client for the extension's calls to AWS: keep-alive, TLS, proxies.

``http.client`` would do, but it imports ``email`` (and ``ssl`` even for plain HTTP), which
costs resident memory the extension's budget has no room for; the requests here are two
kinds of small exchanges with AWS, each on a pooled connection. What it does:

* ``https://`` with the system's trust store (or ``AWS_CA_BUNDLE``, as the SDKs read it),
  server name indication and host-name checks;
* ``PROXY_URL`` (``http://`` or ``https://``, ``user:password@`` as Basic credentials) with
  ``PROXY_HEADERS``: plain HTTP through the proxy in absolute form, HTTPS through a CONNECT
  tunnel (TLS inside TLS when the proxy itself is ``https://``);
* responses by ``Content-Length``, chunked, or until close; connections reused unless either
  side said ``close``, and checked for a close that arrived while the environment was frozen;
* one timeout for connecting and for every read (``POLL_TIMEOUT_MILLIS``), and no retries: the
  cache decides when to try again. (A caller may give connecting, TLS handshake included, a
  shorter one of its own, as botocore's ``connect_timeout`` does.)
"""

from __future__ import annotations

import base64
import select
import socket
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from typing import Any

MAX_HEAD = 64 * 1024
MAX_BODY = 8 * 1024 * 1024  # AppConfig's largest configuration is 2 MB (hosted); room to spare


class HttpClientError(OSError):
    """The exchange failed before a complete response (unreachable, reset, malformed, TLS)."""


class Url(tuple[str, str, int, str]):
    """``(scheme, host, port, path)`` of an ``http(s)://host[:port][/path]`` URL."""

    __slots__ = ()

    def __new__(cls, text: str) -> Url:
        scheme, sep, rest = text.partition("://")
        scheme = scheme.lower()
        if not sep or scheme not in {"http", "https"}:
            raise ValueError(f"not an http:// or https:// URL: {text!r}")
        authority, slash, path = rest.partition("/")
        if "?" in authority or "#" in authority:
            raise ValueError(f"malformed URL: {text!r}")
        authority = authority.rpartition("@")[2]
        if authority.startswith("["):
            host, _, port_text = authority[1:].partition("]")
            port_text = port_text.removeprefix(":")
        else:
            host, _, port_text = authority.partition(":")
        if not host or (port_text and not port_text.isdigit()):
            raise ValueError(f"malformed URL: {text!r}")
        port = int(port_text) if port_text else (443 if scheme == "https" else 80)
        return tuple.__new__(cls, (scheme, host.lower(), port, slash + path))

    @property
    def scheme(self) -> str:
        return self[0]

    @property
    def host(self) -> str:
        return self[1]

    @property
    def port(self) -> int:
        return self[2]

    @property
    def path(self) -> str:
        return self[3]

    @property
    def explicit_port(self) -> int | None:
        return None if self.port == (443 if self.scheme == "https" else 80) else self.port


def userinfo(text: str) -> str | None:
    """``user:password`` of a URL, percent-decoded, or None."""
    authority = text.partition("://")[2].partition("/")[0]
    if "@" not in authority:
        return None
    from appconfig_cache_extension.paths import percent_decode

    return percent_decode(authority.rpartition("@")[0])


class Response:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers  # lower-case names; repeated fields joined with ", "
        self.body = body


class _Connection:
    """A socket (plain, TLS, or TLS in a tunnel) with a read buffer."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise HttpClientError("the connection closed before the response was complete")
        self.buffer += chunk

    def read_until(self, marker: bytes, limit: int) -> bytes:
        while (end := self.buffer.find(marker)) < 0:
            if len(self.buffer) > limit:
                raise HttpClientError("response head too large")
            self._fill()
        data, self.buffer = self.buffer[:end], self.buffer[end + len(marker) :]
        return data

    def read_exactly(self, count: int) -> bytes:
        while len(self.buffer) < count:
            self._fill()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def read_to_close(self) -> bytes:
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                data, self.buffer = self.buffer, b""
                return data
            self.buffer += chunk
            if len(self.buffer) > MAX_BODY:
                raise HttpClientError("response body too large")

    def dropped(self) -> bool:
        """Whether a pooled connection was closed (or sent something unasked) while idle."""
        if self.buffer:
            return True
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def close(self) -> None:
        try:  # noqa: SIM105 - contextlib is one more import
            self.sock.close()
        except OSError:
            pass


class _TunnelledTls:
    """TLS to the target inside a TLS connection to an ``https://`` proxy (SSLSocket cannot wrap
    an SSLSocket, so the inner TLS runs on memory buffers over the outer socket)."""

    def __init__(self, outer: Any, context: ssl.SSLContext, hostname: str) -> None:
        import ssl

        self._ssl = ssl
        self._outer = outer
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._object = context.wrap_bio(self._incoming, self._outgoing, server_hostname=hostname)
        self._run(self._object.do_handshake)

    def _run(self, operation: Any, *args: Any) -> Any:
        while True:
            try:
                result = operation(*args)
            except self._ssl.SSLWantReadError:
                self._flush()
                data = self._outer.recv(65536)
                if not data:
                    self._incoming.write_eof()
                else:
                    self._incoming.write(data)
                continue
            self._flush()
            return result

    def _flush(self) -> None:
        pending = self._outgoing.read()
        if pending:
            self._outer.sendall(pending)

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = self._run(self._object.write, view)
            view = view[written:]

    def recv(self, size: int) -> bytes:
        try:
            return bytes(self._run(self._object.read, size))
        except self._ssl.SSLZeroReturnError:
            return b""

    def fileno(self) -> int:
        return int(self._outer.fileno())

    def settimeout(self, timeout: float | None) -> None:
        self._outer.settimeout(timeout)

    def close(self) -> None:
        self._outer.close()


class HttpClient:
    """Requests to AWS endpoints; safe to share between the fetch threads."""

    def __init__(
        self,
        *,
        timeout: float,
        connect_timeout: float | None = None,
        max_idle: int = 3,
        proxy_url: str | None = None,
        proxy_headers: tuple[tuple[str, str], ...] = (),
        ca_bundle: str | None = None,
        user_agent: str = "appconfig-cache-extension",
    ) -> None:
        self._timeout = timeout
        self._connect_timeout = timeout if connect_timeout is None else connect_timeout
        self._max_idle = max_idle
        self._proxy = Url(proxy_url) if proxy_url else None
        headers = list(proxy_headers)
        credentials = userinfo(proxy_url) if proxy_url else None
        if credentials is not None:
            token = base64.b64encode(credentials.encode()).decode()
            headers.append(("Proxy-Authorization", f"Basic {token}"))
        self._proxy_headers = "".join(f"{k}: {v}\r\n" for k, v in headers)
        self._ca_bundle = ca_bundle
        self._user_agent = user_agent
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}

    def request(
        self, method: str, url: Url, target: str, headers: dict[str, str], body: bytes = b""
    ) -> Response:
        """One exchange; ``target`` is the path and query as sent. Raises :class:`HttpClientError`
        (or ``TimeoutError``) when no complete response arrives."""
        origin = (url.scheme, url.host, url.port)
        conn = self._pooled(origin) or self._open(url)
        forwarding = self._proxy is not None and url.scheme == "http"
        line_target = f"http://{_authority(url)}{target}" if forwarding else target
        lines = [f"{method} {line_target} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"User-Agent: {self._user_agent}")
        if body or method in {"POST", "PUT"}:
            lines.append(f"Content-Length: {len(body)}")
        head = "\r\n".join(lines) + "\r\n" + (self._proxy_headers if forwarding else "") + "\r\n"
        try:
            conn.send(head.encode("latin-1") + body)
            response, reusable = _read_response(conn, method)
        except BaseException:
            conn.close()
            raise
        if reusable:
            self._release(origin, conn)
        else:
            conn.close()
        return response

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for conn in connections:
                conn.close()

    # ------------------------------------------------------------------ connections
    def _pooled(self, origin: tuple[str, str, int]) -> _Connection | None:
        while True:
            with self._lock:
                pool = self._idle.get(origin)
                if not pool:
                    return None
                conn = pool.pop()
            if not conn.dropped():
                return conn
            conn.close()

    def _release(self, origin: tuple[str, str, int], conn: _Connection) -> None:
        with self._lock:
            pool = self._idle.setdefault(origin, [])
            if len(pool) < self._max_idle:
                pool.append(conn)
                return
        conn.close()

    def _open(self, url: Url) -> _Connection:
        conn = self._connect(url)
        if self._connect_timeout != self._timeout:
            conn.sock.settimeout(self._timeout)
        return conn

    def _connect(self, url: Url) -> _Connection:
        proxy = self._proxy
        timeout = self._connect_timeout
        try:
            if proxy is None:
                sock: Any = socket.create_connection((url.host, url.port), timeout=timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if url.scheme == "https":
                    sock = self._tls().wrap_socket(sock, server_hostname=url.host)
                return _Connection(sock)
            sock = socket.create_connection((proxy.host, proxy.port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if proxy.scheme == "https":
                sock = self._tls().wrap_socket(sock, server_hostname=proxy.host)
            if url.scheme == "http":
                return _Connection(sock)  # requests go to the proxy in absolute form
            return self._tunnel(sock, url)
        except OSError as error:
            if isinstance(error, TimeoutError):
                raise
            raise HttpClientError(f"cannot connect to {_authority(url)}: {error}") from error

    def _tunnel(self, sock: Any, url: Url) -> _Connection:
        tunnel = _Connection(sock)
        authority = f"{url.host}:{url.port}"
        tunnel.send(
            f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n{self._proxy_headers}\r\n".encode(
                "latin-1"
            )
        )
        status_line, _ = _read_head(tunnel)
        status = _status(status_line)
        if status != 200:
            tunnel.close()
            raise HttpClientError(f"the proxy refused the tunnel to {authority}: {status_line}")
        context = self._tls()
        if tunnel.buffer:
            tunnel.close()
            raise HttpClientError("the proxy sent data before the tunnel was open")
        if self._proxy is not None and self._proxy.scheme == "https":
            return _Connection(_TunnelledTls(sock, context, url.host))
        return _Connection(context.wrap_socket(sock, server_hostname=url.host))

    def _tls(self) -> ssl.SSLContext:
        with self._lock:
            if self._context is None:
                import ssl  # only https endpoints pay for OpenSSL's TLS half

                self._context = ssl.create_default_context(cafile=self._ca_bundle)
            return self._context


def _authority(url: Url) -> str:
    host = f"[{url.host}]" if ":" in url.host else url.host
    return host if url.explicit_port is None else f"{host}:{url.port}"


def _read_head(conn: _Connection) -> tuple[str, dict[str, str]]:
    head = conn.read_until(b"\r\n\r\n", MAX_HEAD).decode("latin-1")
    status_line, *lines = head.split("\r\n")
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            raise HttpClientError("malformed response header")
        name = name.strip().lower()
        headers[name] = f"{headers[name]}, {value.strip()}" if name in headers else value.strip()
    return status_line, headers


def _status(status_line: str) -> int:
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise HttpClientError("malformed response status line")
    return int(parts[1])


def _read_response(conn: _Connection, method: str) -> tuple[Response, bool]:
    while True:
        status_line, headers = _read_head(conn)
        status = _status(status_line)
        if status >= 200 or status == 101:
            break  # 1xx interim responses are skipped
    reusable = status_line.startswith("HTTP/1.1") and "close" not in headers.get("connection", "").lower()
    if method == "HEAD" or status in {204, 304}:
        body = b""
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        body = _read_chunked(conn)
    elif "content-length" in headers:
        length = headers["content-length"]
        if not length.isdigit() or int(length) > MAX_BODY:
            raise HttpClientError("invalid Content-Length in the response")
        body = conn.read_exactly(int(length))
    else:
        body, reusable = conn.read_to_close(), False
    return Response(status, headers, body), reusable


def _read_chunked(conn: _Connection) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = conn.read_until(b"\r\n", 1024).split(b";")[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise HttpClientError("malformed chunk size") from None
        if size == 0:
            while conn.read_until(b"\r\n", MAX_HEAD):  # trailer fields, then the blank line
                pass
            return b"".join(parts)
        total += size
        if total > MAX_BODY:
            raise HttpClientError("response body too large")
        parts.append(conn.read_exactly(size))
        conn.read_exactly(2)
