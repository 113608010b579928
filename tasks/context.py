"""Everything one run needs, built once: settings, regions, the shared HTTP client, directories, run id."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tasks.config import Regions, Settings, SourceConfig, load_code_maps, load_regions, load_settings
from tasks.fetch.http import HttpCaller
from tasks.fetch.pxweb import PxWebClient
from tasks.fetch.rate_limit import SlidingWindowLimiter

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


@dataclass
class RunContext:
    settings: Settings
    regions: Regions
    code_maps: dict[str, dict[str, str]]
    pxweb: PxWebClient
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    first_year: int | None = None
    last_year: int | None = None
    force: bool = False
    landing_audit: dict[str, bool] = field(default_factory=dict)  # landed data path -> loaded (False: rejected)
    progress: Callable[[str], None] | None = None  # called once per source done (the CLI's progress bar)

    @property
    def on_replay(self) -> bool:
        return any(f"//{host}" in self.settings.scb.base_url for host in LOOPBACK_HOSTS)

    @property
    def warehouse(self) -> Path:
        return self.settings.paths.warehouse

    @property
    def landing_dir(self) -> Path:
        return self.settings.paths.data_dir / "landing"

    @property
    def quarantine_dir(self) -> Path:
        return self.settings.paths.data_dir / "quarantine"

    @property
    def exports_dir(self) -> Path:
        return self.settings.paths.data_dir / "exports"

    def codelists(self, source: SourceConfig) -> dict[str, str]:
        return {variable: spec.codelist for variable, spec in source.selection.items() if spec.codelist}


def build_context(run_id: str | None = None, first_year: int | None = None, last_year: int | None = None,
                  force: bool = False, settings: Settings | None = None) -> RunContext:
    settings = settings or load_settings()
    scb = settings.scb
    # Start conservative (SCB's published 30 calls / 10 s); /config then tells the real limit.
    limiter = SlidingWindowLimiter(max_calls=30, window_seconds=10)
    session = requests.Session()
    session.headers["User-Agent"] = "oms-data (ÖMS 2050 regional statistics pipeline)"
    caller = HttpCaller(scb.base_url, limiter, session=session, timeout_seconds=scb.timeout_seconds,
                        max_attempts=scb.max_attempts, backoff_seconds=scb.backoff_seconds)
    context = RunContext(settings, load_regions(), load_code_maps(), PxWebClient(caller, scb.language),
                         first_year=first_year, last_year=last_year, force=force)
    if run_id:
        context.run_id = run_id
    return context
