"""Where a benchmark runs: an isolated process environment, the replay server, temporary pipeline directories.

Nothing here imports Prefect: ``isolate_process_environment`` must run before Prefect is first imported, because
Prefect reads PREFECT_HOME and its logging settings at import time.
"""

from __future__ import annotations

import logging
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

from replay.pxweb.server import PxWebReplayServer, ReplayLimits
from tasks.catalogue import SourceConfig
from tasks.config import environment_overrides, load_settings, load_sources, select_sources


def isolate_process_environment(scratch: Path) -> None:
    """Prefect's database under the scratch directory, no telemetry, and quiet loggers so the tables stay readable."""
    os.environ["PREFECT_HOME"] = str(scratch / "prefect-home")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"  # otherwise the server calls an outside host
    os.environ["DO_NOT_TRACK"] = "1"
    # The flow logs one line per source and run; at INFO they would drown the tables this command prints.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # pyaxis (imported by the replay server) calls logging.basicConfig(level=INFO) at import, so every library's
    # INFO lines (httpx per Prefect API call, GX per context built) would reach stderr through that handler.
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)


def scb_sources() -> list[SourceConfig]:
    """The sources measured: SCB's, whose limits (cells per call, calls per window) these benchmarks are about.
    Kolada's sources answer from another server with its own pace and are left out of every section."""
    return [s for s in select_sources(load_sources(), None, on_replay=True) if s.api == "pxweb"]


def shared_dir() -> Path:
    """The recorded SCB material the replay server answers from (settings: paths.shared_dir, OMS_SHARED_DIR)."""
    path = load_settings().paths.shared_dir
    if not (path / "scb").is_dir():
        raise SystemExit(f"error: no recorded SCB data at {path}/scb; set OMS_SHARED_DIR to the shared folder")
    return path


@contextmanager
def replay_server(limits: ReplayLimits) -> Iterator[PxWebReplayServer]:
    """A fresh loopback PxWeb server: its call window starts empty, so no earlier scenario's calls count."""
    with PxWebReplayServer(shared_dir=shared_dir(), limits=limits) as server:
        yield server


@contextmanager
def pipeline_pointed_at(server: PxWebReplayServer, workdir: Path) -> Iterator[Path]:
    """Point the pipeline (through its environment overrides) at ``server`` and at a warehouse under ``workdir``.

    The Prefect flow builds its own context from the environment, so the environment is the one way to steer
    both the flow and the plain functions the same way.
    """
    with environment_overrides({"OMS_SCB_BASE_URL": server.base_url,
                                "OMS_WAREHOUSE": str(workdir / "warehouse" / "oms.duckdb"),
                                "OMS_DATA_DIR": str(workdir / "data")}):
        refuse_unless_inside(workdir)
        yield workdir


def refuse_unless_inside(workdir: Path) -> None:
    """Stop before a benchmark could write the published warehouse (e.g. if settings stop honouring overrides)."""
    paths = load_settings().paths
    for path in (paths.warehouse, paths.data_dir):
        if not path.resolve().is_relative_to(workdir.resolve()):
            raise RuntimeError(f"benchmark would write {path}, outside its temporary directory {workdir}")


def machine_description() -> dict[str, str | int | None]:
    """Versions from package metadata, so describing the machine does not import Prefect."""
    return {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "duckdb": version("duckdb"), "prefect": version("prefect"), "pandas": version("pandas")}
