"""Deployments: the nightly schedule (03:00 Stockholm time) and an on-demand backfill.

Two ways to run them, documented in the README:
- `oms serve` — this process serves both deployments to a running Prefect server (simplest, one machine);
- `prefect deploy --all` with prefect.yaml, then `prefect worker start --pool oms-process` on one or more
  machines (the work-pool path; a test checks prefect.yaml says the same as this module).
"""

from __future__ import annotations

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.pipeline import backfill, nightly

NIGHTLY_CRON = "0 3 * * *"
TIMEZONE = "Europe/Stockholm"  # a bare cron string would be UTC (shared/STACK-NOTES.md)
NIGHTLY_PARAMETERS: dict = {"sources": None, "force": False}

# One warehouse writer at a time: a second run waits its turn instead of failing on the writer lock.
ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


def nightly_deployment() -> RunnerDeployment:
    return nightly.to_deployment(
        name="nightly", schedule=Cron(NIGHTLY_CRON, timezone=TIMEZONE), parameters=NIGHTLY_PARAMETERS,
        concurrency_limit=ONE_AT_A_TIME, tags=["oms", "nightly"],
        description="Every source, incremental by each table's updated stamp; publishes atomically.")


def backfill_deployment() -> RunnerDeployment:
    return backfill.to_deployment(
        name="backfill", concurrency_limit=ONE_AT_A_TIME, tags=["oms", "backfill"],
        description="Reload a range of years for some sources: "
                    "prefect deployment run 'oms-backfill/backfill' -p first_year=2015 -p last_year=2024")


def all_deployments() -> list[RunnerDeployment]:
    return [nightly_deployment(), backfill_deployment()]
