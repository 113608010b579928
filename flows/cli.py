"""The `oms` command: `oms run`, `oms backfill`, `oms status`, `oms serve-replay`, `oms sources`, `oms dictionary`.

Errors print as one line and exit non-zero (1: a run failed or quarantined something, 2: bad configuration or
usage, 3: the source could not be reached), so cron jobs and scripts can trust the exit code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no calls to outside hosts
os.environ.setdefault("DO_NOT_TRACK", "1")

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="oms-data: SCB and Kolada statistics for the seven ÖMS counties, into DuckDB.")

SourceOption = Annotated[list[str] | None, typer.Option("--source", "-s",
                                                         help="Only these sources (id or id prefix); repeatable.")]
ReplayOption = Annotated[bool, typer.Option("--replay", help="Serve the recorded SCB data in ../shared on "
                                                            "loopback and run against it (offline).")]
ForceOption = Annotated[bool, typer.Option("--force", help="Fetch again even what already landed.")]


def _fail(message: str, code: int) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@contextmanager
def _replay_if_asked(replay: bool) -> Iterator[None]:
    """Start the loopback PxWeb and Kolada servers and point the pipeline at them; the HTTP code path stays the
    same as against SCB and Kolada."""
    if not replay:
        yield
        return
    from replay.launch import running_emulators
    from tasks.config import environment_overrides, load_settings

    shared = load_settings().paths.shared_dir
    try:
        emulators = running_emulators(shared)
        servers = emulators.__enter__()
    except FileNotFoundError as err:
        _fail(str(err), 2)
    try:
        typer.echo(f"replay: SCB's PxWebApi 2 at {servers.scb.base_url}, Kolada v3 at {servers.kolada.base_url} "
                   f"(recordings in {shared})")
        with environment_overrides(servers.environment()):
            yield
    finally:
        emulators.__exit__(None, None, None)


@contextmanager
def _progress_bar() -> Iterator[None]:
    """A terminal progress bar over sources, fed by the flow's progress hook."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    import flows.pipeline as pipeline

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=False) as bar:
        task_id = bar.add_task("sources", total=None)

        def advance(source_id: str, total: int) -> None:
            bar.update(task_id, total=total, advance=1, description=f"done {source_id}")

        pipeline.progress_hook = advance
        try:
            yield
        finally:
            pipeline.progress_hook = None


def _check_config(sources: list[str] | None) -> None:
    """Read every YAML file before anything starts: a config error is one line and exit code 2."""
    from tasks.config import ConfigError, load_code_maps, load_settings, load_sources, select_sources
    from tasks.regions import load_regions

    try:
        load_settings()
        load_regions()
        load_code_maps()
        select_sources(load_sources(), sources, on_replay=True)
    except ConfigError as err:
        _fail(str(err), 2)


def _check_network(sources: list[str] | None) -> None:
    """Before Prefect starts (seconds): without network the live run must fail at once and say how to run offline.
    Only the APIs the chosen sources use are checked."""
    from tasks.config import load_settings, load_sources, select_sources
    from tasks.context import is_loopback
    from tasks.fetch.http import check_host_resolves
    from tasks.fetch.pxweb import OFFLINE_HINT

    settings = load_settings()
    base_urls = {"pxweb": settings.scb.base_url, "kolada": settings.kolada.base_url}
    chosen = select_sources(load_sources(), sources, on_replay=is_loopback(settings.scb.base_url))
    for api in sorted({source.api for source in chosen}):
        check_host_resolves(base_urls[api], OFFLINE_HINT)


def _run_flow(call: Callable[[], object], sources: list[str] | None, progress: bool = False) -> None:
    from flows.pipeline import RunFailed
    from tasks.config import ConfigError
    from tasks.fetch.http import SourceUnavailable
    from tasks.load.warehouse import WarehouseBusy

    try:
        _check_network(sources)
        if progress:
            with _progress_bar():
                summary = call()
        else:
            summary = call()
    except ConfigError as err:
        _fail(str(err), 2)
    except RunFailed as err:
        _fail(f"run finished with failures (the rest was published): {err}", 1)
    except (SourceUnavailable, WarehouseBusy) as err:
        _fail(str(err), 3)
    else:
        typer.secho(f"run {summary.run_id}: {len(summary.outcomes)} sources, {summary.calls} API calls, "
                    f"{summary.seconds:.1f} s", fg=typer.colors.GREEN)


@app.command()
def run(source: SourceOption = None, replay: ReplayOption = False, force: ForceOption = False) -> None:
    """The nightly job: fetch, land, validate, load and publish every configured source."""
    from flows.pipeline import nightly

    _check_config(source)
    with _replay_if_asked(replay):
        _run_flow(lambda: nightly(sources=source, force=force), source)


@app.command()
def backfill(
    first_year: Annotated[int, typer.Option("--from", help="First year to (re)load.")],
    last_year: Annotated[int, typer.Option("--to", help="Last year to (re)load.")],
    source: SourceOption = None, replay: ReplayOption = False, force: ForceOption = False,
) -> None:
    """Reload a range of years; resumable: what already landed for the same table version is not refetched."""
    from flows.pipeline import backfill as backfill_flow

    if first_year > last_year:
        _fail(f"--from {first_year} is after --to {last_year}", 2)
    _check_config(source)
    with _replay_if_asked(replay):
        _run_flow(lambda: backfill_flow(first_year=first_year, last_year=last_year, sources=source, force=force),
                  source, progress=True)


@app.command()
def status(limit: Annotated[int, typer.Option(help="How many recent runs.")] = 5) -> None:
    """What the last runs did, per source, read from the published warehouse."""
    with _published_warehouse() as (_, con):
        _print_runs(con, limit)


@contextmanager
def _published_warehouse() -> Iterator[tuple[Path, object]]:
    """The published warehouse opened read-only, or one line and exit 2 (none yet) or 3 (cannot be opened)."""
    import duckdb

    from tasks.config import load_settings
    from tasks.load.warehouse import connect_read_only

    path: Path = load_settings().paths.warehouse
    if not path.exists():
        _fail(f"no warehouse at {path} yet: run `oms run` first", 2)
    try:
        con = connect_read_only(path)
    except duckdb.IOException as err:
        _fail(f"cannot open {path} read-only: {err}", 3)
    try:
        yield path, con
    finally:
        con.close()


def _print_runs(con, limit: int) -> None:
    runs = con.execute("SELECT run_id, flow, status, started_at, finished_at, calls FROM audit.run "
                       "ORDER BY started_at DESC LIMIT ?", [limit]).fetchall()
    for run_id, flow_name, run_status, started, finished, calls in runs:
        typer.echo(f"{started:%Y-%m-%d %H:%M} {flow_name} {run_status} calls={calls} run={run_id} "
                   f"({(finished - started).total_seconds():.1f} s)")
        for row in con.execute("SELECT source_id, status, calls, rows_fetched, rows_rejected, rows_loaded, "
                               "rows_published, message FROM audit.batch WHERE run_id = ? ORDER BY source_id",
                               [run_id]).fetchall():
            typer.echo("    {:<40} {:<11} calls={} fetched={} rejected={} loaded={} published={}{}".format(
                *row[:7], f" — {row[7]}" if row[7] else ""))


@app.command("sources")
def list_sources() -> None:
    """The configured sources (config/sources/*.yaml)."""
    from tasks.config import ConfigError, load_sources

    try:
        for source in load_sources():
            where = " (replay only)" if source.only_on else ""
            typer.echo(f"{source.id:<42} {source.table:<24} {source.frequency:<8}{where} {source.title}")
    except ConfigError as err:
        _fail(str(err), 2)


@app.command("dictionary")
def write_dictionary(
    out: Annotated[Path | None, typer.Option("--out", help="Markdown file to write "
                                                         "[default: docs/DATA_DICTIONARY.md in the project].")] = None,
) -> None:
    """Write the data dictionary (every published table, view and column) from the published warehouse."""
    from tasks.config import PROJECT_ROOT
    from tasks.publish.dictionary import render_dictionary, undescribed_objects

    # From the published warehouse, read-only: the dictionary describes what analysts actually query (every
    # source, the indicator catalogue). After `make run` that is the recorded data, so the committed doc is
    # reproducible; OMS_WAREHOUSE points it at another file.
    target = out or PROJECT_ROOT / "docs" / "DATA_DICTIONARY.md"
    with _published_warehouse() as (path, con):
        markdown, missing = render_dictionary(con), undescribed_objects(con)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(markdown, encoding="utf-8")
    typer.echo(f"wrote {target} from {path}")
    if missing:
        typer.secho(f"warning: no description for {', '.join(missing)} (warehouse/sql/publish/90_comments.sql)",
                    fg=typer.colors.YELLOW, err=True)


@app.command()
def serve() -> None:
    """Serve the nightly and backfill deployments to a running Prefect server (see README: operations)."""
    from prefect import serve as prefect_serve

    from flows.deployments import all_deployments

    prefect_serve(*all_deployments())


@app.command("serve-replay")
def serve_replay(port: Annotated[int, typer.Option(help="Port of the PxWebApi 2 emulator on 127.0.0.1; Kolada's is "
                                                        "the next one.")] = 8765) -> None:
    """Serve the PxWebApi 2 and Kolada v3 emulators on loopback from the recordings (Ctrl-C to stop)."""
    from replay.__main__ import main as serve_emulators
    from tasks.config import load_settings

    serve_emulators(["--shared", str(load_settings().paths.shared_dir), "--scb-port", str(port),
                     "--kolada-port", str(port + 1)])


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
