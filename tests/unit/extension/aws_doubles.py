"""Stand-ins on loopback for what the extension talks to in AWS: an AppConfigData endpoint that
checks every signature with botocore's signer, an HTTP proxy (CONNECT and absolute form, plain or
TLS), and a certificate authority for TLS."""

from __future__ import annotations

import datetime
import json
import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bench.tls_front import make_certificates, pump

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ACCESS_KEY, SECRET_KEY, TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token/+="


@dataclass
class Tls:
    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_tls(folder: Path) -> Tls:
    """A CA and a certificate it signed for 127.0.0.1 and localhost (the benchmarks' own)."""
    return Tls(*make_certificates(folder))


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool


@dataclass
class FakeAppConfigData:
    """StartConfigurationSession and GetLatestConfiguration as AppConfigData answers them; each
    request's signature is recomputed with botocore's SigV4Auth and must match."""

    region: str = "us-east-1"
    content: bytes = b'{"a": {"default": true}}'
    requests: list[Recorded] = field(default_factory=list)
    error: tuple[int, str, dict[str, Any]] | None = None  # (status, x-amzn-ErrorType, body) for every call
    silent: bool = False  # never answer
    tls: Tls | None = None
    _server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{'localhost' if self.tls else '127.0.0.1'}:{self._server.server_address[1]}"

    def start(self) -> FakeAppConfigData:
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers.items())
                double.requests.append(
                    Recorded(
                        self.command,
                        self.path,
                        headers,
                        body,
                        double._valid(self.command, self.path, headers, body),
                    )
                )
                if double.silent:
                    threading.Event().wait(5)
                    return
                if double.error:
                    status, code, document = double.error
                    self._send(status, json.dumps(document).encode(), {"x-amzn-ErrorType": code})
                elif self.command == "POST" and self.path == "/configurationsessions":
                    self._send(201, json.dumps({"InitialConfigurationToken": "t/+=1"}).encode(), {})
                elif self.command == "GET" and self.path.startswith("/configuration?"):
                    token = parse_qs(urlsplit(self.path).query)["configuration_token"][0]
                    self._send(
                        200,
                        double.content,
                        {
                            "Content-Type": "application/json",
                            "Next-Poll-Configuration-Token": token + "+",
                            "Next-Poll-Interval-In-Seconds": "60",
                            "Version-Label": "v1",
                        },
                    )
                else:
                    self._send(404, b"{}", {"x-amzn-ErrorType": "UnknownOperationException"})

            do_GET = do_POST = _handle

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if self.tls:
            self._server.socket = self.tls.server_context().wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def _valid(self, method: str, path: str, headers: dict[str, str], body: bytes) -> bool:
        """Re-sign what arrived with botocore, at the time it claims, and compare."""
        claimed = headers.get("Authorization", "")
        stamp = headers.get("X-Amz-Date", "")
        if not claimed or not stamp:
            return False
        moment = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
        signed_names = claimed.split("SignedHeaders=")[1].split(",")[0].split(";")
        kept = {
            k: v
            for k, v in headers.items()
            if k.lower() in signed_names and k.lower() not in {"x-amz-date", "x-amz-security-token"}
        }
        scheme = "https" if self.tls else "http"
        request = AWSRequest(
            method=method, url=f"{scheme}://{headers['Host']}{path}", headers=kept, data=body
        )
        credentials = Credentials(ACCESS_KEY, SECRET_KEY, headers.get("X-Amz-Security-Token"))
        from unittest import mock

        with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
            SigV4Auth(credentials, "appconfigdata", self.region).add_auth(request)
        return bool(request.headers["Authorization"] == claimed)


@dataclass
class Proxy:
    """A forward proxy: CONNECT tunnels and absolute-form requests; records what it was sent."""

    tls: Tls | None = None
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (request line, headers)
    _listener: socket.socket | None = None

    @property
    def url(self) -> str:
        assert self._listener is not None
        return f"{'https' if self.tls else 'http'}://localhost:{self._listener.getsockname()[1]}"

    def start(self) -> Proxy:
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._listener:
            self._listener.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            if self.tls:
                client = self.tls.server_context().wrap_socket(client, server_side=True)
            reader = client.makefile("rb")
            line = reader.readline().decode().strip()
            headers = {}
            while (header := reader.readline()) not in (b"\r\n", b""):
                name, _, value = header.decode().partition(":")
                headers[name.strip()] = value.strip()
            self.seen.append((line, headers))
            method, target, _ = line.split(" ")
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                upstream = socket.create_connection((host, int(port)))
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._pipe(client, upstream)
            else:
                parts = urlsplit(target)
                upstream = socket.create_connection((parts.hostname or "", parts.port or 80))
                head = (
                    f"{method} {parts.path}?{parts.query} HTTP/1.1\r\n"
                    if parts.query
                    else f"{method} {parts.path} HTTP/1.1\r\n"
                )
                head += "".join(
                    f"{k}: {v}\r\n"
                    for k, v in headers.items()
                    if k.lower() not in {"connection", "content-length"}
                    and not k.lower().startswith("proxy-")
                )
                head += f"Content-Length: {headers.get('Content-Length', '0')}\r\n"
                body = reader.read(int(headers.get("Content-Length") or 0))
                upstream.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)
                response = b""
                while data := upstream.recv(65536):
                    response += data
                upstream.close()
                status, _, rest = response.partition(b"\r\n")
                client.sendall(status + b"\r\nConnection: close\r\n" + rest)  # one request per connection
                client.close()
        except OSError:
            client.close()

    @staticmethod
    def _pipe(client: Any, upstream: socket.socket) -> None:
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        pump(client, upstream)


def serving(double: Any) -> Iterator[Any]:
    double.start()
    try:
        yield double
    finally:
        double.stop()
