"""Parquet exports of the published warehouse: ``<exports_dir>/<run_id>/<name>.parquet``, a manifest, a dictionary,
and ``<exports_dir>/latest`` pointing at the newest complete export.

Written after the swap, from the published file opened read-only (a DuckDB read-only connection never blocks the
analysts' own read-only connections, shared/STACK-NOTES.md). Nothing half-written is ever visible under a run's
name: the files go into a hidden ``.<run_id>.partial`` folder that is renamed once complete, then ``latest`` is
re-pointed with a new symlink renamed over the old one (rename is atomic on POSIX, so ``latest`` always resolves).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from tasks.load.warehouse import connect_read_only
from tasks.publish.dictionary import PUBLISHED_SCHEMA, PublishedObject, published_objects, render_dictionary

log = logging.getLogger(__name__)

LATEST = "latest"
MANIFEST = "manifest.json"
DICTIONARY = "dictionary.md"
KEEP_EXPORTS = 3

# main.observation is written as one file, not partitioned by indicator_id: it is small (thousands to a few
# million rows), analysts open it from pandas, R, Excel/Power BI, where one file is simplest; a hive-partitioned
# folder drops indicator_id from the file contents (it lives in the path) and would need one manifest entry per
# part. The table is ordered by indicator_id, so each Parquet row group's min/max statistics already let DuckDB,
# Polars and Arrow skip other indicators when a reader filters on indicator_id.


@dataclass(frozen=True)
class ExportedFile:
    name: str  # file name inside the export folder
    object_name: str  # main.<object_name>
    kind: str  # table | view
    rows: int
    bytes: int
    sha256: str
    columns: list[dict[str, str]]  # [{"name": …, "type": …}] in table order


@dataclass
class ExportResult:
    """What one export wrote; ``error`` is set instead of raising, since the warehouse is already published."""

    run_id: str
    folder: Path | None = None
    files: list[ExportedFile] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    error: Exception | None = None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_parquet(con: duckdb.DuckDBPyConnection, obj: PublishedObject, folder: Path) -> ExportedFile:
    """COPY one published table or view to ``<folder>/<name>.parquet``; COPY reports the rows it wrote."""
    path = folder / f"{obj.name}.parquet"
    quoted_path = str(path).replace("'", "''")
    rows = con.execute(f"COPY (SELECT * FROM \"{PUBLISHED_SCHEMA}\".\"{obj.name}\") TO '{quoted_path}' "
                       "(FORMAT parquet)").fetchone()[0]
    return ExportedFile(name=path.name, object_name=obj.name, kind=obj.kind, rows=int(rows),
                        bytes=path.stat().st_size, sha256=file_sha256(path),
                        columns=[{"name": c.name, "type": c.data_type} for c in obj.columns])


def write_manifest(folder: Path, run_id: str, files: list[ExportedFile]) -> None:
    dictionary = folder / DICTIONARY
    manifest = {
        "run_id": run_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "schema": PUBLISHED_SCHEMA,
        "files": [asdict(f) for f in files],
        "dictionary": {"name": DICTIONARY, "sha256": file_sha256(dictionary)} if dictionary.exists() else None,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_export_files(con: duckdb.DuckDBPyConnection, folder: Path, run_id: str) -> list[ExportedFile]:
    """Every published object as Parquet, the dictionary and the manifest, all from one snapshot (``con``)."""
    files = [write_parquet(con, obj, folder) for obj in published_objects(con)]
    (folder / DICTIONARY).write_text(render_dictionary(con), encoding="utf-8")
    write_manifest(folder, run_id, files)
    return files


def point_latest_at(exports_dir: Path, run_id: str) -> None:
    """Re-point ``latest`` by renaming a fresh symlink over it: readers never see it missing."""
    temporary = exports_dir / f".{LATEST}.{os.getpid()}.tmp"
    temporary.unlink(missing_ok=True)
    os.symlink(run_id, temporary)  # relative: the exports folder can be moved or mounted elsewhere
    os.replace(temporary, exports_dir / LATEST)


def export_folders(exports_dir: Path) -> list[Path]:
    """Complete export folders, newest first (by the manifest's created_at, else the folder's mtime)."""
    def created(folder: Path) -> str:
        try:
            return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["created_at"]
        except (OSError, ValueError, KeyError):
            return datetime.fromtimestamp(folder.stat().st_mtime, UTC).isoformat(timespec="seconds")

    folders = [p for p in exports_dir.iterdir()
               if p.is_dir() and not p.is_symlink() and not p.name.startswith(".") and (p / MANIFEST).exists()]
    return sorted(folders, key=lambda p: (created(p), p.stat().st_mtime), reverse=True)


def prune_exports(exports_dir: Path, keep: int = KEEP_EXPORTS) -> list[str]:
    """Remove all but the ``keep`` newest export folders; never the one ``latest`` points at."""
    latest = (exports_dir / LATEST).resolve()
    removed = []
    for folder in export_folders(exports_dir)[keep:]:
        if folder.resolve() != latest:
            shutil.rmtree(folder)
            removed.append(folder.name)
    return removed


@contextmanager
def exports_lock(exports_dir: Path) -> Iterator[None]:
    """One export at a time (a backfill finishing during the nightly): pruning and ``latest`` stay in order.

    Waits rather than fails: an export takes seconds, and the warehouse writer lock already keeps runs apart.
    """
    with (exports_dir / ".export.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(exports_dir: Path) -> None:
    """Partial folders of an export that crashed (under the lock, so none is being written now)."""
    for leftover in exports_dir.glob(".*.partial"):
        shutil.rmtree(leftover, ignore_errors=True)


def _move_into_place(partial: Path, final: Path) -> None:
    if final.exists():  # the same run exported again (run ids are unique per run, so only by hand): new files win
        shutil.rmtree(final)
    partial.rename(final)


def write_export(warehouse: Path, exports_dir: Path, run_id: str, keep: int = KEEP_EXPORTS) -> ExportResult:
    """Export the published warehouse; raises on failure (see ``export_published`` for the reporting wrapper)."""
    files: list[ExportedFile] = []

    def write(folder: Path) -> None:
        with connect_read_only(warehouse) as con:
            files.extend(write_export_files(con, folder, run_id))

    final, pruned = swap_in_folder(exports_dir, run_id, write, keep)
    return ExportResult(run_id, final, files, pruned)


def swap_in_folder(parent: Path, run_id: str, write: Callable[[Path], None],
                   keep: int = KEEP_EXPORTS) -> tuple[Path, list[str]]:
    """``write`` fills a hidden partial folder (it must write a manifest.json), which becomes ``parent/run_id``;
    then ``latest`` points at it and all but the ``keep`` newest are removed. Readers never see a partial folder."""
    if not run_id or "/" in run_id or run_id.startswith(".") or run_id == LATEST:
        raise ValueError(f"run id {run_id!r} cannot name a folder")
    if keep < 1:
        raise ValueError(f"keep must be at least 1 (the folder just written), not {keep}")
    parent.mkdir(parents=True, exist_ok=True)
    with exports_lock(parent):
        _remove_leftovers(parent)
        partial = parent / f".{run_id}.partial"
        partial.mkdir()
        write(partial)
        final = parent / run_id
        _move_into_place(partial, final)
        point_latest_at(parent, run_id)
        pruned = prune_exports(parent, keep)
    return final, pruned


def latest_export_run(exports_dir: Path) -> str | None:
    """The run whose export ``latest`` points at, from its manifest; None if there is none or it is unreadable."""
    try:
        return json.loads((exports_dir / LATEST / MANIFEST).read_text(encoding="utf-8")).get("run_id")
    except (OSError, ValueError, AttributeError):
        return None


def export_published(warehouse: Path, exports_dir: Path, run_id: str, keep: int = KEEP_EXPORTS) -> ExportResult:
    """Export after the swap; never raises: the publish already happened, so a failure is logged and returned."""
    try:
        result = write_export(warehouse, exports_dir, run_id, keep)
    except Exception as err:  # disk full, permissions, a locked warehouse: report, don't undo the publish
        log.warning("export of run %s to %s failed: %s: %s", run_id, exports_dir, type(err).__name__, err)
        return ExportResult(run_id, error=err)
    log.info("exported %d objects of run %s to %s (pruned %s)", len(result.files), run_id, result.folder,
             result.pruned or "nothing")
    return result
