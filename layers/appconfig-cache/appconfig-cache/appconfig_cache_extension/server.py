"""A small single-threaded HTTP/1.1 server on ``selectors``, hardened against misbehaving clients.

Why not ``http.server``: it leaves Nagle's algorithm on (a keep-alive read of a small body then
stalls ~40 ms) and gives each slow client a thread. Why not asyncio: importing it costs 20-60 ms
of the extension's start-up. Here every socket is non-blocking with TCP_NODELAY; warm reads are
answered inline from the cache; a request that must wait for AppConfig moves to a thread and
its connection pauses until the reply comes back through a wake-up pipe. Slow, oversized,
malformed and half-closed clients each cost only their own connection.
"""

from __future__ import annotations

import collections
import selectors
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from appconfig_cache_extension.api import Reply, error_reply, text_reply
from appconfig_cache_extension.http_request import MAX_HEAD, MAX_REQUEST_LINE, HttpError, Request, parse_head

if TYPE_CHECKING:
    from appconfig_cache_extension.log import Logger

HEAD_TIMEOUT_S = 10.0  # a request head must arrive within this (slowloris)
WRITE_TIMEOUT_S = 30.0  # a client that stops reading a response is dropped after this
MAX_CLIENTS = 128  # beyond it the longest-idle keep-alive connection is closed
TICK_S = 1.0

# respond(request, wait): the reply, or None when it must wait (then it is called again, in a thread).
Responder = Callable[[Request, bool], Reply | None]


def bind(port: int, host: str = "127.0.0.1") -> socket.socket:
    """The listening socket; raises OSError (e.g. EADDRINUSE) for the caller to report."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # On Linux SO_REUSEADDR only lets a restarted extension bind past its predecessor's
        # TIME_WAIT connections; a second live listener on the port still fails (EADDRINUSE).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class Connection:
    __slots__ = (
        "active",
        "busy",
        "closing",
        "draining",
        "eof",
        "events",
        "head_since",
        "inbuf",
        "outbuf",
        "sock",
    )

    def __init__(self, sock: socket.socket, now: float) -> None:
        self.sock = sock
        self.inbuf = bytearray()
        self.outbuf: collections.deque[memoryview] = collections.deque()
        self.busy = False  # a request of this connection is being answered by a thread
        self.closing = False  # close once the output is flushed
        self.eof = False  # the client has half-closed (or closed) its side
        self.draining = False  # answered and shut for writing; discarding input until EOF
        self.head_since: float | None = None  # first byte of an incomplete request head
        self.active = now  # last progress in either direction
        self.events = selectors.EVENT_READ  # what the selector watches for (0: unregistered)


class Server:
    def __init__(
        self,
        listener: socket.socket,
        respond: Responder,
        log: Logger,
        *,
        head_timeout_s: float = HEAD_TIMEOUT_S,
        write_timeout_s: float = WRITE_TIMEOUT_S,
        tick_s: float = TICK_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` measures the timeouts; ``tick_s`` (real seconds) is how often they are checked."""
        self._clock = clock
        self._listener = listener
        self._head_timeout = head_timeout_s
        self._write_timeout = write_timeout_s
        self._tick = tick_s
        self._respond = respond
        self._log = log
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._done: collections.deque[tuple[Connection, Reply]] = collections.deque()
        self._clients: dict[socket.socket, Connection] = {}
        self._running = False
        self._thread: threading.Thread | None = None
        self._selector.register(listener, selectors.EVENT_READ, None)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)

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
        last_tick = self._clock()
        try:
            while self._running:
                for key, mask in self._selector.select(self._tick):
                    if key.fileobj is self._listener:
                        self._accept()
                    elif key.fileobj is self._wake_r:
                        self._drain_wake()
                    else:
                        self._on_event(key.data, mask)
                now = self._clock()
                if now - last_tick >= self._tick:
                    last_tick = now
                    self._expire(now)
        finally:
            for conn in list(self._clients.values()):
                self._close(conn)
            self._selector.close()
            self._listener.close()

    # ------------------------------------------------------------------ events
    def _accept(self) -> None:
        while True:
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
            self._clients[sock] = conn
            self._selector.register(sock, selectors.EVENT_READ, conn)
            if len(self._clients) > MAX_CLIENTS:
                self._evict_idle()

    def _on_event(self, conn: Connection, mask: int) -> None:
        try:
            if mask & selectors.EVENT_WRITE:
                self._flush(conn)
                if conn.sock in self._clients and not conn.outbuf:
                    self._process(conn)  # the next pipelined request, if one is buffered
            if mask & selectors.EVENT_READ and conn.sock in self._clients:
                self._read(conn)
        except OSError:
            self._close(conn)
        except Exception as error:  # a bug costs this connection, never the server
            self._log.error("connection failed", error=repr(error))
            self._close(conn)

    def _read(self, conn: Connection) -> None:
        data = conn.sock.recv(65536)
        conn.active = self._clock()
        if conn.draining:
            if not data:
                self._close(conn)
            return
        if not data:
            conn.eof = True
        else:
            conn.inbuf += data
        self._process(conn)

    def _process(self, conn: Connection) -> None:
        """Answer every complete request in the buffer, one at a time (pipelining)."""
        while not conn.busy and not conn.outbuf and not conn.closing:
            while conn.inbuf.startswith(b"\r\n"):  # stray CRLF between requests is tolerated
                del conn.inbuf[:2]
            end = conn.inbuf.find(b"\r\n\r\n")
            if end < 0:
                self._incomplete(conn)
                break
            head = bytes(conn.inbuf[:end])
            del conn.inbuf[: end + 4]
            conn.head_since = self._clock() if conn.inbuf else None
            self._handle(conn, head)
        self._update_interest(conn)

    def _incomplete(self, conn: Connection) -> None:
        buffered = len(conn.inbuf)
        if buffered and conn.head_since is None:
            conn.head_since = self._clock()
        first_line_end = conn.inbuf.find(b"\r\n", 0, MAX_REQUEST_LINE + 2)
        if first_line_end < 0 and buffered > MAX_REQUEST_LINE:
            self._send(conn, error_reply(HttpError(414, "request line too long")))
        elif buffered > MAX_HEAD:
            self._send(conn, error_reply(HttpError(431, "request header fields too large")))
        elif conn.eof:
            # Half-closed before a complete head: nothing to answer.
            if buffered:
                self._send(conn, error_reply(HttpError(400, "incomplete request")))
            else:
                conn.closing = True

    def _handle(self, conn: Connection, head: bytes) -> None:
        try:
            request = parse_head(head)
        except HttpError as error:
            self._send(conn, error_reply(error))
            return
        close = not request.keep_alive or request.has_body  # bodies are never read: close after
        try:
            reply = self._respond(request, False)
        except Exception as error:  # a bug answers 500, the server lives on
            self._log.error("request failed", error=repr(error))
            reply = text_reply(500, "internal error", close=True)
        if reply is None:
            conn.busy = True
            threading.Thread(target=self._respond_later, args=(conn, request, close), daemon=True).start()
            return
        self._send(conn, reply, close=close)

    def _respond_later(self, conn: Connection, request: Request, close: bool) -> None:
        try:
            reply = self._respond(request, True) or text_reply(500, "internal error", close=True)
        except Exception as error:
            self._log.error("request failed", error=repr(error))
            reply = text_reply(500, "internal error", close=True)
        if close and not reply.close:
            reply = Reply(reply.head, reply.body, True)
        self._done.append((conn, reply))
        self._wake()

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except OSError:
            pass
        while self._done:
            conn, reply = self._done.popleft()
            conn.busy = False
            if conn.sock not in self._clients:
                continue
            try:
                self._send(conn, reply)
                self._process(conn)
            except OSError:
                self._close(conn)

    # ------------------------------------------------------------------ output
    def _send(self, conn: Connection, reply: Reply, *, close: bool = False) -> None:
        close = close or reply.close
        head = reply.head + (b"Connection: close\r\n\r\n" if close else b"\r\n")
        conn.closing = close
        conn.outbuf.append(memoryview(head))
        if reply.body:
            conn.outbuf.append(memoryview(reply.body))
        self._flush(conn)

    def _flush(self, conn: Connection) -> None:
        while conn.outbuf:
            try:
                # One system call for head and body, without copying the body.
                sent = conn.sock.sendmsg(list(conn.outbuf)[:8])
            except (BlockingIOError, InterruptedError):
                break
            conn.active = self._clock()
            while sent and conn.outbuf:
                first = conn.outbuf[0]
                if sent >= len(first):
                    sent -= len(first)
                    conn.outbuf.popleft()
                else:
                    conn.outbuf[0] = first[sent:]
                    sent = 0
        if not conn.outbuf and conn.closing:
            self._linger(conn)
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
        conn.draining, conn.inbuf = True, bytearray()
        conn.head_since = self._clock()
        if conn.events != selectors.EVENT_READ:
            if conn.events:
                self._selector.modify(conn.sock, selectors.EVENT_READ, conn)
            else:
                self._selector.register(conn.sock, selectors.EVENT_READ, conn)
            conn.events = selectors.EVENT_READ

    def _update_interest(self, conn: Connection) -> None:
        if conn.sock not in self._clients or conn.draining:  # (a lingering one keeps reading)
            return
        events = 0
        if conn.outbuf:
            events |= selectors.EVENT_WRITE
        elif not conn.busy and not conn.closing and not conn.eof:
            events |= selectors.EVENT_READ  # no reading while a reply is pending: backpressure
        if conn.eof and not conn.busy and not conn.outbuf and not conn.inbuf:
            self._close(conn)
            return
        if events == conn.events:
            return
        if not events:
            # Paused (a reply is being prepared): the selector cannot watch for nothing.
            self._selector.unregister(conn.sock)
        elif conn.events:
            self._selector.modify(conn.sock, events, conn)
        else:
            self._selector.register(conn.sock, events, conn)
        conn.events = events

    # ------------------------------------------------------------------ housekeeping
    def _expire(self, now: float) -> None:
        for conn in list(self._clients.values()):
            slow_head = (
                conn.head_since is not None and now - conn.head_since > self._head_timeout and not conn.busy
            )
            stalled_reader = bool(conn.outbuf) and now - conn.active > self._write_timeout
            if slow_head or stalled_reader:
                self._close(conn)

    def _evict_idle(self) -> None:
        idle = [c for c in self._clients.values() if not (c.busy or c.outbuf or c.inbuf)]
        if idle:
            self._close(min(idle, key=lambda c: c.active))

    def _close(self, conn: Connection) -> None:
        if self._clients.pop(conn.sock, None) is None:
            return
        if conn.events:
            self._selector.unregister(conn.sock)
        conn.sock.close()

    def _wake(self) -> None:
        try:  # noqa: SIM105 - contextlib would be one more import before serving
            self._wake_w.send(b"\0")
        except OSError:
            pass
