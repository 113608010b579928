"""Write a readable report for a batch that must not be published. The raw responses stay in the landing zone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tasks.fetch.common.http import utc_now

if TYPE_CHECKING:  # annotations only: pandas is imported where a batch is parsed (tasks/lazy.py)
    import pandas as pd


@dataclass(frozen=True)
class QuarantineReport:
    path: Path
    reason: str


def write_quarantine_report(quarantine_dir: Path, run_id: str, source_id: str, table: str, reason: str,
                            details: list[str], landed_paths: list[str],
                            sample: pd.DataFrame | None = None) -> QuarantineReport:
    directory = quarantine_dir / run_id / source_id
    directory.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Quarantined: {source_id} ({table})",
        "",
        f"- run: `{run_id}`",
        f"- when: {utc_now()}",
        f"- reason: **{reason}**",
        "- published tables: unchanged (this batch was not loaded; the previous data stays published)",
        f"- Great Expectations' own report of each suite: {quarantine_dir.parent / 'site' / 'data-docs' / 'index.html'}"
        " (Data Docs; also linked from the monitoring site's start page)",
        "",
        "## What failed",
        *[f"- {line}" for line in details],
        "",
        "## Raw responses (landed unmodified)",
        *[f"- `{p}`" for p in landed_paths],
    ]
    if sample is not None and not sample.empty:
        sample_path = directory / "batch_sample.csv"
        sample.head(200).to_csv(sample_path, index=False)
        lines += ["", f"First rows of the parsed batch: `{sample_path.name}`"]
    lines += ["", "To retry after fixing the cause: `oms run --source " + source_id + "`"]
    path = directory / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return QuarantineReport(path, reason)
