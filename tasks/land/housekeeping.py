"""What keeps the landing folder from growing without bound, or holding leftovers that look like answers.

- ``.partial`` files are answers being written; one older than the current run was cut off by a crash and is removed.
- Metadata answers (every night lands one per source, even when nothing changed) are kept for
  ``metadata_retention_days``; the newest answer of each request is always kept. Data answers are kept for good:
  they are what ``oms rebuild`` replays into a fresh warehouse.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from tasks.land.landing import SIDECAR, LandedResponse

DAY = 86_400


def remove_stale_partials(landing_dir: Path, older_than: float) -> int:
    """Remove ``.partial`` files last written before ``older_than`` (epoch seconds); returns how many."""
    removed = 0
    for partial in landing_dir.rglob("*.partial"):
        if partial.stat().st_mtime < older_than:
            partial.unlink(missing_ok=True)
            removed += 1
    return removed


def prune_metadata(landed_answers: list[LandedResponse], retention_days: float,
                   now: float | None = None) -> list[LandedResponse]:
    """Delete metadata answers older than the retention, keeping the newest of each request; returns the pruned.
    ``landed_answers``: every metadata answer not pruned yet (a run passes the audit's: ``audited_landings``)."""
    now = time.time() if now is None else now
    by_request: dict[Path, list[LandedResponse]] = defaultdict(list)
    for landed in landed_answers:
        if landed.kind == "metadata":
            by_request[Path(landed.path).parent].append(landed)
    pruned = []
    for answers in by_request.values():
        for landed in sorted(answers, key=lambda item: item.fetched_at)[:-1]:
            if _fetched_within(landed, now, retention_days):
                continue  # its body is at least as new as its fetch: not worth a stat (most answers, every night)
            if _age_seconds(Path(landed.path), now) > retention_days * DAY:
                Path(landed.path).unlink(missing_ok=True)
                Path(landed.path + SIDECAR).unlink(missing_ok=True)
                pruned.append(landed)
    return pruned


def _fetched_within(landed: LandedResponse, now: float, days: float) -> bool:
    try:
        return now - datetime.fromisoformat(landed.fetched_at).timestamp() < days * DAY
    except ValueError:
        return False  # an unreadable stamp: the body's own age decides


def _age_seconds(body: Path, now: float) -> float:
    try:
        return now - body.stat().st_mtime
    except FileNotFoundError:
        return math.inf  # gone already (removed by hand): recorded as pruned
