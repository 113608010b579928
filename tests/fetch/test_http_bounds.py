"""The HTTP client against a hostile front: every call is bounded in time and size, a server cannot make it wait
for days, and it follows no redirect off the configured API's host nor one that would drop the selection."""

from __future__ import annotations

import json
import threading
import time

import pytest

from tasks.fetch.common.deadline import RunStopping, reset_stopping, session_with_deadlines, stop_all_calls
from tasks.fetch.common.http import (
    HttpCaller,
    ResponseTooLarge,
    SourceHTTPError,
    SourceUnavailable,
    retry_after_seconds,
)
from tasks.fetch.common.rate_limit import SlidingWindowLimiter
from tasks.fetch.kolada.client import KoladaClient
from tests.fetch.hostile import HostileServer, huge, in_turn, ok, response, trickle

SELECTION = {"selection": [{"variableCode": "Region", "valueCodes": ["01"]}]}


def _caller(server: HostileServer, **options) -> HttpCaller:
    settings = {"timeout_seconds": 2, "max_attempts": 2, "backoff_seconds": 0.01, "max_call_seconds": 1.5,
                "max_retry_after_seconds": 0.3, "max_response_bytes": 1_000_000} | options
    return HttpCaller(server.origin + "/api/v2", SlidingWindowLimiter(30, 10), session_with_deadlines(), **settings)


@pytest.mark.parametrize(("header", "expected"), [
    ("120", 120.0), ("0", 0.0), ("-5", 0.0), ("inf", None), ("Infinity", None), ("nan", None), ("soon", None),
    ("", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("1e400", None),
])
def test_retry_after_is_read_as_seconds_or_a_date_and_anything_else_is_absent(header, expected) -> None:
    assert retry_after_seconds(header) == expected


def test_a_retry_after_of_days_is_capped_by_the_setting() -> None:
    script = in_turn(lambda conn, r: conn.sendall(response(429, headers={"Retry-After": "100000000"})), ok())
    with HostileServer(script) as server:
        started = time.monotonic()
        raw = _caller(server).call("GET", "/config", "config")
        assert (raw.status, raw.attempts) == (200, 2)
        assert time.monotonic() - started < 2  # waited max_retry_after_seconds (0.3 s), not three years


def test_an_infinite_retry_after_does_not_stall_the_shared_limiter() -> None:
    script = in_turn(lambda conn, r: conn.sendall(response(429, headers={"Retry-After": "inf"})), ok())
    with HostileServer(script) as server:
        caller = _caller(server)
        assert caller.call("GET", "/config", "config").attempts == 2
        other = threading.Thread(target=lambda: caller.call("GET", "/tables", "tables"))
        started = time.monotonic()
        other.start()
        other.join(timeout=5)
        assert not other.is_alive() and time.monotonic() - started < 2  # another thread's call still goes through


def test_an_announced_two_gigabyte_answer_is_refused_without_reading_it() -> None:
    with HostileServer(huge(declared=2_000_000_000)) as server:
        started = time.monotonic()
        with pytest.raises(ResponseTooLarge, match="announces 2,000,000,000 bytes, more than max_response_bytes"):
            _caller(server).call("GET", "/tables/TAB1/data", "data")
        assert time.monotonic() - started < 2
        assert len(server.requests) == 1  # not retried: the same answer would come again


def test_an_answer_that_grows_past_the_cap_is_cut_off() -> None:
    with HostileServer(huge(declared=None)) as server, pytest.raises(ResponseTooLarge, match="reading stopped"):
        _caller(server).call("GET", "/tables/TAB1/data", "data")


@pytest.mark.parametrize("headers_first", [True, False], ids=["trickling-body", "trickling-status-line"])
def test_a_trickling_server_cannot_keep_a_call_alive(headers_first) -> None:
    with HostileServer(trickle(headers_first=headers_first, every=0.3)) as server:
        started = time.monotonic()
        with pytest.raises(SourceUnavailable, match=r"still failing after 2 attempts \(last: no complete answer "
                                                    r"within 1.5 s\)"):
            _caller(server).call("GET", "/tables/TAB1/data", "data")
        # two attempts of 1.5 s each, though every byte came well within the 2 s read timeout
        assert time.monotonic() - started < 4.5


def test_a_stopping_run_cuts_the_calls_in_flight_at_once() -> None:
    with HostileServer(trickle(every=0.3)) as server:
        caller = _caller(server, max_call_seconds=60, max_attempts=5)
        errors: list[BaseException] = []

        def call() -> None:
            try:
                caller.call("GET", "/tables/TAB1/data", "data")
            except BaseException as err:  # noqa: BLE001 - the test wants whatever ended the call
                errors.append(err)

        thread = threading.Thread(target=call)
        thread.start()
        while not server.requests:
            time.sleep(0.01)
        started = time.monotonic()
        try:
            assert stop_all_calls() == 1
            thread.join(timeout=5)
            assert not thread.is_alive() and time.monotonic() - started < 1
            assert [type(e) for e in errors] == [RunStopping]
            with pytest.raises(RunStopping):  # and no new call starts
                caller.call("GET", "/config", "config")
        finally:
            reset_stopping()


def test_a_post_redirected_to_another_host_is_refused_and_the_selection_never_leaves() -> None:
    with HostileServer(ok()) as elsewhere:
        def redirect(conn, request) -> None:
            conn.sendall(response(307, headers={"Location": elsewhere.origin + "/steal"}))

        with HostileServer(redirect) as server, pytest.raises(SourceHTTPError, match=f"points to "
                                                                                    f"{elsewhere.origin}/steal"):
            _caller(server).call("POST", "/tables/TAB1/data", "data", json_body=SELECTION)
        assert elsewhere.requests == []


def test_a_redirect_that_would_turn_the_post_into_a_get_is_refused() -> None:
    script = in_turn(lambda conn, r: conn.sendall(response(302, headers={"Location": "/api/v2/tables/TAB1/data"})),
                     ok())
    with HostileServer(script) as server:
        with pytest.raises(SourceHTTPError, match="redirected with 302 .* would turn the request into a GET"):
            _caller(server).call("POST", "/tables/TAB1/data", "data", json_body=SELECTION)
        assert [r.method for r in server.requests] == ["POST"]


def test_a_method_keeping_redirect_on_the_same_host_is_followed_with_the_same_selection() -> None:
    script = in_turn(lambda conn, r: conn.sendall(response(307, headers={"Location": "/api/v2/moved/data"})),
                     ok(b'{"moved": true}'))
    with HostileServer(script) as server:
        raw = _caller(server).call("POST", "/tables/TAB1/data", "data", json_body=SELECTION)
        assert raw.body == b'{"moved": true}' and raw.url.endswith("/api/v2/moved/data")
        assert [(r.method, r.body) for r in server.requests] == [("POST", raw.request_body.encode())] * 2


def test_kolada_next_url_on_another_host_is_not_followed() -> None:
    with HostileServer(ok(b'{"count": 0, "values": [], "next_url": null}')) as elsewhere:
        next_url = f"{elsewhere.origin}/v3/data/kpi/N01951/year/2024?page=2"
        page = json.dumps({"count": 0, "values": [], "next_url": next_url}).encode()
        with HostileServer(ok(page)) as server:
            caller = HttpCaller(server.origin + "/v3", SlidingWindowLimiter(5, 1), session_with_deadlines(),
                                max_attempts=1)
            pages = KoladaClient(caller).data_pages(["N01951"], ["0180"], [2024])
            next(pages)
            with pytest.raises(SourceHTTPError, match="the next page points to .* outside"):
                next(pages)
        assert elsewhere.requests == []
