"""Everything one run needs, built once: settings, regions, the shared HTTP client, directories, run id."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tasks.catalogue import SourceConfig
from tasks.config import Regions, Settings, load_catalogue, load_code_maps, load_regions, load_settings
from tasks.fetch.http import HttpCaller
from tasks.fetch.kolada import KoladaClient
from tasks.fetch.pxweb import OFFLINE_HINT, PxWebClient
from tasks.fetch.rate_limit import SlidingWindowLimiter

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(url: str) -> bool:
    """A replay server on this machine (offline runs), not the live API."""
    return any(f"//{host}" in url for host in LOOPBACK_HOSTS)


@dataclass
class RunContext:
    settings: Settings
    regions: Regions
    code_maps: dict[str, dict[str, str]]
    units: dict[str, str]  # indicator id -> unit, from the catalogue
    pxweb: PxWebClient
    kolada: KoladaClient
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    first_year: int | None = None
    last_year: int | None = None
    force: bool = False
    landing_audit: dict[str, bool] = field(default_factory=dict)  # landed data path -> loaded (False: rejected)
    loaded_versions: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # source -> (stamp,
    # periods) of its last load
    progress: Callable[[str], None] | None = None  # called once per source done (the CLI's progress bar)

    @property
    def on_replay(self) -> bool:
        return is_loopback(self.settings.scb.base_url)

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


def _http_caller(base_url: str, limiter: SlidingWindowLimiter, timeout_seconds: float, max_attempts: int,
                 backoff_seconds: float) -> HttpCaller:
    session = requests.Session()
    session.headers["User-Agent"] = "oms-data (ÖMS 2050 regional statistics pipeline)"
    return HttpCaller(base_url, limiter, session=session, timeout_seconds=timeout_seconds,
                      max_attempts=max_attempts, backoff_seconds=backoff_seconds)


def build_context(run_id: str | None = None, first_year: int | None = None, last_year: int | None = None,
                  force: bool = False, settings: Settings | None = None) -> RunContext:
    settings = settings or load_settings()
    scb, kolada = settings.scb, settings.kolada
    # Start conservative (SCB's published 30 calls / 10 s); /config then tells the real limit.
    scb_caller = _http_caller(scb.base_url, SlidingWindowLimiter(max_calls=30, window_seconds=10),
                              scb.timeout_seconds, scb.max_attempts, scb.backoff_seconds)
    # Kolada publishes no limit: stay near the advised 5 requests per second (shared/README.md).
    kolada_caller = _http_caller(kolada.base_url, SlidingWindowLimiter(max(1, round(kolada.requests_per_second)), 1),
                                 kolada.timeout_seconds, kolada.max_attempts, kolada.backoff_seconds)
    kolada_caller.offline_hint = OFFLINE_HINT
    units = {key: indicator.unit for key, indicator in load_catalogue()[1].items()}
    context = RunContext(settings, load_regions(), load_code_maps(), units, PxWebClient(scb_caller, scb.language),
                         KoladaClient(kolada_caller), first_year=first_year, last_year=last_year, force=force)
    if run_id:
        context.run_id = run_id
    return context
