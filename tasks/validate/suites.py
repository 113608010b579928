"""Run the Great Expectations suites kept in expectations/ on a batch DataFrame.

Batches are validated as pandas DataFrames: GX's SQL datasource on DuckDB is broken (shared/STACK-NOTES.md,
great_expectations#10738), and the batch must pass before it reaches the warehouse anyway.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from tasks.config import EXPECTATIONS_DIR

if TYPE_CHECKING:  # annotations only: pandas is imported where a batch is parsed (tasks/lazy.py)
    import pandas as pd


@dataclass(frozen=True)
class Failure:
    expectation: str
    column: str | None
    unexpected_count: int | None
    examples: list
    why: str
    error: str | None = None

    def line(self) -> str:
        target = f" on `{self.column}`" if self.column else ""
        count = f": {self.unexpected_count} unexpected" if self.unexpected_count is not None else ""
        examples = f", e.g. {self.examples[:5]}" if self.examples else ""
        error = f" (error: {self.error})" if self.error else ""
        why = f" — {self.why}" if self.why else ""
        return f"{self.expectation}{target}{count}{examples}{error}{why}"


@dataclass(frozen=True)
class ValidationOutcome:
    suite: str
    success: bool
    evaluated: int
    failures: list[Failure] = field(default_factory=list)
    gx_result: tuple | None = field(default=None, compare=False, repr=False)  # GX's (identifier, result)


def suite_document(name: str, directory: Path = EXPECTATIONS_DIR) -> dict:
    path = directory / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"no expectation suite {name!r} ({path})")
    return json.loads(path.read_text(encoding="utf-8"))


DATA_DOCS_SITE = "oms"


def _import_gx():
    # Imported lazily: GX takes ~3 s to import and only the validate stage needs it.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no usage events to GX's servers
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    return gx


@cache
def _context():
    """Validation runs in an ephemeral context, private to this process: suites come from expectations/ every
    time, so another process (a backfill beside the nightly) can never make this one's suites stale."""
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = _import_gx().get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@cache
def _checkpoint(name: str, directory: Path):
    """The suite as a GX checkpoint that validates a DataFrame batch."""
    gx = _import_gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    context = _context()
    document = suite_document(name, directory)
    suite = gx.ExpectationSuite(name=document["name"], meta=document.get("meta", {}))
    for spec in document["expectations"]:
        suite.add_expectation_configuration(
            ExpectationConfiguration(type=spec["type"], kwargs=spec["kwargs"], meta=spec.get("meta", {}))
        )
    suite = context.suites.add_or_update(suite)
    # One datasource per suite: add_or_update replaces a datasource whole, so a shared one would lose the assets
    # of suites defined earlier in the process (the next validation then fails: "Could not find asset").
    asset = context.data_sources.add_or_update_pandas(f"{name} batches").add_dataframe_asset(f"{name}_batch")
    batch_definition = asset.add_batch_definition_whole_dataframe("whole batch")
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(data=batch_definition, suite=suite, name=f"validate {name}"))
    # No Data Docs action here: GX would rebuild the docs' index after every suite (~1 s each, growing with the
    # history); the run hands its results to the docs once, after the validate stage (update_data_docs).
    # BASIC gives what a failure line shows (the unexpected count and the first unexpected values); SUMMARY adds
    # a value count of the unexpected cells, computed for every expectation: 0.36 s vs 0.25 s per suite run.
    return context.checkpoints.add_or_update(gx.Checkpoint(
        name=f"check {name}", validation_definitions=[definition], result_format="BASIC"))


def run_suite(frame: pd.DataFrame, name: str, parameters: dict | None = None,
              directory: Path = EXPECTATIONS_DIR) -> ValidationOutcome:
    """Validate ``frame`` with the suite ``name``; the outcome keeps GX's result for the Data Docs."""
    checked = _checkpoint(name, directory).run(batch_parameters={"dataframe": frame},
                                               expectation_parameters=parameters or {})
    ((result_id, result),) = checked.run_results.items()
    failures = [_failure(r) for r in result.results if not r.success]
    return ValidationOutcome(name, bool(result.success), len(result.results), failures, (result_id, result))


def update_data_docs(data_dir: Path, results: list[tuple], keep_results: int | None = None) -> Path | None:
    """GX keeps these validation results under ``<data_dir>/gx`` (a file-backed context, opened afresh so that
    runs in other processes add theirs too) and writes their pages and its index into ``<data_dir>/site/data-docs``.
    Then only the newest ``keep_results`` stay in GX's store (None: all), and GX drops the pages of the others:
    its build walks every stored result on each run, so its cost would grow for good. The lasting record of every
    validation is the audit (audit.batch) and the quarantine reports.
    """
    if not results:
        return None
    context = _import_gx().get_context(mode="file", project_root_dir=data_dir)
    site = data_dir / "site" / "data-docs"
    _configure_docs_site(context, site)
    store = context.validation_results_store
    for result_id, result in results:
        store.set(result_id, result)
    if keep_results is not None:
        stored = sorted(store.list_keys(), key=lambda key: key.run_id.run_time, reverse=True)
        for old in stored[max(keep_results, len(results)):]:  # never this run's own
            store.remove_key(old)
    context.build_data_docs(site_names=[DATA_DOCS_SITE], resource_identifiers=[key for key, _ in results])
    return site / "index.html"


def _docs_site_config(site: Path) -> dict:
    """GX's site with its own views, given Jinja's bytecode cache (tasks/validate/docs_views.py)."""
    def view(class_name: str) -> dict:
        return {"module_name": "tasks.validate.docs_views", "class_name": class_name}

    return {"class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "view": view("CachedIndexPageView")},
            "site_section_builders": {"validations": {"view": view("CachedPageView")}},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site)}}


def _configure_docs_site(context, site: Path) -> None:
    """Adds the docs site to GX's file context, or brings a site an earlier version wrote up to date."""
    wanted = _docs_site_config(site)
    stored = context.list_data_docs_sites().get(DATA_DOCS_SITE)
    if stored is None:
        context.add_data_docs_site(site_name=DATA_DOCS_SITE, site_config=wanted)
    elif stored != wanted:
        context.update_data_docs_site(site_name=DATA_DOCS_SITE, site_config=wanted)


def _failure(result) -> Failure:
    config = result.expectation_config
    details = result.result or {}
    info = result.exception_info or {}
    error = info.get("exception_message") if info.get("raised_exception") else None
    return Failure(
        expectation=config.type,
        column=config.kwargs.get("column") or (", ".join(config.kwargs.get("column_list", [])) or None),
        unexpected_count=details.get("unexpected_count"),
        # GX lists the first unexpected cells, often the same value many times: show each value once.
        examples=list(dict.fromkeys(map(str, details.get("partial_unexpected_list") or [])))[:10],
        why=(config.meta or {}).get("why", ""),
        error=error,
    )
