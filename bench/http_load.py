"""Closed-loop HTTP/1.1 load over keep-alive connections, and the asyncio server it is compared with.

Run as scripts in their own processes (``python -m bench.http_load client|asyncio ...``) so the
server under test, the baseline server and the load each get a CPU of their own.

* ``client PORT CONNECTIONS SECONDS REQUEST_FILE``: each connection sends the request, reads the
  whole response (Content-Length), and sends again, for SECONDS; prints JSON with the number of
  responses and the latency percentiles in microseconds.
* ``asyncio RESPONSES_FILE``: an ``asyncio.Protocol`` server answering each request target with
  the bytes given for it (the same responses the extension sends), keep-alive, TCP_NODELAY;
  prints its port.
"""

from __future__ import annotations

import json
import selectors
import socket
import sys
import time


def load(port: int, connections: int, seconds: float, request: bytes) -> dict[str, float]:
    selector = selectors.DefaultSelector()
    state: dict[socket.socket, list[object]] = {}
    for _ in range(connections):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        state[sock] = [b"", time.perf_counter()]
        selector.register(sock, selectors.EVENT_READ)
        sock.send(request)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    done = 0
    while time.perf_counter() < deadline:
        for key, _ in selector.select(1.0):
            sock = key.fileobj  # type: ignore[assignment]
            assert isinstance(sock, socket.socket)
            entry = state[sock]
            data = sock.recv(1 << 20)
            if not data:
                raise RuntimeError("server closed a connection")
            buffer = entry[0] + data  # type: ignore[operator]
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                entry[0] = buffer
                continue
            length = int(buffer[:end].lower().split(b"content-length:")[1].split(b"\r\n")[0])
            if len(buffer) < end + 4 + length:
                entry[0] = buffer
                continue
            now = time.perf_counter()
            latencies.append((now - entry[1]) * 1e6)  # type: ignore[operator]
            done += 1
            entry[0] = buffer[end + 4 + length :]
            entry[1] = now
            sock.send(request)
    elapsed = seconds
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return {"rps": done / elapsed, "p50": pct(50), "p99": pct(99), "count": done}


def asyncio_server(responses: dict[bytes, bytes]) -> None:
    import asyncio

    class Http(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport = transport
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
                head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
                target = head.split(b" ", 2)[1]
                self.transport.write(
                    responses.get(target, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                )

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Http, "127.0.0.1", 0)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())


if __name__ == "__main__":
    if sys.argv[1] == "client":
        with open(sys.argv[5], "rb") as binary:
            request = binary.read()
        print(json.dumps(load(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), request)))
    else:
        with open(sys.argv[2]) as file:
            table = {k.encode(): bytes.fromhex(v) for k, v in json.load(file).items()}
        asyncio_server(table)
