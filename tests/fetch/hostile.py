"""A hostile HTTP front on loopback for the client's tests: it answers each request with whatever script a test
gives it, byte by byte if it likes (headers that never end, a body that trickles, a length it will never send,
redirects to elsewhere). Raw sockets, because a well-behaved HTTP server library would refuse to misbehave."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Script = Callable[[socket.socket, "Request"], None]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HostileServer:
    script: Script | None = None
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            while not self._stop.is_set():
                request = _read_request(conn)
                if request is None:
                    return
                self.requests.append(request)
                try:
                    (self.script or ok())(conn, request)
                except OSError:
                    return


def _read_request(conn: socket.socket) -> Request | None:
    data = b""
    try:
        conn.settimeout(10)
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            body += conn.recv(65536)
    except (OSError, ValueError):
        return None
    return Request(method, path, headers, body)


def response(status: int, body: bytes = b"{}", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def ok(body: bytes = b'{"ok": true}') -> Script:
    return lambda conn, request: conn.sendall(response(200, body))


def in_turn(*scripts: Script) -> Script:
    """The first request gets the first script, the next the second, …; the last one repeats."""
    served = iter(scripts)
    last: list[Script] = []

    def script(conn: socket.socket, request: Request) -> None:
        current = next(served, None) or last[0]
        last[:] = [current]
        current(conn, request)

    return script


def trickle(headers_first: bool = True, every: float = 0.3) -> Script:
    """Bytes that never stop coming, one at a time: after the headers, or the status line itself."""
    def script(conn: socket.socket, request: Request) -> None:
        if headers_first:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
        for byte in (b"HTTP/1.1 200 OK\r\n" if not headers_first else b"") + b"[" * 10_000:
            conn.sendall(bytes([byte]))
            time.sleep(every)

    return script


def huge(declared: int | None = 2_000_000_000) -> Script:
    """A body that claims (or, undeclared, turns out) to be far larger than any answer."""
    def script(conn: socket.socket, request: Request) -> None:
        length = f"Content-Length: {declared}\r\n" if declared else "Connection: close\r\n"
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}\r\n".encode())
        with contextlib.suppress(OSError):
            for _ in range(100_000):
                conn.sendall(b"0" * 65536)
        conn.close()

    return script
