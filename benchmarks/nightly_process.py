"""Section `process`: a no-change night as the operator's clock sees it, a whole `oms run` process.

Run as a deployment runs live: a Prefect server and the emulators (standing in for SCB and Kolada, another host) are
processes of their own, started once; each measured command is a new process, from exec to exit. Baselines in the
same run: a process that only runs an empty Prefect flow against the same server (Prefect's own floor for a flow
run in a new process) and a process that only imports Prefect.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.environment import shared_dir
from benchmarks.harness import Bench
from benchmarks.report import Figure, SectionResult
from tasks.config import load_sources, select_sources

ROUNDS = 6  # a second's noise between runs of this shared machine is common: medians of several
SCB_WINDOW_SECONDS = 10.5  # SCB's window is 10 s; two no-change runs (18 calls each) inside one would meet a 429
STARTUP_TIMEOUT_SECONDS = 180
EMPTY_FLOW = "from prefect import flow\nflow(name='empty')(lambda: None)()\n"
RUN_LINE = re.compile(r"run \S+: (\d+) sources, (\d+) API calls, ([\d.]+) s")


@dataclass(frozen=True)
class ProcessTime:
    label: str
    seconds: float
    flow_seconds: float | None = None  # what `oms run` reports for its flow's stages
    calls: int | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _script(name: str) -> str:
    """A console script of this environment (oms, prefect), beside the running interpreter."""
    return str(Path(sys.executable).parent / name)


def _wait_until_up(url: str, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"{what} did not answer {url} within {STARTUP_TIMEOUT_SECONDS} s")


def _start(bench: Bench, command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("w")
    process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        handle.close()

    bench.on_close(stop)
    return process


def start_prefect_server(bench: Bench, home: Path) -> tuple[str, float]:
    """`prefect server start` as an operator runs it (UI off: it only serves the browser); its API URL and
    start-up seconds."""
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    started = time.monotonic()
    process = _start(bench, [_script("prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                     env, home / "server.log")
    url = f"http://127.0.0.1:{port}/api"
    _wait_until_up(f"{url}/health", process, "prefect server")
    return url, time.monotonic() - started


def start_emulators(bench: Bench, workdir: Path) -> dict[str, str]:
    """Both emulators in a process of their own; the OMS_*_BASE_URL variables that point a run at them."""
    log = workdir / "emulators.log"
    process = _start(bench, [sys.executable, "-m", "replay", "--shared", str(shared_dir()), "--scb-port", "0",
                             "--kolada-port", "0"], dict(os.environ), log)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        found = dict(re.findall(r"^export (OMS_\w+_BASE_URL)=(\S+)$", log.read_text(), re.MULTILINE))
        if len(found) == 2:
            _wait_until_up(found["OMS_SCB_BASE_URL"] + "/config", process, "emulators")
            return found
        if process.poll() is not None:
            raise RuntimeError(f"emulators exited with {process.returncode}: {log.read_text()[-2000:]}")
        time.sleep(0.25)
    raise RuntimeError(f"emulators did not start within {STARTUP_TIMEOUT_SECONDS} s")


def timed_process(label: str, command: list[str], env: dict[str, str]) -> ProcessTime:
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"{label}: exit {done.returncode}: {(done.stdout + done.stderr)[-3000:]}")
    found = RUN_LINE.search(done.stdout)
    return ProcessTime(label, seconds, float(found[3]) if found else None, int(found[2]) if found else None)


class NightClock:
    """Starts an `oms run` no sooner than SCB's window after the previous one ended, as nights are (the other
    processes make no SCB call). Counted from its start, a slow start of one run and a quick start of the next put
    both runs' 18 calls in one window: a 429 and a 19th call (seen once in six rounds)."""

    def __init__(self) -> None:
        self.last_ended = -SCB_WINDOW_SECONDS

    def oms_run(self, label: str, env: dict[str, str]) -> ProcessTime:
        time.sleep(max(0.0, self.last_ended + SCB_WINDOW_SECONDS - time.monotonic()))
        try:
            measured = timed_process(label, [_script("oms"), "run"], env)
        finally:
            self.last_ended = time.monotonic()
        if measured.flow_seconds is None:
            raise RuntimeError(f"{label}: `oms run` printed no 'run …: N sources, N API calls, N s' line")
        return measured


NO_CHANGE = "`oms run`, no change"
EMPTY = "empty Prefect flow (python -c)"
IMPORT = "import prefect (python -c)"
TEMPORARY_API = "`oms run`, no change, temporary API (no PREFECT_API_URL: `make run`)"


def measure_rounds(clock: NightClock, env: dict[str, str]) -> dict[str, list[ProcessTime]]:
    """Interleaved, so that a slow minute on a shared machine falls on every kind alike."""
    kinds: dict[str, Callable[[], ProcessTime]] = {
        NO_CHANGE: lambda: clock.oms_run(NO_CHANGE, env),
        EMPTY: lambda: timed_process(EMPTY, [sys.executable, "-c", EMPTY_FLOW], env),
        IMPORT: lambda: timed_process(IMPORT, [sys.executable, "-c", "import prefect"], env),
    }
    times: dict[str, list[ProcessTime]] = {kind: [] for kind in kinds}
    for _ in range(ROUNDS):
        for kind, measure in kinds.items():
            times[kind].append(measure())
    return times


def temporary_api_run(clock: NightClock, env: dict[str, str], home: Path) -> ProcessTime:
    """`oms run` starting and stopping its own temporary API; the first start (which creates and migrates the
    database under a fresh PREFECT_HOME) is not timed, as on a machine where `make run` has run before."""
    own = {key: value for key, value in env.items() if key != "PREFECT_API_URL"} | {"PREFECT_HOME": str(home)}
    clock.oms_run("temporary API, first start (untimed)", own)
    return clock.oms_run(TEMPORARY_API, own)


def refuse_unless_unchanged(runs: list[ProcessTime]) -> None:
    """A no-change night asks each source's metadata once and nothing else; more calls mean data was fetched and
    the figure would not be a no-change night's."""
    sources = len(select_sources(load_sources(), None, on_replay=True))
    wrong = [f"{run.label}: {run.calls} calls" for run in runs if run.calls != sources]
    if wrong:
        raise RuntimeError(f"not a no-change night (one metadata call per source, {sources}): {'; '.join(wrong)}")


def _median(times: list[ProcessTime]) -> float:
    return statistics.median(t.seconds for t in times)


def _row(label: str, measured: list[ProcessTime]) -> list[object]:
    flows = [t.flow_seconds for t in measured if t.flow_seconds is not None]
    return [label, len(measured), round(_median(measured), 2), round(min(t.seconds for t in measured), 2),
            round(statistics.median(flows), 2) if flows else None, measured[0].calls]


def run_process_section(bench: Bench) -> SectionResult:
    workdir = bench.fresh_dir("process")
    api_url, server_startup = start_prefect_server(bench, bench.fresh_dir("process-prefect-home"))
    env = {**os.environ, **start_emulators(bench, workdir), "PREFECT_API_URL": api_url,
           "OMS_WAREHOUSE": str(workdir / "warehouse" / "oms.duckdb"), "OMS_DATA_DIR": str(workdir / "data")}
    clock = NightClock()
    full = clock.oms_run("`oms run`, full (empty warehouse)", env)
    times = measure_rounds(clock, env)
    temporary = temporary_api_run(clock, env, bench.fresh_dir("process-temporary-home"))
    refuse_unless_unchanged([*times[NO_CHANGE], temporary])

    rows = [_row(label, measured) for label, measured in [(full.label, [full]), *times.items(),
                                                            (temporary.label, [temporary])]]
    no_change, empty = _median(times[NO_CHANGE]), _median(times[EMPTY])
    figures = [
        Figure("No-change night, whole `oms run` process against a running Prefect server (median)", "s",
               no_change, empty, "empty Prefect flow process, same server",
               f"import prefect alone {_median(times[IMPORT]):.2f} s"),
        Figure("No-change night, whole process with the temporary API (`make run`)", "s", temporary.seconds,
               no_change, "against a running server"),
        Figure("Full night, whole `oms run` process against a running Prefect server", "s", full.seconds, None,
               "—"),
    ]
    notes = [f"a Prefect server (`prefect server start`, UI off; {server_startup:.1f} s to answer /health) and the "
             "emulators (`python -m replay`, SCB's limits) run as processes of their own for the whole section",
             f"{ROUNDS} interleaved rounds of the three kinds; an `oms run` starts {SCB_WINDOW_SECONDS} s after the "
             "previous one ended (SCB's window), so no run meets the previous run's calls; 'flow s' is the run's own "
             "figure (its stages)",
             "wall = from exec to exit of the process, as `time oms run` shows it"]
    return SectionResult("process", "No-change night as a whole process (`oms run`), against a running Prefect "
                         "server", ["process", "runs", "median s", "min s", "flow s", "API calls"], rows, figures,
                         notes)
