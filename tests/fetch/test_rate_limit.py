"""The sliding-window limiter on a simulated clock: never more calls in a window than allowed, counted from the
moment each answer came back, with calls in flight holding their place."""

from __future__ import annotations

from tasks.fetch.common.rate_limit import SlidingWindowLimiter


class SimulatedClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_calls_are_spaced_so_no_window_holds_more_than_allowed() -> None:
    clock = SimulatedClock()
    limiter = SlidingWindowLimiter(3, 1.0, clock=clock, sleep=clock.sleep)
    answered = []
    for _ in range(10):
        with limiter.call():
            clock.now += 0.05  # the call takes 50 ms
        answered.append(clock.now)
    started = [t - 0.05 for t in answered]
    # the 4th call starts only once the 1st answer is a full window old, and so on
    assert all(started[i + 3] - answered[i] >= 1.0 for i in range(len(started) - 3))
    assert answered[-1] < 3 * 1.0 + 0.5  # and no slower than needed: 10 calls at 3 per second, ~3.2 s


def test_a_call_in_flight_holds_its_place_in_the_window() -> None:
    clock = SimulatedClock()
    limiter = SlidingWindowLimiter(1, 1.0, clock=clock, sleep=clock.sleep)
    slow = limiter.call()
    slow.__enter__()  # a long call, still waiting for its answer
    clock.now = 5.0
    waits_before = limiter.waited_seconds
    slots = []

    def finish_the_slow_call(seconds: float) -> None:
        clock.now += seconds
        if clock.now >= 6.0 and not slots:
            slots.append(clock.now)
            slow.__exit__(None, None, None)  # its answer arrives at 6.0

    limiter._sleep = finish_the_slow_call
    with limiter.call():
        started = clock.now
    assert started >= 7.0  # one window after the slow call's answer, not after its start
    assert limiter.waited_seconds > waits_before


def test_retry_after_holds_every_caller_back() -> None:
    clock = SimulatedClock()
    limiter = SlidingWindowLimiter(30, 10.0, clock=clock, sleep=clock.sleep)
    limiter.push_back(4.0)
    with limiter.call():
        started = clock.now
    assert 4.0 <= started < 4.1
