"""Shared fixtures. Recorded SCB material is read from ../shared (or OMS_SHARED_DIR), never copied in here."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# One SQLite-backed Prefect API serves every worker, their CLI runs and process workers; on a starved machine a
# write can meet "database is locked" for over a minute, which the API answers 503. Prefect's clients retry 503 with
# doubling waits: 5 times (~1 min) by default, 7 here (~4 min), inherited by every process the tests start.
os.environ.setdefault("PREFECT_CLIENT_MAX_RETRIES", "7")


def pytest_configure(config: pytest.Config) -> None:
    """The controlling process starts the session's one Prefect API (tests/prefect_session.py) for its workers."""
    from tests.prefect_session import ENV, SessionServer, runs_flow_tests

    if hasattr(config, "workerinput") or os.environ.get(ENV) or not runs_flow_tests(config):
        return
    server = SessionServer()
    os.environ[ENV] = server.api_url  # before xdist starts the workers: they inherit it
    server.start_in_background()
    config.stash[SESSION_SERVER] = server


def pytest_unconfigure(config: pytest.Config) -> None:
    from tests.prefect_session import ENV

    server = config.stash.get(SESSION_SERVER, None)
    if server is not None:
        server.stop()
        os.environ.pop(ENV, None)


SESSION_SERVER = pytest.StashKey[object]()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than cores. A quarter of the suite waits on subprocesses, servers and killed runs
    (CPU used ~77 % of two cores with two workers); measured on 2 cores, 404 tests: 7 min 23 s with 3 workers,
    7 min 52 s and 8 min 58 s with 2 in the same hour. `make test` caps it with --maxprocesses."""
    return (os.cpu_count() or 1) + 1


def shared_path() -> Path:
    path = Path(os.environ.get("OMS_SHARED_DIR", PROJECT_ROOT.parent / "shared")).resolve()
    if not (path / "scb").is_dir():
        raise RuntimeError(f"recorded material not found at {path}; set OMS_SHARED_DIR to the shared folder")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return shared_path()


@pytest.fixture(scope="session")
def tab6471_data(shared_dir: Path) -> bytes:
    """GENUINE SCB answer: TAB6471, 21 counties x 11 age groups x 3 sexes x 2026M01-M04 (PROVENANCE.md)."""
    return (shared_dir / "scb/v2/TAB6471/data.json").read_bytes()


@pytest.fixture(scope="session")
def tab6471_metadata(shared_dir: Path) -> bytes:
    return (shared_dir / "scb/v2/TAB6471/metadata.json").read_bytes()


@pytest.fixture(scope="session")
def county_batch(tab6471_data: bytes):
    """The tidy batch of SCB's recorded TAB6471 answer for the 7 ÖMS counties (1,008 rows, 2026M01-M04)."""
    from tasks.config import load_code_maps, load_sources
    from tasks.fetch.common.observations import Lineage
    from tasks.fetch.pxweb.jsonstat import parse_jsonstat_dataset
    from tasks.fetch.pxweb.tidy import tidy_batch
    from tasks.regions import load_regions

    source = next(s for s in load_sources() if s.id == "population_county_month")
    dataset = parse_jsonstat_dataset(tab6471_data)
    frame = tidy_batch([(dataset, Lineage(dataset.updated, "2026-11-25T03:00Z", "ab"))], source, load_code_maps())
    return frame[frame["region_code"].isin(load_regions().county_codes)].reset_index(drop=True)


def atlas_response(shared_dir: Path, name: str) -> bytes:
    """The json-stat2 body inside an atlas290 envelope (GENUINE SCB data, re-serialised key order)."""
    envelope = json.loads((shared_dir / "scb/v2/recorded-by-atlas290" / name).read_text(encoding="utf-8"))
    return json.dumps(envelope["response"], ensure_ascii=False).encode()


@functools.lru_cache(maxsize=8)  # the larger recordings take ~1 s to decode this plain way; callers only read
def recorded_cells(path: Path) -> tuple[list[str], dict[tuple[str, ...], float | None]]:
    """A recorded json-stat2 body (plain or in an atlas290 envelope) decoded here, independently of the pipeline's
    parser: the dimension ids and {codes in dimension order: value}."""
    document = json.loads(path.read_text(encoding="utf-8"))
    body = document.get("response", document)
    dims, sizes = body["id"], body["size"]
    codes = []
    for d in dims:
        index = body["dimension"][d]["category"]["index"]
        codes.append(sorted(index, key=index.get) if isinstance(index, dict) else list(index))
    cells = {}
    for flat, value in enumerate(body["value"]):
        position, rest = [], flat
        for size, dim_codes in zip(reversed(sizes), reversed(codes), strict=True):
            position.append(dim_codes[rest % size])
            rest //= size
        cells[tuple(reversed(position))] = value
    return dims, cells


def recorded_sum(path: Path, **selector: str) -> float:
    """The sum of the recorded cells matching ``selector`` (dimension=code); summing over the dimensions left out."""
    dims, cells = recorded_cells(path)
    wanted = [(dims.index(d), code) for d, code in selector.items()]
    matching = [v for key, v in cells.items() if all(key[i] == code for i, code in wanted)]
    assert matching and all(v is not None for v in matching), f"no complete cells for {selector} in {path}"
    return float(sum(matching))


def damage(warehouse: Path, how: str) -> None:
    """Damage a DuckDB file as disks and crashes do: cut short, overwritten, emptied, or a block zeroed."""
    data = warehouse.read_bytes()
    damaged = {"truncated": data[: len(data) // 3], "garbage": os.urandom(len(data)), "empty": b"",
               "block": data[:16384] + b"\0" * 8192 + data[24576:]}[how]
    warehouse.write_bytes(damaged)
