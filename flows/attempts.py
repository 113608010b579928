"""What every flow run does around its stages, however it was started (the CLI, a deployment, a worker): write its
start and end to the run log, stop its HTTP calls at once on SIGTERM, and with OMS_REPLAY=1 run against the
emulators."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict

from tasks.config import Settings, environment_overrides
from tasks.fetch.common.deadline import reset_stopping, stop_all_calls
from tasks.runlog import append, new_attempt_id, record_end, record_start, runlog_path

ATTEMPT_VARIABLE = "OMS_ATTEMPT_ID"  # set by the CLI so that the flow's records join its attempt


@contextmanager
def logged_attempt(settings: Settings, flow_name: str, run_id: str | None, parameters: dict) -> Iterator[dict]:
    """Record the attempt's start, and its end however it ends. Yields a dict the caller fills with the outcome
    (``status``, ``outcomes``, ``calls``, ``message``)."""
    log = runlog_path(settings.paths.warehouse)
    attempt = os.environ.get(ATTEMPT_VARIABLE)
    if attempt:  # the CLI recorded the start: add what only the flow knows
        append(log, {"event": "flow", "attempt": attempt, "run_id": run_id, "flow": flow_name,
                     "parameters": parameters})
    else:
        attempt = run_id or new_attempt_id()
        record_start(log, attempt, f"flow run {flow_name}", run_id=run_id, flow=flow_name, parameters=parameters)
    outcome: dict = {}
    try:
        yield outcome
    except BaseException as err:
        status = "terminated" if _is_termination(err) else "failed"
        record_end(log, attempt, status, f"{type(err).__name__}: {err}"[:500])
        raise
    record_end(log, attempt, outcome.get("status", "completed"), outcome.get("message"),
               calls=outcome.get("calls"), outcomes=[asdict(o) for o in outcome.get("outcomes", [])])


def _is_termination(err: BaseException) -> bool:
    return type(err).__name__ in ("TerminationSignal", "KeyboardInterrupt") or (
        isinstance(err, SystemExit) and err.code == 128 + signal.SIGTERM)


@contextmanager
def calls_stop_on_sigterm() -> Iterator[None]:
    """On SIGTERM, cut every HTTP call in flight before Prefect's own handler ends the flow run: the fetch threads
    then end in moments instead of waiting out their timeouts (the run would otherwise take minutes to stop)."""
    reset_stopping()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)

    def stop(signum, frame) -> None:
        stop_all_calls()
        if callable(previous):
            previous(signum, frame)
        else:
            raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def emulators_if_replay(settings: Settings, say=print) -> Iterator[None]:
    """OMS_REPLAY=1 (settings.replay): this run starts SCB's and Kolada's emulators and runs against them."""
    if not settings.replay:
        with nullcontext():
            yield
        return
    from replay.launch import running_emulators  # only offline runs need the emulators

    with running_emulators(settings.paths.shared_dir) as emulators, environment_overrides(emulators.environment()):
        say(f"replay: SCB's PxWebApi 2 at {emulators.scb.base_url}, Kolada v3 at {emulators.kolada.base_url} "
            f"(recordings in {settings.paths.shared_dir})")
        yield
