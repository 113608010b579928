"""The Prefect routes as the README documents them, offline with one switch (OMS_REPLAY=1: every flow run starts
the emulators itself): `oms serve --replay` serving the deployments, and the scale-out path — `prefect work-pool
create`, `prefect deploy --all` from prefect.yaml, two `prefect worker start` processes, a nightly and a backfill at
the same time, each run by a worker in its own process; the warehouse lock puts their writes one after the other."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tasks.load.warehouse import connect_read_only

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).with_name("prefect"))
POOL = "oms-process"  # the pool prefect.yaml names


def _prefect(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([PREFECT, "--no-prompt", *args], env=env, cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout


def _wait_until_final(client, flow_run_ids: list, timeout: float = 150) -> list:
    deadline = time.monotonic() + timeout
    while True:
        runs = [client.read_flow_run(run_id) for run_id in flow_run_ids]
        if all(run.state.is_final() for run in runs) or time.monotonic() > deadline:
            return runs
        time.sleep(1)


def _wait_for_workers(client, names: set[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while {w.name for w in client.read_workers_for_work_pool(POOL)} < names:
        assert time.monotonic() < deadline, f"workers {names} did not start polling {POOL}"
        time.sleep(0.5)


@pytest.fixture()
def worker_env(pipeline_env: Path) -> dict[str, str]:
    """What a worker machine without network has: the Prefect API, the project, and OMS_REPLAY=1 — no emulator
    addresses (the runs start their own). Workers and `oms serve` look for runs every second, not every 10 s."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if k not in ("OMS_SCB_BASE_URL", "OMS_KOLADA_BASE_URL")}
    return {**env, "PREFECT_API_URL": PREFECT_API_URL.value(), "OMS_PROJECT_DIR": str(PROJECT_ROOT),
            "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_RUNNER_POLL_FREQUENCY": "1", "OMS_REPLAY": "1"}


def test_oms_serve_replay_runs_a_deployment_offline(worker_env, pipeline_env) -> None:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    env = {k: v for k, v in worker_env.items() if k != "OMS_REPLAY"}  # the documented switch: --replay
    log = pipeline_env / "serve.log"
    server = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve", "--replay"], cwd=PROJECT_ROOT, env=env,
                              stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        with get_client(sync_client=True) as client:
            deadline = time.monotonic() + 90
            while not any(d.name == "backfill" for d in client.read_deployments()):
                assert time.monotonic() < deadline and server.poll() is None, log.read_text(encoding="utf-8")
                time.sleep(0.5)
        run = run_deployment("oms-backfill/backfill", timeout=0, parameters={
            "first_year": 2025, "last_year": 2025, "sources": ["population_municipality_year"]})
        with get_client(sync_client=True) as client:
            (run,) = _wait_until_final(client, [run.id])
    finally:
        _stop(server)
    assert run.state.type.value == "COMPLETED", log.read_text(encoding="utf-8")[-3000:]
    assert "replay: SCB's PxWebApi 2 at http://127.0.0.1:" in log.read_text(encoding="utf-8")
    with connect_read_only(pipeline_env / "warehouse" / "oms.duckdb") as con:
        assert con.execute("SELECT count(*) FROM main.observation").fetchone()[0] == 95


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM and wait; a Prefect worker on a loaded machine may take longer than a minute to shut down cleanly,
    and how fast it does is not what these tests are about: then it is killed."""
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


def test_nightly_and_backfill_deployments_run_on_two_process_workers(worker_env, pipeline_env) -> None:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    _prefect(worker_env, "work-pool", "create", POOL, "--type", "process", "--overwrite")
    deployed = _prefect(worker_env, "deploy", "--all")
    assert "oms-nightly/nightly" in deployed and "oms-backfill/backfill" in deployed
    logs = [pipeline_env / f"worker-{n}.log" for n in (1, 2)]
    workers = [subprocess.Popen([PREFECT, "worker", "start", "--pool", POOL, "--limit", "1", "--name", f"oms-{n}"],
                                env=worker_env, stdout=log.open("w"), stderr=subprocess.STDOUT)
               for n, log in zip((1, 2), logs, strict=True)]
    try:
        with get_client(sync_client=True) as client:
            _wait_for_workers(client, {"oms-1", "oms-2"})  # both polling before any run exists
        nightly = run_deployment("oms-nightly/nightly", parameters={"sources": ["population_county_month"]},
                                 timeout=0)
        backfill = run_deployment("oms-backfill/backfill", timeout=0, parameters={
            "first_year": 2025, "last_year": 2025, "sources": ["population_municipality_year"]})
        with get_client(sync_client=True) as client:
            runs = _wait_until_final(client, [nightly.id, backfill.id])
            registered = {w.name for w in client.read_workers_for_work_pool(POOL)}
    finally:
        for worker in workers:
            _stop(worker)
    assert [run.state.type.value for run in runs] == ["COMPLETED", "COMPLETED"], [str(r.state) for r in runs]
    assert {run.work_pool_name for run in runs} == {POOL} and {"oms-1", "oms-2"} <= registered
    # each run was submitted exactly once, in a process of its own; which worker took which is the pool's choice
    # (with --limit 1 a worker that finishes first may also take the second run before the other one polls)
    started = "".join(log.read_text(encoding="utf-8") for log in logs)
    assert [started.count(f"Flow run '{run.name}' submitted to infrastructure") for run in runs] == [1, 1]
    assert runs[0].infrastructure_pid != runs[1].infrastructure_pid
    with connect_read_only(pipeline_env / "warehouse" / "oms.duckdb") as con:
        audit = con.execute("SELECT flow, status FROM audit.run ORDER BY flow").fetchall()
        published = dict(con.execute("SELECT source_id, count(*) FROM main.observation GROUP BY ALL").fetchall())
    assert audit == [("oms-backfill", "completed"), ("oms-nightly", "completed")]
    assert published == {"population_county_month": 1008, "population_municipality_year": 95}
