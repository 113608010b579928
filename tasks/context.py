"""The resources one run uses, built once and not changed by it: settings, regions, the API clients (sharing
the call limiters), directories, run id and the run's parameters. What the warehouse already holds travels
separately (tasks.fetch.common.fetched.AlreadyLoaded), and so does progress reporting."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tasks.catalogue import FocusArea, Indicator, SourceConfig
from tasks.config import ApiSettings, Settings, load_catalogue, load_code_maps, load_settings, load_sources
from tasks.fetch.common.deadline import session_with_deadlines
from tasks.fetch.common.http import OFFLINE_HINT, HttpCaller
from tasks.fetch.common.rate_limit import SlidingWindowLimiter
from tasks.fetch.kolada.client import KoladaClient
from tasks.fetch.pxweb.client import PxWebClient
from tasks.regions import Regions, load_regions

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(url: str) -> bool:
    """A replay server on this machine (offline runs), not the live API."""
    return any(f"//{host}" in url for host in LOOPBACK_HOSTS)


@dataclass
class RunContext:
    settings: Settings
    regions: Regions
    code_maps: dict[str, dict[str, str]]
    areas: dict[str, FocusArea]  # the catalogue, read once per run
    indicators: dict[str, Indicator]
    sources: list[SourceConfig]  # every configured source (a run may fetch a few)
    pxweb: PxWebClient
    kolada: KoladaClient
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    first_year: int | None = None
    last_year: int | None = None
    force: bool = False

    @property
    def units(self) -> dict[str, str]:
        """Indicator id -> unit, from the catalogue."""
        return {key: indicator.unit for key, indicator in self.indicators.items()}

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

    @property
    def site_dir(self) -> Path:
        return self.settings.paths.data_dir / "site"


def _http_caller(api: ApiSettings, limiter: SlidingWindowLimiter) -> HttpCaller:
    session = session_with_deadlines()
    session.headers["User-Agent"] = "oms-data (ÖMS 2050 regional statistics pipeline)"
    return HttpCaller(api.base_url, limiter, session=session, timeout_seconds=api.timeout_seconds,
                      max_attempts=api.max_attempts, backoff_seconds=api.backoff_seconds,
                      max_retry_after_seconds=api.max_retry_after_seconds,
                      max_response_bytes=api.max_response_bytes, max_call_seconds=api.max_call_seconds)


def build_context(run_id: str | None = None, first_year: int | None = None, last_year: int | None = None,
                  force: bool = False, settings: Settings | None = None) -> RunContext:
    settings = settings or load_settings()
    scb, kolada = settings.scb, settings.kolada
    # Start conservative (SCB's published 30 calls / 10 s); /config then tells the real limit.
    scb_caller = _http_caller(scb, SlidingWindowLimiter(max_calls=30, window_seconds=10))
    # Kolada publishes no limit: stay near the advised 5 requests per second (shared/README.md).
    kolada_caller = _http_caller(kolada, SlidingWindowLimiter(max(1, round(kolada.requests_per_second)), 1))
    for caller in (scb_caller, kolada_caller):
        # The way to run offline is worth saying only when the live API was meant; on the replay it is in use.
        caller.offline_hint = "" if is_loopback(caller.base_url) else OFFLINE_HINT
    areas, indicators = load_catalogue()
    context = RunContext(settings, load_regions(selection=settings.regions), load_code_maps(), areas, indicators,
                         load_sources(),
                         PxWebClient(scb_caller, scb.language),
                         KoladaClient(kolada_caller), first_year=first_year, last_year=last_year, force=force)
    if run_id:
        context.run_id = run_id
    return context
