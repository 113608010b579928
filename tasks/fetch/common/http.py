"""One HTTP call with pacing, retries and clear errors; shared by the PxWeb and Kolada clients.

Retries are a small loop of our own rather than urllib3's ``Retry``: every attempt must pass through the shared
rate limiter and be counted (benchmarks compare calls made with the minimum), and a 429's Retry-After must
hold back every thread of the run, not only the one that got it.

Every call is bounded, because the nightly job meets whatever the network sends: Retry-After is capped
(``max_retry_after_seconds``) and ignored when unreadable, an answer may not exceed ``max_response_bytes``, a whole
call may not take more than ``max_call_seconds`` (tasks/fetch/common/deadline.py), and only redirects on the configured
API's own host that keep the method (and so the selection) are followed.
"""

from __future__ import annotations

import email.utils
import json
import math
import random
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from tasks.fetch.common.deadline import (
    CallDeadline,
    RunStopping,
    call_deadline,
    session_with_deadlines,
    wait_unless_stopping,
)
from tasks.fetch.common.rate_limit import SlidingWindowLimiter

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


OFFLINE_HINT = ("To run offline on the recorded SCB and Kolada data, use `oms run --replay` "
                "(it serves ../shared through loopback PxWeb and Kolada servers).")


class SourceUnavailable(RuntimeError):
    """The source could not be reached or kept failing after every attempt."""


class CallFailed(RuntimeError):
    """One attempt got no usable answer (connection reset, timeout, deadline): worth another attempt."""


class SourceHTTPError(RuntimeError):
    """The source answered with an error that retrying will not fix (4xx other than 429)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RawResponse:
    """A response exactly as received, with what is needed to land it."""

    url: str
    method: str
    request_body: str | None
    status: int
    content_type: str
    body: bytes
    fetched_at: str
    attempts: int


@dataclass
class CallStats:
    calls: int = 0
    retries: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.calls += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1


def encode_json_body(body: dict) -> str:
    """The exact request text sent (and landed, and used to find an earlier landing of the same request)."""
    return json.dumps(body, ensure_ascii=False)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def retry_after_seconds(header: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date (RFC 9110). Anything else (``inf``, ``nan``, garbage)
    counts as absent: the caller then backs off on its own, and a server cannot make us wait for ever."""
    if not header:
        return None
    text = header.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        seconds = (parsed - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def problem_detail(body: bytes, reason: str = "") -> str:
    """The human part of an error answer: problem+json detail/title, else the start of the body."""
    try:
        problem = json.loads(body[:100_000])
        if isinstance(problem, dict):
            return str(problem.get("detail") or problem.get("title") or problem)[:300]
    except (ValueError, RecursionError):
        pass
    return body[:200].decode("utf-8", errors="replace").strip() or reason


def _is_name_resolution_failure(err: BaseException) -> bool:
    text = repr(err)
    return "NameResolutionError" in text or "Name or service not known" in text or "Temporary failure in name" in text


def check_host_resolves(base_url: str, hint: str = "") -> None:
    """Fail in well under a second when the API's host cannot be resolved (no network), before any run starts."""
    host = urlsplit(base_url).hostname or ""
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError) as err:
        raise SourceUnavailable(f"cannot resolve {host!r}, the host of {base_url} (no network?). {hint}".strip()) \
            from err


class ResponseTooLarge(SourceHTTPError):
    """The answer is larger than any answer of this API should be (max_response_bytes)."""


_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_METHOD_KEEPING_REDIRECTS = frozenset({307, 308})  # RFC 9110: 301/302/303 may turn a POST into a GET
_MAX_REDIRECTS = 5


def origin_of(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


@dataclass
class HttpCaller:
    """Paced, retried, bounded HTTP calls against one API (one origin: scheme, host and port)."""

    base_url: str
    limiter: SlidingWindowLimiter
    session: requests.Session = field(default_factory=session_with_deadlines)
    timeout_seconds: float = 60
    max_attempts: int = 6
    backoff_seconds: float = 1.0
    offline_hint: str = ""
    stats: CallStats = field(default_factory=CallStats)
    max_retry_after_seconds: float = 300  # a server may ask us to wait, not to wait for days
    max_response_bytes: int = 64 * 2**20  # SCB's largest answers (150,000 cells) are a few MB
    max_call_seconds: float = 300  # the whole call, however slowly the server trickles its bytes

    def call(self, method: str, path: str, kind: str, *, params: dict | None = None,
             json_body: dict | None = None) -> RawResponse:
        # An absolute URL is used as given: paged APIs (Kolada's next_url) hand us the next page's address. Only
        # on the configured API's own host: an answer must not send us, or our selection, anywhere else.
        url = path if path.startswith(("http://", "https://")) else self.base_url.rstrip("/") + path
        self._check_origin(url, "the next page")
        body_text = encode_json_body(json_body) if json_body is not None else None
        last_problem = ""
        for attempt in range(1, self.max_attempts + 1):
            self.stats.count(kind)
            try:
                with self.limiter.call():
                    status, headers, body, final_url = self._exchange(method, url, params, body_text)
            except CallFailed as err:
                last_problem = str(err)
                self._wait_before_retry(attempt, None)
                continue
            if status in RETRYABLE_STATUS:
                last_problem = f"HTTP {status}: {problem_detail(body)}"
                wait = retry_after_seconds(headers.get("Retry-After"))
                if wait is not None:
                    wait = min(wait, self.max_retry_after_seconds)
                    if status == 429:
                        self.limiter.push_back(wait)
                self._wait_before_retry(attempt, wait)
                continue
            if status >= 400:
                raise SourceHTTPError(f"{method} {url} failed with HTTP {status}: {problem_detail(body)}", status)
            return RawResponse(url=final_url, method=method, request_body=body_text, status=status,
                               content_type=headers.get("Content-Type", ""), body=body, fetched_at=utc_now(),
                               attempts=attempt)
        attempts = f"{self.max_attempts} attempt{'s' if self.max_attempts != 1 else ''}"
        raise SourceUnavailable(f"{method} {url} still failing after {attempts} (last: {last_problem}). "
                                f"{self.offline_hint}".strip())

    def _exchange(self, method: str, url: str, params: dict | None, body_text: str | None
                  ) -> tuple[int, requests.structures.CaseInsensitiveDict, bytes, str]:
        """One request and its answer, read whole within max_call_seconds and max_response_bytes; redirects on the
        same host are followed only when they keep the method and the selection."""
        with call_deadline(self.max_call_seconds) as deadline:
            try:
                for _hop in range(_MAX_REDIRECTS + 1):
                    response = self.session.request(
                        method, url, params=params, data=body_text.encode() if body_text else None,
                        headers={"Content-Type": "application/json"} if body_text else None,
                        timeout=self.timeout_seconds, allow_redirects=False, stream=True)
                    with response:
                        if response.status_code not in _REDIRECTS:
                            body = self._read_body(response, method, url)
                            # A body cut by the deadline can end like a complete one (a close-delimited answer).
                            self._check_deadline(deadline, method, url)
                            return response.status_code, response.headers, body, response.url
                        url = self._redirect_target(response, method, url)
                        params = None  # the Location carries the whole address
                raise SourceHTTPError(f"{method} {url}: more than {_MAX_REDIRECTS} redirects", 310)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    urllib3.exceptions.HTTPError, OSError) as err:
                self._check_deadline(deadline, method, url)
                if _is_name_resolution_failure(err):
                    raise SourceUnavailable(f"cannot resolve the host of {self.base_url} (no network?). "
                                            f"{self.offline_hint}".strip()) from err
                raise CallFailed(f"{type(err).__name__}: {err}"[:300]) from err

    def _check_deadline(self, deadline: CallDeadline, method: str, url: str) -> None:
        if deadline.aborted:
            raise RunStopping(f"{method} {url}: the run is stopping")
        if deadline.expired:
            raise CallFailed(f"no complete answer within {self.max_call_seconds:g} s")

    def _read_body(self, response: requests.Response, method: str, url: str) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            raise ResponseTooLarge(f"{method} {url}: the answer announces {int(declared):,} bytes, more than "
                                   f"max_response_bytes ({self.max_response_bytes:,}); not read", response.status_code)
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > self.max_response_bytes:
                raise ResponseTooLarge(f"{method} {url}: the answer is larger than max_response_bytes "
                                       f"({self.max_response_bytes:,}); reading stopped", response.status_code)
            chunks.append(chunk)
        return b"".join(chunks)

    def _redirect_target(self, response: requests.Response, method: str, url: str) -> str:
        target = urljoin(url, response.headers.get("Location", ""))
        self._check_origin(target, f"a redirect ({response.status_code}) from {url}")
        if method != "GET" and response.status_code not in _METHOD_KEEPING_REDIRECTS:
            raise SourceHTTPError(f"{method} {url} was redirected with {response.status_code} to {target}: following "
                                  "it would turn the request into a GET without our selection; refused",
                                  response.status_code)
        return target

    def _check_origin(self, url: str, what: str) -> None:
        if origin_of(url) != origin_of(self.base_url):
            raise SourceHTTPError(f"{what} points to {url}, outside {self.base_url}; only the configured API's "
                                  "host is followed", 0)

    def _wait_before_retry(self, attempt: int, retry_after: float | None) -> None:
        if attempt >= self.max_attempts:
            return
        self.stats.retries += 1
        if retry_after is None:
            # Exponential backoff with jitter so parallel tasks do not retry in lockstep.
            retry_after = self.backoff_seconds * 2 ** (attempt - 1) * (0.5 + random.random())
        wait_unless_stopping(retry_after)
