"""What the loopback replay servers share: a threaded HTTP server on 127.0.0.1, a call log, switchable faults and
a per-client call limit answered with 429 and Retry-After, as SCB does.

Built on the standard library's ``ThreadingHTTPServer`` rather than an ASGI framework because the fault tests need
the raw socket: a TCP reset or a response that never comes cannot be produced from inside a web framework.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from replay.faults import BODY_FAULTS, Fault, FaultSet, damage_body


@dataclass(frozen=True)
class CallRecord:
    kind: str
    method: str
    path: str
    status: int
    table: str | None
    at: float


class CallWindow:
    """At most ``max_calls`` per ``window_seconds`` per client address; answers how long to wait when over."""

    def __init__(self, max_calls: int, window_seconds: float) -> None:
        self.max_calls, self.window_seconds = max_calls, window_seconds
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, client: str) -> float | None:
        """None if the call may proceed (and it is counted), else the seconds until it would."""
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(client, deque())
            while calls and now - calls[0] >= self.window_seconds:
                calls.popleft()
            if len(calls) >= self.max_calls:
                return self.window_seconds - (now - calls[0])
            calls.append(now)
            return None


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] | None = None
    document: dict | None = None  # the JSON behind body, for content faults


def json_reply(document: dict | list, status: int = 200) -> Reply:
    body = json.dumps(document, ensure_ascii=False).encode()
    return Reply(status, body, document=document if isinstance(document, dict) else None)


def problem(status: int, title: str, detail: str) -> Reply:
    """RFC 7807 problem+json, the error shape of PxWebApi 2 (PxAPI-2.yml, components/schemas/Problem)."""
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail},
                      ensure_ascii=False).encode()
    return Reply(status, body, "application/problem+json; charset=utf-8")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes

    def param(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, case-insensitive (SCB accepts valueCodes and valuecodes alike)."""
        for key, values in self.query.items():
            if key.lower() == name.lower():
                return values[-1]
        return default

    def bracketed(self, name: str) -> dict[str, str]:
        """Deep-object parameters such as ``codelist[Alder]=agg_Ålder10årJ`` as {"Alder": "agg_Ålder10årJ"}."""
        prefix = name.lower() + "["
        return {key[len(prefix):-1]: values[-1] for key, values in self.query.items()
                if key.lower().startswith(prefix) and key.endswith("]")}


class LoopbackServer:
    """A replay server running in a background thread; use as a context manager."""

    name = "replay"

    def __init__(self, max_calls: int, window_seconds: float, host: str = "127.0.0.1", port: int = 0) -> None:
        self.faults = FaultSet()
        self.log: list[CallRecord] = []
        self.window = CallWindow(max_calls, window_seconds)
        self._log_lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- what a subclass provides ------------------------------------------------------------------------------
    def route(self, request: Request) -> tuple[str, str | None, Reply]:
        """(endpoint kind, table id or None, reply) for a request."""
        raise NotImplementedError

    def damage_content(self, fault: Fault, reply: Reply) -> Reply:
        return reply

    # -- life cycle ---------------------------------------------------------------------------------------------
    @property
    def origin(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"{self.name}-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def serve_forever(self) -> None:
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    # -- the call log -------------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the recordings as they are: no faults, an empty call log and call window."""
        self.faults.clear()
        self.reset_log()
        self.window = CallWindow(self.window.max_calls, self.window.window_seconds)

    def reset_log(self) -> None:
        with self._log_lock:
            self.log.clear()

    def count(self, kind: str | None = None, status: int | None = None) -> int:
        with self._log_lock:
            return sum(1 for r in self.log if (kind is None or r.kind == kind) and (status is None or
                                                                                   r.status == status))

    def _record(self, record: CallRecord) -> None:
        with self._log_lock:
            self.log.append(record)

    # -- one call -----------------------------------------------------------------------------------------------
    def answer(self, request: Request, client: str) -> tuple[str, str | None, Reply | Fault]:
        wait = self.window.admit(client)  # counted on arrival, as SCB counts calls
        kind, table, reply = self.route(request)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            reply = problem(429, "Too many requests",
                            f"You have reached the threshold for request limiting: {self.window.max_calls} "
                            f"requests per {self.window.window_seconds:g} s.")
            reply.headers = {"Retry-After": str(seconds)}
            return kind, table, reply
        fault = self.faults.take(kind, table)
        if fault is None:
            return kind, table, reply
        if fault.kind == "status_429":
            reply = problem(429, "Too many requests", "Injected fault: rate limited.")
            reply.headers = {"Retry-After": f"{fault.seconds:g}"} if fault.retry_after else {}
            return kind, table, reply
        if fault.kind == "status_503":
            return kind, table, problem(503, "Service Unavailable", "Injected fault: service unavailable.")
        if fault.kind in ("reset", "slow"):
            return kind, table, fault
        if reply.status != 200:
            return kind, table, reply
        if fault.kind in BODY_FAULTS:
            body, content_type = damage_body(fault, reply.body)
            return kind, table, Reply(200, body, content_type or reply.content_type, reply.headers)
        return kind, table, self.damage_content(fault, reply)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a requests.Session expects of SCB
            # Headers and body in one segment: sent apart, Nagle and delayed ACKs add ~40 ms to every call.
            disable_nagle_algorithm = True
            wbufsize = 1 << 16

            def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet: the call log records it
                pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(method, parts.path, parse_qs(parts.query, keep_blank_values=True), body)
                kind, table, outcome = server.answer(request, self.client_address[0])
                if isinstance(outcome, Fault):
                    if outcome.kind == "reset":
                        server._record(CallRecord(kind, method, self.path, 0, table, time.time()))
                        self._reset_connection()
                        return
                    time.sleep(outcome.seconds)  # slow: the client has usually given up by now
                    outcome = server.route(request)[2]
                server._record(CallRecord(kind, method, self.path, outcome.status, table, time.time()))
                self._send(outcome)

            def _send(self, reply: Reply) -> None:
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    for key, value in (reply.headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def _reset_connection(self) -> None:
                # SO_LINGER 0 makes close() send a TCP RST: the client sees "connection reset by peer".
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()

            def finish(self) -> None:
                with contextlib.suppress(OSError, ValueError):
                    super().finish()

        return Handler
