"""What the loopback emulators share: a threaded HTTP server on 127.0.0.1, a call log, switchable faults, a per-client
call limit, CORS and method handling, and the rule that every request gets an HTTP answer.

Built on the standard library's ``ThreadingHTTPServer`` rather than an ASGI framework because the fault tests need
the raw socket: a TCP reset or a response that never comes cannot be produced from inside a web framework.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from replay.faults import BODY_FAULTS, Fault, FaultSet, damage_body

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 10 * 2**20  # a selection is a few kB; anything larger is refused unread


@dataclass(frozen=True)
class CallRecord:
    kind: str
    method: str
    path: str
    status: int
    table: str | None
    at: float


class CallWindow:
    """At most ``max_calls`` per ``window_seconds`` per client address; answers how long to wait when over.

    ``fixed``: SCB's limiter (AspNetCoreRateLimit) opens a window at a client's first call and counts every request
    in it, refused ones too. Otherwise a sliding window over admitted calls."""

    def __init__(self, max_calls: int, window_seconds: float, fixed: bool = False) -> None:
        self.max_calls, self.window_seconds, self.fixed = max_calls, window_seconds, fixed
        self._calls: dict[str, deque[float]] = {}
        self._windows: dict[str, list[float]] = {}  # fixed: client -> [window start, count]
        self._lock = threading.Lock()

    def admit(self, client: str) -> float | None:
        """None if the call may proceed (and it is counted), else the seconds until it would."""
        now = time.monotonic()
        with self._lock:
            if self.fixed:
                window = self._windows.get(client)
                if window is None or now - window[0] >= self.window_seconds:
                    window = self._windows[client] = [now, 0]
                window[1] += 1
                return None if window[1] <= self.max_calls else self.window_seconds - (now - window[0])
            calls = self._calls.setdefault(client, deque())
            while calls and now - calls[0] >= self.window_seconds:
                calls.popleft()
            if len(calls) >= self.max_calls:
                return self.window_seconds - (now - calls[0])
            calls.append(now)
            return None

    def remaining(self, client: str) -> tuple[int, float]:
        """Calls left in the client's window and when it resets (seconds from now): SCB's X-Rate-Limit-* headers."""
        now = time.monotonic()
        with self._lock:
            start, count = self._windows.get(client, [now, 0])
            return max(0, self.max_calls - int(count)), max(0.0, self.window_seconds - (now - start))


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    document: dict | None = None  # the JSON behind body, for content faults


def json_reply(document: dict | list, status: int = 200, content_type: str = "application/json; charset=utf-8",
               headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(document, ensure_ascii=False).encode()
    return Reply(status, body, content_type, dict(headers or {}), document if isinstance(document, dict) else None)


def problem(status: int, title: str, detail: str, body_status: int | None = None,
            problem_type: str = "about:blank") -> Reply:
    """RFC 7807 problem+json, the error shape of PxAPI-2.yml (components/schemas/Problem)."""
    document = {"type": problem_type, "title": title, "status": body_status or status, "detail": detail}
    return Reply(status, json.dumps(document, ensure_ascii=False).encode(), "application/problem+json; charset=utf-8",
                 document=document)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names

    def param(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, case-insensitive (PxWebApi accepts valueCodes and valuecodes alike)."""
        for key, values in self.query.items():
            if key.lower() == name.lower():
                return values[-1]
        return default

    def params(self, name: str) -> list[str]:
        """Every value of a repeatable parameter (``outputFormatParams=A&outputFormatParams=B``)."""
        return [value for key, values in self.query.items() if key.lower() == name.lower() for value in values]

    def bracketed(self, name: str) -> dict[str, str]:
        """Deep-object parameters such as ``codelist[Alder]=agg_Ålder10årJ`` as {"Alder": "agg_Ålder10årJ"}."""
        prefix = name.lower() + "["
        return {key[len(prefix):-1]: ",".join(values) for key, values in self.query.items()
                if key.lower().startswith(prefix) and key.endswith("]")}

    def segments(self, prefix: str) -> list[str]:
        """The path after ``prefix``, split and percent-decoded (``agg_%C3%85lder10%C3%A5rJ`` is agg_Ålder10årJ)."""
        return [unquote(part) for part in self.path[len(prefix):].split("/") if part]


class LoopbackServer:
    """An emulator running in a background thread; use as a context manager."""

    name = "replay"
    fixed_window = False

    def __init__(self, max_calls: int, window_seconds: float, host: str = "127.0.0.1", port: int = 0) -> None:
        self.faults = FaultSet()
        self.log: list[CallRecord] = []  # answered calls (a slow answer is logged when it is sent)
        self._arrived: dict[str, int] = {}  # calls received, by endpoint kind, answered or not yet
        self.window = CallWindow(max_calls, window_seconds, self.fixed_window)
        self._log_lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- what a subclass provides ------------------------------------------------------------------------------
    def route(self, request: Request) -> tuple[str, str | None, Reply]:
        """(endpoint kind, table id or None, reply) for a request."""
        raise NotImplementedError

    def allowed_methods(self, path: str) -> list[str]:
        """The methods a path answers (405 with Allow for the others)."""
        return ["GET"]

    def damage_content(self, fault: Fault, reply: Reply) -> Reply:
        return reply

    def too_many_requests(self, wait_seconds: float) -> Reply:
        seconds = max(1, math.ceil(wait_seconds))
        reply = problem(429, "Too many requests", f"You have reached the threshold for request limiting: "
                                                  f"{self.window.max_calls} requests per "
                                                  f"{self.window.window_seconds:g} s.")
        reply.headers["Retry-After"] = str(seconds)
        return reply

    def admitted_headers(self, client: str) -> dict[str, str]:
        return {}

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
        self.window = CallWindow(self.window.max_calls, self.window.window_seconds, self.fixed_window)

    def reset_log(self) -> None:
        with self._log_lock:
            self.log.clear()
            self._arrived.clear()

    def arrived(self, kind: str) -> int:
        """Calls of this kind received so far, including those still being answered (a slow fault)."""
        with self._log_lock:
            return self._arrived.get(kind, 0)

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
        if wait is not None:
            return "limit", None, self.too_many_requests(wait)
        kind, table, reply = self._routed(request)
        with self._log_lock:
            self._arrived[kind] = self._arrived.get(kind, 0) + 1
        reply.headers.update(self.admitted_headers(client))
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

    def _routed(self, request: Request) -> tuple[str, str | None, Reply]:
        allowed = self.allowed_methods(request.path)
        if request.method == "OPTIONS":
            if "access-control-request-method" in request.headers:  # a CORS preflight
                headers = {"Access-Control-Allow-Origin": "*"}
                if "access-control-request-headers" in request.headers:
                    headers["Access-Control-Allow-Headers"] = request.headers["access-control-request-headers"]
                return "preflight", None, Reply(204, b"", "text/plain", headers)
            return "options", None, Reply(200, b"", "text/plain", {"Allow": ", ".join(allowed + ["OPTIONS"])})
        if request.method not in allowed:
            return "method", None, Reply(405, b"", "text/plain", {"Allow": ", ".join(allowed)})
        try:
            return self.route(request)
        except Exception:  # a request the emulator did not foresee still gets an answer, and the log says why
            log.exception("%s: %s %s failed", self.name, request.method, request.path)
            return "error", None, problem(500, "Internal Server Error", "the emulator failed on this request")

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

            def do_HEAD(self) -> None:
                self._serve("HEAD")

            def do_PUT(self) -> None:
                self._serve("PUT")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

            def do_PATCH(self) -> None:
                self._serve("PATCH")

            def do_OPTIONS(self) -> None:
                self._serve("OPTIONS")

            def _serve(self, method: str) -> None:
                body = self._read_body()
                if body is None:
                    return
                parts = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = Request(method, parts.path, parse_qs(parts.query, keep_blank_values=True), body, headers)
                kind, table, outcome = server.answer(request, self.client_address[0])
                if isinstance(outcome, Fault):
                    if outcome.kind == "reset":
                        server._record(CallRecord(kind, method, self.path, 0, table, time.time()))
                        self._reset_connection()
                        return
                    time.sleep(outcome.seconds)  # slow: the client has usually given up by now
                    outcome = server._routed(request)[2]
                if "origin" in headers and "Access-Control-Allow-Origin" not in outcome.headers:
                    outcome.headers["Access-Control-Allow-Origin"] = "*"
                server._record(CallRecord(kind, method, self.path, outcome.status, table, time.time()))
                self._send(outcome, with_body=method != "HEAD")

            def _read_body(self) -> bytes | None:
                declared = self.headers.get("Content-Length") or "0"
                if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
                    self.close_connection = True
                    self._send(problem(413 if declared.isdigit() else 400, "Bad Request",
                                       f"Content-Length {declared!r} is not a size this API accepts"))
                    return None
                return self.rfile.read(int(declared)) if int(declared) else b""

            def _send(self, reply: Reply, with_body: bool = True) -> None:
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    if with_body:
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
