"""Read the YAML catalogue under config/: settings, regions, code vocabularies and sources.

Errors come out as one line naming the file and the field (``ConfigError``), never as a traceback: an operator
editing YAML at night needs to know what to fix, not where in our code it broke.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, TypeAdapter, ValidationError

from tasks.catalogue import FocusArea, Indicator, SourceConfig, Strict
from tasks.fetch.transforms import TRANSFORMS

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """config/ of the project, or the folder named by OMS_CONFIG_DIR (a deployment's own catalogue, tests)."""
    return Path(os.environ.get("OMS_CONFIG_DIR") or PROJECT_ROOT / "config")


class ConfigError(ValueError):
    """The configuration cannot be used; the message is one line that says what and where."""





class ApiSettings(Strict):
    """How calls to one API are made and bounded; every field can be overridden by OMS_<API>_<FIELD>."""

    base_url: str = Field(pattern=r"^https?://[^/\s]+(/\S*)?$")
    timeout_seconds: float = Field(default=60, gt=0)  # the longest silence between two reads
    max_attempts: int = Field(default=6, ge=1, le=20)
    backoff_seconds: float = Field(default=1.0, ge=0)
    max_retry_after_seconds: float = Field(default=300, gt=0)  # the longest wait a 429/503 may ask for
    max_response_bytes: int = Field(default=64 * 2**20, gt=0)  # an answer larger than this is refused
    max_call_seconds: float = Field(default=300, gt=0)  # one whole call, however slowly the bytes come


class ScbSettings(ApiSettings):
    language: str = Field(default="sv", pattern=r"^[a-z]{2}$")


class KoladaSettings(ApiSettings):
    requests_per_second: float = Field(default=5, gt=0, le=100)


class PathSettings(Strict):
    warehouse: Path
    data_dir: Path
    shared_dir: Path
    writer_wait_seconds: float = 1800  # how long a run waits for another run's write to finish


class Settings(Strict):
    scb: ScbSettings
    kolada: KoladaSettings
    paths: PathSettings


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    short_name: str
    level: str  # "county" | "municipality"
    county_code: str
    kolada_id: str
    nuts3: str | None = None
    nuts2: str | None = None
    valid_from: date | None = None  # None: since before 1971
    valid_to: date | None = None  # None: in use today
    successor: str | None = None  # for a code no longer in use: today's code for the same area

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


@dataclass(frozen=True)
class RegionChange:
    effective: date
    type: str
    code: str
    name: str
    from_code: str
    county: str
    from_county: str | None
    note: str


@dataclass(frozen=True)
class Regions:
    regions: tuple[Region, ...]
    changes: tuple[RegionChange, ...]

    @property
    def county_codes(self) -> list[str]:
        return [r.code for r in self.regions if r.level == "county"]

    @property
    def municipality_codes(self) -> list[str]:
        """Today's 88 municipalities."""
        return [r.code for r in self.regions if r.level == "municipality" and r.is_current]

    @property
    def historical_codes(self) -> list[str]:
        """Codes no longer in use that older tables still carry (Heby as 1917 in Västmanland until 2006)."""
        return [r.code for r in self.regions if not r.is_current]

    @property
    def all_codes(self) -> list[str]:
        return [r.code for r in self.regions]

    def region_sets(self) -> dict[str, list[str]]:
        """Named sets that a source selection may reference as ``$name``. Municipalities include historical codes:
        a table only has the codes of its years, and the selection keeps those it has."""
        per_county = {f"municipalities_in_{county}": [r.code for r in self.regions if r.level == "municipality"
                                                      and r.county_code == county]
                      for county in self.county_codes}
        return {"counties": self.county_codes, "municipalities": self.municipality_codes + self.historical_codes,
                "oms": self.all_codes, **per_county}


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError as err:
        raise ConfigError(f"{path}: file not found") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{path}:{where} is not valid YAML: {problem}") from err


def _one_line(err: ValidationError, path: Path, what: str) -> ConfigError:
    first = err.errors()[0]
    loc = list(first["loc"])
    if loc and loc[0] in ("pxweb", "kolada"):  # the API a source was validated as: the message names it already
        loc = loc[1:]
    location = ".".join(str(p) for p in loc)
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return ConfigError(f"{path}: {what}: {location}: {first['msg']}{more}")


def _env_path(variable: str, configured: Path) -> Path:
    value = os.environ.get(variable)
    path = Path(value) if value else configured
    return path if path.is_absolute() else (PROJECT_ROOT / path)


def _with_env_overrides(section: Strict, prefix: str, path: Path) -> Strict:
    """``OMS_SCB_BASE_URL``, ``OMS_SCB_TIMEOUT_SECONDS``, … override the YAML field of the same name."""
    updates = {name: os.environ[prefix + name.upper()] for name in type(section).model_fields
               if prefix + name.upper() in os.environ}
    if not updates:
        return section
    try:
        return type(section).model_validate({**section.model_dump(), **updates})
    except ValidationError as err:
        raise _one_line(err, path, f"environment override {prefix}*") from err


@contextmanager
def environment_overrides(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables (the OMS_* overrides) for a block, and put back what was there before."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def load_settings(directory: Path | None = None) -> Settings:
    path = (directory or config_dir()) / "settings.yaml"
    raw = _read_yaml(path)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as err:
        raise _one_line(err, path, "settings") from err
    scb = _with_env_overrides(settings.scb, "OMS_SCB_", path)
    kolada = _with_env_overrides(settings.kolada, "OMS_KOLADA_", path)
    paths = PathSettings(
        warehouse=_env_path("OMS_WAREHOUSE", settings.paths.warehouse),
        data_dir=_env_path("OMS_DATA_DIR", settings.paths.data_dir),
        shared_dir=_env_path("OMS_SHARED_DIR", settings.paths.shared_dir),
        writer_wait_seconds=float(os.environ.get("OMS_WRITER_WAIT_SECONDS", settings.paths.writer_wait_seconds)),
    )
    return Settings(scb=scb, kolada=kolada, paths=paths)


def load_regions(directory: Path | None = None) -> Regions:
    path = (directory or config_dir()) / "regions.yaml"
    raw = _read_yaml(path)
    try:
        counties = {c["code"]: c for c in raw["counties"]}
        changes = [
            RegionChange(c["effective"], c["type"], c["code"], c["name"], c["from"], c["county"],
                         c.get("from_county"), c["note"])
            for c in raw.get("changes", [])
        ]
        created = {c.code: c.effective for c in changes}
        regions = [
            Region(c["code"], c["name"], c["short_name"], "county", c["code"], c["kolada_id"], c["nuts3"], c["nuts2"])
            for c in raw["counties"]
        ] + [
            Region(m["code"], m["name"], m["short_name"], "municipality", m["county"], m["code"],
                   counties[m["county"]]["nuts3"], counties[m["county"]]["nuts2"], valid_from=created.get(m["code"]))
            for m in raw["municipalities"]
        ] + [_retired_code(change, counties) for change in changes if change.type == "county_transfer"]
    except (KeyError, TypeError) as err:
        raise ConfigError(f"{path}: missing or malformed field {err}") from err
    return Regions(tuple(regions), tuple(changes))


def _retired_code(change: RegionChange, counties: dict[str, dict]) -> Region:
    """A municipality that moved county got a new code; its old one (Heby 1917) lives on in older tables."""
    county = counties.get(change.from_county, {})
    return Region(change.from_code, f"{change.name} kommun", change.name, "municipality", change.from_county,
                  change.from_code, county.get("nuts3"), county.get("nuts2"),
                  valid_to=change.effective - timedelta(days=1), successor=change.code)


def load_code_maps(directory: Path | None = None) -> dict[str, dict[str, str]]:
    raw = _read_yaml((directory or config_dir()) / "codes.yaml") or {}
    return {column: {str(k): str(v) for k, v in mapping.items()} for column, mapping in raw.items()}


def load_catalogue(directory: Path | None = None) -> tuple[dict[str, FocusArea], dict[str, Indicator]]:
    """config/indicators.yaml: the ÖMS 2050 focus areas and every indicator the warehouse publishes."""
    path = (directory or config_dir()) / "indicators.yaml"
    raw = _read_yaml(path) or {}
    areas = {key: _validated(FocusArea, value, path, f"focus area {key}")
             for key, value in (raw.get("focus_areas") or {}).items()}
    indicators = {key: _validated(Indicator, value, path, f"indicator {key}")
                  for key, value in (raw.get("indicators") or {}).items()}
    for key, indicator in indicators.items():
        if indicator.focus_area not in areas:
            raise ConfigError(f"{path}: indicator {key}: focus_area {indicator.focus_area!r} is not one of "
                              f"{sorted(areas)}")
    return areas, indicators


def _validated(model: type[Strict], value: Any, path: Path, what: str) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError as err:
        raise _one_line(err, path, what) from err


_SOURCE = TypeAdapter(SourceConfig)


def _with_catalogue_units(entry: Any, indicators: dict[str, Indicator], where: str) -> Any:
    """``"000007SF": population`` names a catalogue indicator: the unit comes from there, never twice."""
    if not isinstance(entry, dict) or not isinstance(entry.get("indicators"), dict):
        return entry
    mapped = {}
    for code, indicator_id in entry["indicators"].items():
        if indicator_id not in indicators:
            raise ConfigError(f"{where}: indicators.{code}: {indicator_id!r} is not in config/indicators.yaml")
        mapped[str(code)] = {"id": indicator_id, "unit": indicators[indicator_id].unit}
    return {**entry, "indicators": mapped}


def load_sources(directory: Path | None = None) -> list[SourceConfig]:
    _, indicators = load_catalogue(directory)
    sources: list[SourceConfig] = []
    for path in sorted(((directory or config_dir()) / "sources").glob("*.yaml")):
        raw = _read_yaml(path) or {}
        entries = raw.get("sources") if isinstance(raw, dict) else None
        if not isinstance(entries, list):
            raise ConfigError(f"{path}: expected a top-level 'sources:' list")
        for position, entry in enumerate(entries):
            name = entry.get("id", f"#{position + 1}") if isinstance(entry, dict) else f"#{position + 1}"
            try:
                sources.append(_SOURCE.validate_python(
                    _with_catalogue_units(entry, indicators, f"{path}: source {name}")))
            except ValidationError as err:
                raise _one_line(err, path, f"source {name}") from err
    for source in sources:
        transform = getattr(source, "transform", None)
        if transform and transform not in TRANSFORMS:
            raise ConfigError(f"config/sources: source {source.id}: transform {transform!r} is not one of "
                              f"{sorted(TRANSFORMS)} (tasks/fetch/transforms.py)")
    seen: set[str] = set()
    for source in sources:
        if source.id in seen:
            raise ConfigError(f"config/sources: source id {source.id!r} is declared twice")
        seen.add(source.id)
    return sources


def select_sources(sources: list[SourceConfig], wanted: list[str] | None, on_replay: bool) -> list[SourceConfig]:
    """The sources a run should fetch: by id (or id prefix), and only those the server can serve."""
    skipped = "live" if on_replay else "replay"  # recorded example tables exist only on the replay, and vice versa
    available = [s for s in sources if s.only_on != skipped]
    if not wanted:
        return available
    chosen = [s for s in available if any(s.id == w or s.id.startswith(w) for w in wanted)]
    unknown = [w for w in wanted if not any(s.id == w or s.id.startswith(w) for s in sources)]
    if unknown:
        raise ConfigError(f"unknown source(s) {unknown}; known: {', '.join(s.id for s in sources)}")
    return chosen
