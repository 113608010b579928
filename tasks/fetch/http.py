"""One HTTP call with pacing, retries and clear errors; shared by the PxWeb and Kolada clients.

Retries are a small loop of our own rather than urllib3's ``Retry``: every attempt must pass through the shared
rate limiter and be counted (benchmarks compare calls made with the minimum), and a 429's Retry-After must
hold back every thread of the run, not only the one that got it.
"""

from __future__ import annotations

import email.utils
import json
import random
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from tasks.fetch.rate_limit import SlidingWindowLimiter

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class SourceUnavailable(RuntimeError):
    """The source could not be reached or kept failing after every attempt."""


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
    """Retry-After is either delta-seconds or an HTTP date (RFC 9110)."""
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(header)
        return max(0.0, (parsed - datetime.now(UTC)).total_seconds()) if parsed else None


def problem_detail(response: requests.Response) -> str:
    """The human part of an error answer: problem+json detail/title, else the start of the body."""
    try:
        problem = response.json()
        if isinstance(problem, dict):
            return str(problem.get("detail") or problem.get("title") or problem)[:300]
    except (ValueError, json.JSONDecodeError):
        pass
    return response.text[:200].strip() or response.reason


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


@dataclass
class HttpCaller:
    """Paced, retried HTTP calls against one base URL."""

    base_url: str
    limiter: SlidingWindowLimiter
    session: requests.Session = field(default_factory=requests.Session)
    timeout_seconds: float = 60
    max_attempts: int = 6
    backoff_seconds: float = 1.0
    offline_hint: str = ""
    stats: CallStats = field(default_factory=CallStats)

    def call(self, method: str, path: str, kind: str, *, params: dict | None = None,
             json_body: dict | None = None) -> RawResponse:
        # An absolute URL is used as given: paged APIs (Kolada's next_url) hand us the next page's address.
        url = path if path.startswith(("http://", "https://")) else self.base_url.rstrip("/") + path
        body_text = encode_json_body(json_body) if json_body is not None else None
        last_problem = ""
        for attempt in range(1, self.max_attempts + 1):
            self.stats.count(kind)
            try:
                with self.limiter.call():
                    response = self.session.request(
                        method, url, params=params, data=body_text.encode() if body_text else None,
                        headers={"Content-Type": "application/json"} if body_text else None,
                        timeout=self.timeout_seconds,
                    )
            except (requests.ConnectionError, requests.Timeout) as err:
                if _is_name_resolution_failure(err):
                    raise SourceUnavailable(f"cannot resolve the host of {self.base_url} (no network?). "
                                            f"{self.offline_hint}".strip()) from err
                last_problem = f"{type(err).__name__}: {err}"[:300]
                self._wait_before_retry(attempt, None)
                continue
            if response.status_code in RETRYABLE_STATUS:
                last_problem = f"HTTP {response.status_code}: {problem_detail(response)}"
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if response.status_code == 429 and wait is not None:
                    self.limiter.push_back(wait)
                self._wait_before_retry(attempt, wait)
                continue
            if response.status_code >= 400:
                raise SourceHTTPError(f"{method} {url} failed with HTTP {response.status_code}: "
                                      f"{problem_detail(response)}", response.status_code)
            return RawResponse(url=response.url, method=method, request_body=body_text,
                               status=response.status_code,
                               content_type=response.headers.get("Content-Type", ""), body=response.content,
                               fetched_at=utc_now(), attempts=attempt)
        raise SourceUnavailable(f"{method} {url} still failing after {self.max_attempts} attempts "
                                f"(last: {last_problem}). {self.offline_hint}".strip())

    def _wait_before_retry(self, attempt: int, retry_after: float | None) -> None:
        if attempt >= self.max_attempts:
            return
        self.stats.retries += 1
        if retry_after is None:
            # Exponential backoff with jitter so parallel tasks do not retry in lockstep.
            retry_after = self.backoff_seconds * 2 ** (attempt - 1) * (0.5 + random.random())
        time.sleep(retry_after)
