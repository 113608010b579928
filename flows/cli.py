"""The `oms` command: `oms run`, `oms backfill`, `oms status`, `oms rebuild`, `oms sources`, `oms dictionary`,
`oms serve`, `oms serve-replay`.

Errors print as one line and exit non-zero (1: a run failed or quarantined something, 2: bad configuration or
usage, 3: the source or the warehouse could not be reached, 143: stopped by SIGTERM), so cron jobs and scripts can
trust the exit code. Every run attempt is written to the run log beside the warehouse, however it ends.
"""

from __future__ import annotations

import os
import shlex
import signal
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
ReplayOption = Annotated[bool, typer.Option("--replay", help="Run offline against the emulators of SCB's and "
                                                            "Kolada's APIs, on the recordings in ../shared.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Fetch again even what already landed.")]
RegionsOption = Annotated[str | None, typer.Option(
    "--regions", help="Which counties: a selection in config/regions.yaml (oms, sweden) or county codes such as "
                      "01,12 [default: settings regions, OMS_REGIONS, else oms].")]
EXIT_STATUS = {0: "completed", 1: "failed", 2: "refused", 3: "unreachable", 143: "terminated"}


class _Exit(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _fail(message: str, code: int) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _typed_command() -> str:
    return "oms " + shlex.join(sys.argv[1:])


def _settings_or_exit():
    from tasks.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as err:
        _fail(str(err), 2)


def _check_config(sources: list[str] | None, replay: bool) -> None:
    """Every YAML file read and checked, the sources chosen and the warehouse writable, before anything starts."""
    from tasks.config import ConfigError, live_only_sources, load_code_maps, load_sources, select_sources
    from tasks.regions import load_regions

    settings = _settings_or_exit()
    try:
        load_regions()
        load_code_maps()
        chosen = select_sources(load_sources(), sources, on_replay=replay or settings.replay)
    except ConfigError as err:
        _fail(str(err), 2)
    if not chosen:
        skipped = live_only_sources(load_sources(), sources)
        _fail(f"no source to run: {', '.join(skipped)} {'is' if len(skipped) == 1 else 'are'} live only (nothing "
              f"was recorded to replay); run {'it' if len(skipped) == 1 else 'them'} without --replay", 2)
    _check_writable(settings.paths.warehouse.parent, "OMS_WAREHOUSE (settings paths.warehouse)")
    _check_writable(settings.paths.data_dir, "OMS_DATA_DIR (settings paths.data_dir)")


def _check_writable(directory: Path, what: str) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".oms-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        _fail(f"cannot write to {directory} ({err.strerror or err}); set {what} to a folder this user can write", 2)


def _check_network(sources: list[str] | None) -> None:
    """Before Prefect starts (seconds): without network a live run fails at once and says how to run offline,
    naming the command that was typed."""
    from tasks.config import load_settings, load_sources, select_sources
    from tasks.context import is_loopback
    from tasks.fetch.common.http import check_host_resolves

    settings = load_settings()
    base_urls = {"pxweb": settings.scb.base_url, "kolada": settings.kolada.base_url}
    hint = f"To run offline on the recorded SCB and Kolada data: `{_typed_command()} --replay`."
    for api in sorted({s.api for s in select_sources(load_sources(), sources, on_replay=False)}):
        if not is_loopback(base_urls[api]):
            check_host_resolves(base_urls[api], hint)


@contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """SIGTERM (cron, systemd, `kill`) ends the command in order: exit 143, recorded in the run log."""
    def stop(signum, frame) -> None:
        raise _Exit("stopped by SIGTERM: nothing of this run was published unless it said so", 128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _attempt(call: Callable[[], object], sources: list[str] | None, replay: bool, progress: bool = False) -> None:
    """Run a flow as one logged attempt: started and ended in the run log, whatever happens in between."""
    from flows.api_server import prefect_api
    from flows.attempts import ATTEMPT_VARIABLE
    from flows.pipeline import RunFailed
    from tasks.config import ConfigError, environment_overrides
    from tasks.fetch.common.http import SourceUnavailable
    from tasks.load.warehouse import WarehouseBusy, WarehouseUnreadable
    from tasks.runlog import new_attempt_id, record_end, record_start, runlog_path

    settings = _settings_or_exit()
    log, attempt = runlog_path(settings.paths.warehouse), new_attempt_id()
    record_start(log, attempt, _typed_command())
    code, message, summary = 0, None, None
    try:
        with _stopped_by_sigterm(), environment_overrides({ATTEMPT_VARIABLE: attempt,
                                                           **({"OMS_REPLAY": "1"} if replay else {})}):
            if not (replay or settings.replay):
                _check_network(sources)
            with prefect_api(say=typer.echo), (_progress_bar() if progress else _nothing()):
                summary = call()
    except ConfigError as err:
        code, message = 2, str(err)
    except RunFailed as err:
        code, message = 1, f"run finished with failures (the rest was published): {err}"
    except (SourceUnavailable, WarehouseBusy, WarehouseUnreadable) as err:
        code, message = 3, str(err)
    except _Exit as err:
        code, message = err.code, str(err)
    except KeyboardInterrupt:
        code, message = 130, "interrupted (Ctrl-C)"
    record_end(log, attempt, EXIT_STATUS.get(code, "failed"), message, exit_code=code)
    if code in (0, 1):  # the run published (all or the rest): the site shows it, quarantine reports included
        from tasks.publish.site import site_index

        typer.echo(f"site: {site_index(settings.paths.data_dir).absolute().as_uri()}")
    if code:
        _fail(message or "failed", code)
    typer.secho(f"run {summary.run_id}: {len(summary.outcomes)} sources, {summary.calls} API calls, "
                f"{summary.seconds:.1f} s", fg=typer.colors.GREEN)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


@contextmanager
def _progress_bar() -> Iterator[None]:
    """A terminal progress bar over sources, fed by the flow's progress hook."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from flows.pipeline import reporting_progress

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=False) as bar:
        task_id = bar.add_task("sources", total=None)

        def advance(source_id: str, total: int) -> None:
            bar.update(task_id, total=total, advance=1, description=f"done {source_id}")

        with reporting_progress(advance):
            yield


@app.command()
def run(source: SourceOption = None, replay: ReplayOption = False, force: ForceOption = False,
        regions: RegionsOption = None) -> None:
    """The nightly job: fetch, land, validate, load and publish every configured source.

    Example: oms run --replay --source population --regions sweden
    """
    with _selected_regions(regions):
        _check_config(source, replay)  # before importing Prefect (~3 s): a mistake is said at once
        from flows.pipeline import nightly

        _attempt(lambda: nightly(sources=source, force=force), source, replay)


@contextmanager
def _selected_regions(regions: str | None) -> Iterator[None]:
    """--regions is OMS_REGIONS for this command: the check before the run and the flow read the same setting."""
    from tasks.config import environment_overrides

    with environment_overrides({"OMS_REGIONS": regions} if regions is not None else {}):
        yield


@app.command()
def backfill(
    first_year: Annotated[int, typer.Option("--from", help="First year to (re)load.")],
    last_year: Annotated[int, typer.Option("--to", help="Last year to (re)load.")],
    source: SourceOption = None, replay: ReplayOption = False, force: ForceOption = False,
    regions: RegionsOption = None,
) -> None:
    """Reload a range of years; resumable: what already landed for the same table version is not refetched.

    Example: oms backfill --from 2015 --to 2024 --source births --replay
    """
    if first_year > last_year:
        _fail(f"--from {first_year} is after --to {last_year}", 2)
    with _selected_regions(regions):
        _check_config(source, replay)  # before importing Prefect (~3 s): a mistake is said at once
        from flows.pipeline import backfill as backfill_flow

        _attempt(lambda: backfill_flow(first_year=first_year, last_year=last_year, sources=source, force=force),
                 source, replay, progress=True)


@app.command()
def status(limit: Annotated[int, typer.Option(help="How many recent run attempts.")] = 5) -> None:
    """The last run attempts, failed and killed ones too, with what each did per source (from the run log).

    Example: oms status --limit 10
    """
    from tasks.runlog import read_attempts, runlog_path

    path = runlog_path(_settings_or_exit().paths.warehouse)
    attempts = read_attempts(path)
    if not attempts:
        _fail(f"no run recorded yet in {path}: run `oms run` first", 2)
    for attempt in reversed(attempts[-limit:]):
        ended = f", exit {attempt.exit_code}" if attempt.exit_code is not None else ""
        typer.echo(f"{attempt.started_at[:16].replace('T', ' ')} {attempt.state()}{ended}  {attempt.command} "
                   f"(run {attempt.key})" + (f" — {attempt.message}" if attempt.message else ""))
        for o in attempt.outcomes:
            published = "-" if o.get("rows_published") is None else o["rows_published"]
            typer.echo(f"    {o['source_id']:<40} {o['status']:<11} calls={o['calls']} fetched={o['rows_fetched']} "
                       f"rejected={o['rows_rejected']} loaded={o['rows_loaded']} published={published}"
                       + (f" — {o['message']}" if o.get("message") else ""))


@app.command()
def rebuild() -> None:
    """Build a new warehouse from the landed answers and the run log, for a lost or damaged file; the old file
    is kept beside it.

    Example: oms rebuild
    """
    from tasks.config import ConfigError
    from tasks.load.rebuild import rebuild_warehouse
    from tasks.load.warehouse import WarehouseBusy

    _check_config(None, replay=True)
    try:
        report = rebuild_warehouse()
    except ConfigError as err:
        _fail(str(err), 2)
    except WarehouseBusy as err:
        _fail(str(err), 3)
    typer.secho(f"rebuilt {_settings_or_exit().paths.warehouse}: {report.batches} batches, {report.rows} rows "
                f"loaded, {report.rejected} refused by validation, {report.attempts} run attempts in the audit"
                + (f"; the old file is kept as {report.kept_aside}" if report.kept_aside else ""),
                fg=typer.colors.GREEN)
    if report.unknown_sources:
        typer.secho(f"warning: landed answers of sources no longer configured were left out: "
                    f"{', '.join(report.unknown_sources)}", fg=typer.colors.YELLOW, err=True)


@app.command("sources")
def list_sources() -> None:
    """The configured sources (config/sources/*.yaml), and where each can run.

    Example: oms sources
    """
    from tasks.config import ConfigError, load_sources

    where = {"live": " (live only)", "replay": " (replay only)", None: ""}
    try:
        for source in load_sources():
            typer.echo(f"{source.id:<42} {source.table:<24} {source.frequency:<8}{where[source.only_on]} "
                       f"{source.title}")
    except ConfigError as err:
        _fail(str(err), 2)


@app.command("site")
def write_site_now() -> None:
    """Rebuild the Lägesbild site (data/site/latest/index.html) from the published warehouse, without a run.

    Example: oms site
    """
    from datetime import UTC, datetime

    from tasks.context import build_context
    from tasks.publish.site import site_index, write_site

    with _published_warehouse():
        pass  # one line and exit 2/3 if there is no readable warehouse; the site opens its own connection
    ctx = build_context(run_id="manual-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S"))
    result = write_site(ctx.warehouse, ctx.site_dir, ctx.run_id, ctx.quarantine_dir, reuse=False)  # every page
    typer.echo(f"site: {site_index(ctx.settings.paths.data_dir).absolute().as_uri()} ({len(result.pages)} pages, "
               f"{result.charts_rendered} charts rendered)")


@app.command("dictionary")
def write_dictionary(
    out: Annotated[Path | None, typer.Option("--out", help="Markdown file to write "
                                                         "[default: docs/DATA_DICTIONARY.md in the project].")] = None,
) -> None:
    """Write the data dictionary (every published table, view and column) from the published warehouse.

    Example: oms dictionary --out /tmp/dictionary.md
    """
    from tasks.config import PROJECT_ROOT
    from tasks.publish.dictionary import render_dictionary, undescribed_objects

    target = out or PROJECT_ROOT / "docs" / "DATA_DICTIONARY.md"
    with _published_warehouse() as (path, con):
        markdown, missing = render_dictionary(con), undescribed_objects(con)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(markdown, encoding="utf-8")
    typer.echo(f"wrote {target} from {path}")
    if missing:
        typer.secho(f"warning: no description for {', '.join(missing)}", fg=typer.colors.YELLOW, err=True)


@contextmanager
def _published_warehouse() -> Iterator[tuple[Path, object]]:
    """The published warehouse opened read-only, or one line and exit 2 (none yet) or 3 (cannot be opened)."""
    from tasks.load.warehouse import WarehouseUnreadable, connect_read_only

    path: Path = _settings_or_exit().paths.warehouse
    if not path.exists():
        _fail(f"no warehouse at {path} yet: run `oms run` first", 2)
    try:
        con = connect_read_only(path)
    except WarehouseUnreadable as err:
        _fail(str(err), 3)
    try:
        yield path, con
    finally:
        con.close()


@app.command()
def serve(replay: ReplayOption = False) -> None:
    """Serve the nightly and backfill deployments to a running Prefect server (see README: operations).

    Example: PREFECT_API_URL=http://127.0.0.1:4200/api oms serve --replay
    """
    from prefect import serve as prefect_serve

    from flows.deployments import all_deployments
    from tasks.config import environment_overrides

    with environment_overrides({"OMS_REPLAY": "1"} if replay else {}):  # the served runs start the emulators
        prefect_serve(*all_deployments())


@app.command("serve-replay")
def serve_replay(port: Annotated[int, typer.Option(help="Port of the PxWebApi 2 emulator on 127.0.0.1; Kolada's is "
                                                        "the next one.")] = 8765) -> None:
    """Serve the PxWebApi 2 and Kolada v3 emulators on loopback from the recordings (Ctrl-C to stop).

    Example: oms serve-replay --port 8765
    """
    from replay.__main__ import main as serve_emulators

    serve_emulators(["--shared", str(_settings_or_exit().paths.shared_dir), "--scb-port", str(port),
                     "--kolada-port", str(port + 1)])


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
