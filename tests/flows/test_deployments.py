"""The nightly schedule and parameters, as `oms serve` and `prefect deploy` would register them."""

from __future__ import annotations

from pathlib import Path

import yaml

from flows.deployments import NIGHTLY_CRON, TIMEZONE, backfill_deployment, nightly_deployment

PREFECT_YAML = Path(__file__).resolve().parents[2] / "prefect.yaml"


def test_nightly_runs_at_three_stockholm_time() -> None:
    deployment = nightly_deployment()
    (schedule,) = deployment.schedules
    assert schedule.schedule.cron == "0 3 * * *"
    assert schedule.schedule.timezone == "Europe/Stockholm"
    assert deployment.parameters == {"sources": None, "force": False}
    assert deployment.concurrency_limit == 1
    assert deployment.entrypoint.endswith("flows/pipeline.py:nightly")


def test_backfill_is_unscheduled_and_takes_a_year_range() -> None:
    deployment = backfill_deployment()
    assert not deployment.schedules
    required = deployment._parameter_openapi_schema.required
    assert set(required) == {"first_year", "last_year"}


def test_prefect_yaml_agrees_with_the_code() -> None:
    document = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    by_name = {d["name"]: d for d in document["deployments"]}
    (schedule,) = by_name["nightly"]["schedules"]
    assert (schedule["cron"], schedule["timezone"]) == (NIGHTLY_CRON, TIMEZONE)
    assert by_name["nightly"]["parameters"] == nightly_deployment().parameters
    assert by_name["nightly"]["entrypoint"] == "flows/pipeline.py:nightly"
    assert by_name["backfill"]["entrypoint"] == "flows/pipeline.py:backfill"
