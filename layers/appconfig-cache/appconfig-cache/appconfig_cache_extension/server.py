"""A small single-threaded HTTP/1.1 server on epoll, hardened against misbehaving clients.

Why not ``http.server``: it gives each client a thread and formats every response anew. Why
not asyncio: importing it costs 20-60 ms of the extension's start-up, and its event loop
spends more per request than this loop's whole path. Here every socket is non-blocking with
TCP_NODELAY; a warm read is one ``recv``, a dictionary lookup of the request head (clients send
the same bytes for the same read, so parsed heads are kept), and one ``send`` of a response
rendered once per version. A request that must wait for AppConfig parks its connection on the
fetch's flight, and the fetch thread wakes the loop when it lands: no thread per waiting
request, however many wait. Slow, oversized, malformed and half-closed clients each cost only
their own connection.
"""

from __future__ import annotations

import collections
import select
import socket
import threading
import time

from appconfig_cache_extension.api import Reply, error_reply, text_reply
from appconfig_cache_extension.cache import Flight
from appconfig_cache_extension.http_request import MAX_HEAD, MAX_REQUEST_LINE, HttpError, Request, parse_head

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from appconfig_cache_extension.log import Logger

    # respond(request, body, resumed): the reply, or the flight to wait for; after it lands (or
    # the wait times out) it is called again with resumed=True and must then answer.
    Responder = Callable[[Request, bytes, bool], Reply | Flight]

HEAD_TIMEOUT_S = 10.0  # a request head must arrive within this (slowloris)
WRITE_TIMEOUT_S = 30.0  # a client that stops reading a response is dropped after this
WAIT_TIMEOUT_S = 3.0  # how long a request waits for AppConfig (POLL_TIMEOUT_MILLIS)
# Lambda allows a process 1,024 open files; the fetches and the log need a few of them.
MAX_CLIENTS = 900
TICK_S = 1.0
MAX_HEADS = 1024  # distinct parsed request heads kept
READ_SIZE = 65536

_IN = select.EPOLLIN | select.EPOLLRDHUP if hasattr(select, "epoll") else select.POLLIN
_OUT = select.EPOLLOUT if hasattr(select, "epoll") else select.POLLOUT


def bind(port: int, host: str = "127.0.0.1") -> socket.socket:
    """The listening socket; raises OSError (e.g. EADDRINUSE) for the caller to report."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # On Linux SO_REUSEADDR only lets a restarted extension bind past its predecessor's
        # TIME_WAIT connections; a second live listener on the port still fails (EADDRINUSE).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        # The kernel's own limit (net.core.somaxconn): a burst of clients waits in the backlog.
        sock.listen(socket.SOMAXCONN)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class _Poller:
    """epoll where there is one (Linux, Lambda), poll elsewhere: the same four calls."""

    def __init__(self) -> None:
        if hasattr(select, "epoll"):
            self._epoll: select.epoll | None = select.epoll()
            self._poll = None
        else:
            self._epoll = None
            self._poll = select.poll()

    def register(self, fd: int, events: int) -> None:
        (self._epoll or self._poll).register(fd, events)  # type: ignore[union-attr]

    def modify(self, fd: int, events: int) -> None:
        (self._epoll or self._poll).modify(fd, events)  # type: ignore[union-attr]

    def unregister(self, fd: int) -> None:
        (self._epoll or self._poll).unregister(fd)  # type: ignore[union-attr]

    def poll(self, timeout_s: float) -> list[tuple[int, int]]:
        if self._epoll is not None:
            return self._epoll.poll(timeout_s)
        assert self._poll is not None
        return self._poll.poll(int(timeout_s * 1000))

    def close(self) -> None:
        if self._epoll is not None:
            self._epoll.close()


class Connection:
    __slots__ = (
        "active",
        "closing",
        "deadline",
        "draining",
        "eof",
        "events",
        "fd",
        "head_since",
        "inbuf",
        "out",
        "parked",
        "served",
        "sock",
    )

    def __init__(self, sock: socket.socket, now: float) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.inbuf = b""
        self.out: collections.deque[memoryview] = collections.deque()
        self.parked: tuple[Request, bytes] | None = None  # waiting for a flight to land
        self.deadline = float("inf")  # when a parked request stops waiting
        self.closing = False  # close once the output is flushed
        self.eof = False  # the client has half-closed (or closed) its side
        self.draining = False  # answered and shut for writing; discarding input until EOF
        self.head_since: float | None = None  # first byte of an incomplete request
        self.active = now  # last progress in either direction
        self.served = 0  # responses sent: only a connection that has had one is "idle"
        self.events = _IN  # what the poller watches for (0: nothing)


class Server:
    def __init__(
        self,
        listener: socket.socket,
        respond: Responder,
        log: Logger,
        *,
        head_timeout_s: float = HEAD_TIMEOUT_S,
        write_timeout_s: float = WRITE_TIMEOUT_S,
        wait_timeout_s: float = WAIT_TIMEOUT_S,
        tick_s: float = TICK_S,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` measures the timeouts; ``tick_s`` (real seconds) is how often they are checked."""
        self._clock = clock
        self._listener = listener
        self._listener_fd = listener.fileno()
        self._head_timeout = head_timeout_s
        self._write_timeout = write_timeout_s
        self._wait_timeout = wait_timeout_s
        self._tick = tick_s
        self._max_clients = max_clients
        self._respond = respond
        self._log = log
        self._poller = _Poller()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._woken = False
        self._landed: collections.deque[Connection] = collections.deque()
        self._clients: dict[int, Connection] = {}
        self._parked: set[Connection] = set()
        self._heads: dict[bytes, Request] = {}
        self._accepting = True
        self._running = False
        self._thread: threading.Thread | None = None
        self._poller.register(self._listener_fd, _IN)
        self._poller.register(self._wake_r.fileno(), _IN)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def start(self) -> None:
        self._running = True
        self._thread = threading.Thread(target=self.serve, name="appconfig-http", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 0.5) -> None:
        self._running = False
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)

    def serve(self) -> None:
        self._running = True
        listener_fd, wake_fd, clients = self._listener_fd, self._wake_r.fileno(), self._clients
        next_tick = time.monotonic() + self._tick
        try:
            while self._running:
                timeout = next_tick - time.monotonic()
                if self._parked:
                    timeout = min(timeout, min(c.deadline for c in self._parked) - self._clock())
                for fd, mask in self._poller.poll(max(0.0, timeout)):
                    if fd == listener_fd:
                        self._accept()
                    elif fd == wake_fd:
                        self._drain_wake()
                    else:
                        conn = clients.get(fd)
                        if conn is not None:
                            self._on_event(conn, mask)
                now = self._clock()
                if self._parked:
                    for conn in [c for c in self._parked if c.deadline <= now]:
                        self._resume(conn)
                if time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + self._tick
                    self._expire(now)
        finally:
            for conn in list(clients.values()):
                self._close(conn)
            self._poller.close()
            self._listener.close()

    # ------------------------------------------------------------------ events
    def _accept(self) -> None:
        while self._accepting:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # EMFILE and the like: keep serving the connections we have
                self._log.warn("accept failed", error=str(error))
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = Connection(sock, self._clock())
            self._clients[conn.fd] = conn
            self._poller.register(conn.fd, _IN)
            if len(self._clients) > self._max_clients and not self._evict_idle():
                # Every connection is in use: the rest wait in the backlog until one closes.
                self._poller.unregister(self._listener_fd)
                self._accepting = False

    def _on_event(self, conn: Connection, mask: int) -> None:
        try:
            if mask & _OUT:
                self._flush(conn)
            if mask & ~_OUT and conn.fd in self._clients:
                self._read(conn)
        except OSError:
            self._close(conn)
        except Exception as error:  # a bug costs this connection, never the server
            self._log.error("connection failed", error=repr(error))
            self._close(conn)

    def _read(self, conn: Connection) -> None:
        try:
            data = conn.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        conn.active = self._clock()
        if conn.draining:
            if not data:
                self._close(conn)
            return
        if not data:
            conn.eof = True
        elif conn.inbuf:
            conn.inbuf += data
        else:
            conn.inbuf = data
        self._process(conn)

    def _process(self, conn: Connection) -> None:
        """Answer every complete request in the buffer, one at a time (pipelining)."""
        heads = self._heads
        while conn.parked is None and not conn.out and not conn.closing:
            buffer = conn.inbuf
            if buffer[:2] == b"\r\n":  # stray CRLF between requests is tolerated
                conn.inbuf = buffer = buffer.lstrip(b"\r\n")
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self._incomplete(conn)
                break
            head = buffer[:end]
            request = heads.get(head)
            if request is None:
                try:
                    request = parse_head(head)
                except HttpError as error:
                    conn.inbuf = b""
                    self._send(conn, error_reply(error))
                    break
                if len(heads) >= MAX_HEADS:
                    heads.clear()
                heads[head] = request
            start = end + 4
            length = request.body_length
            if len(buffer) < start + length:  # the body is still arriving
                self._incomplete(conn)
                break
            body = buffer[start : start + length] if length else b""
            conn.inbuf = buffer[start + length :]
            conn.head_since = self._clock() if conn.inbuf else None
            self._handle(conn, request, body)
        self._update_interest(conn)

    def _incomplete(self, conn: Connection) -> None:
        buffered = len(conn.inbuf)
        if buffered and conn.head_since is None:
            conn.head_since = self._clock()
        first_line_end = conn.inbuf.find(b"\r\n", 0, MAX_REQUEST_LINE + 2)
        if first_line_end < 0 and buffered > MAX_REQUEST_LINE:
            self._send(conn, error_reply(HttpError(414, "request line too long")))
        elif buffered > MAX_HEAD and conn.inbuf.find(b"\r\n\r\n") < 0:
            self._send(conn, error_reply(HttpError(431, "request header fields too large")))
        elif conn.eof:
            # Half-closed before a complete request: nothing more will come.
            if buffered:
                self._send(conn, error_reply(HttpError(400, "incomplete request")))
            else:
                conn.closing = True

    def _handle(self, conn: Connection, request: Request, body: bytes) -> None:
        try:
            reply = self._respond(request, body, False)
        except Exception as error:  # a bug answers 500, the server lives on
            self._log.error("request failed", error=repr(error))
            reply = text_reply(500, "internal error", close=True)
        if isinstance(reply, Flight):
            self._park(conn, request, body, reply)
            return
        self._send(conn, reply, close=_closes(request))

    # ------------------------------------------------------------------ waiting for AppConfig
    def _park(self, conn: Connection, request: Request, body: bytes, flight: Flight) -> None:
        conn.parked = (request, body)
        conn.deadline = self._clock() + self._wait_timeout if flight.bounded else float("inf")
        self._parked.add(conn)
        flight.add_done_callback(lambda: self._land(conn))

    def _land(self, conn: Connection) -> None:
        """In the fetch thread (or inline, if the flight had already landed)."""
        self._landed.append(conn)
        self._wake()

    def _resume(self, conn: Connection) -> None:
        if conn.parked is None or conn.fd not in self._clients:
            return
        request, body = conn.parked
        conn.parked = None
        self._parked.discard(conn)
        try:
            reply = self._respond(request, body, True)
        except Exception as error:
            self._log.error("request failed", error=repr(error))
            reply = text_reply(500, "internal error", close=True)
        if isinstance(reply, Flight):  # fetched, and now the new version is being prepared
            self._park(conn, request, body, reply)
            return
        conn.deadline = float("inf")
        self._send(conn, reply, close=_closes(request))
        if conn.fd in self._clients and not conn.out and not conn.closing:
            self._process(conn)  # the next pipelined request, if one is buffered
        else:
            self._update_interest(conn)

    def _drain_wake(self) -> None:
        self._woken = False
        try:
            while self._wake_r.recv(4096):
                pass
        except OSError:
            pass
        while self._landed:
            conn = self._landed.popleft()
            try:
                self._resume(conn)
            except OSError:
                self._close(conn)

    # ------------------------------------------------------------------ output
    def _send(self, conn: Connection, reply: Reply, *, close: bool = False) -> None:
        close = close or reply.close
        conn.closing = close
        conn.served += 1
        if close:
            data: bytes | list[bytes] = [reply.head + b"Connection: close\r\n\r\n", reply.body]
        elif reply.wire is not None:
            data = reply.wire
        else:
            data = [reply.head + b"\r\n", reply.body]
        if not conn.out:
            try:
                # One system call for head and body, without copying a large body.
                sent = conn.sock.send(data) if isinstance(data, bytes) else conn.sock.sendmsg(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            total = len(data) if isinstance(data, bytes) else sum(map(len, data))
            if sent == total:
                if close:
                    self._linger(conn)
                return
            self._queue(conn, data, sent)
        else:
            self._queue(conn, data, 0)
        self._set_events(conn, _OUT)  # the rest goes when the socket can take it

    def _queue(self, conn: Connection, data: bytes | list[bytes], sent: int) -> None:
        for part in [data] if isinstance(data, bytes) else data:
            if sent >= len(part):
                sent -= len(part)
                continue
            conn.out.append(memoryview(part)[sent:])
            sent = 0

    def _flush(self, conn: Connection) -> None:
        while conn.out:
            try:
                sent = conn.sock.sendmsg(list(conn.out)[:8])
            except (BlockingIOError, InterruptedError):
                break
            conn.active = self._clock()
            while sent and conn.out:
                first = conn.out[0]
                if sent >= len(first):
                    sent -= len(first)
                    conn.out.popleft()
                else:
                    conn.out[0] = first[sent:]
                    sent = 0
        if not conn.out:
            if conn.closing:
                self._linger(conn)
                return
            if conn.inbuf and conn.parked is None:
                self._process(conn)  # requests pipelined behind the one just answered
                return
        self._update_interest(conn)

    def _linger(self, conn: Connection) -> None:
        """Close after the answer without losing it: closing a socket with unread input sends a
        reset, which can destroy the response before the client reads it (e.g. a 414 sent while
        the oversized request is still arriving). So shut for writing, discard input until EOF;
        the head timeout bounds the wait."""
        if conn.eof and not conn.inbuf:
            self._close(conn)
            return
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        conn.draining, conn.inbuf = True, b""
        conn.head_since = self._clock()
        self._set_events(conn, _IN)

    def _update_interest(self, conn: Connection) -> None:
        if conn.fd not in self._clients or conn.draining:  # (a lingering one keeps reading)
            return
        if conn.eof and conn.parked is None and not conn.out and not conn.inbuf:
            self._close(conn)
            return
        if conn.out:
            events = _OUT
        elif conn.parked is None and not conn.closing and not conn.eof:
            events = _IN  # no reading while a reply is pending: backpressure
        else:
            events = 0
        self._set_events(conn, events)

    def _set_events(self, conn: Connection, events: int) -> None:
        if events == conn.events:
            return
        if not events:
            self._poller.unregister(conn.fd)  # paused: a poller cannot watch for nothing
        elif conn.events:
            self._poller.modify(conn.fd, events)
        else:
            self._poller.register(conn.fd, events)
        conn.events = events

    # ------------------------------------------------------------------ housekeeping
    def _expire(self, now: float) -> None:
        for conn in list(self._clients.values()):
            slow_head = (
                conn.head_since is not None
                and now - conn.head_since > self._head_timeout
                and conn.parked is None
            )
            stalled_reader = bool(conn.out) and now - conn.active > self._write_timeout
            if slow_head or stalled_reader:
                self._close(conn)

    def _evict_idle(self) -> bool:
        """Make room by closing the longest-idle keep-alive connection: one that has had its
        answer and sent nothing since. A connection whose request is still unread is never idle."""
        idle = [
            c
            for c in self._clients.values()
            if c.served and c.parked is None and not (c.out or c.inbuf or c.draining)
        ]
        if not idle:
            return False
        self._close(min(idle, key=lambda c: c.active))
        return True

    def _close(self, conn: Connection) -> None:
        if self._clients.pop(conn.fd, None) is None:
            return
        self._parked.discard(conn)
        conn.parked = None
        if conn.events:
            self._poller.unregister(conn.fd)
        conn.sock.close()
        if not self._accepting:
            self._accepting = True
            self._poller.register(self._listener_fd, _IN)  # the backlog is served on the next poll

    def _wake(self) -> None:
        if self._woken:
            return
        self._woken = True
        try:  # noqa: SIM105 - contextlib would be one more import before serving
            self._wake_w.send(b"\0")
        except OSError:
            pass


def _closes(request: Request) -> bool:
    # A body only OFREP's POST takes; one sent with another method is read, answered, then closed.
    return not request.keep_alive or bool(request.body_length and request.method != "POST")
