"""Read the YAML catalogue under config/: settings, regions, code vocabularies and sources.

Errors come out as one line naming the file and the field (``ConfigError``), never as a traceback: an operator
editing YAML at night needs to know what to fix, not where in our code it broke.
"""

from __future__ import annotations

import copy
import difflib
import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, StrictStr, TypeAdapter, ValidationError

from tasks.catalogue import FocusArea, Indicator, SourceConfig, Strict
from tasks.fetch.transforms import TRANSFORMS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


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
    max_calls_per_source: int = Field(default=500, ge=1)  # a source planning more is refused, not started


class ScbSettings(ApiSettings):
    language: str = Field(default="sv", pattern=r"^[a-z]{2}$")


class KoladaSettings(ApiSettings):
    requests_per_second: float = Field(default=5, gt=0, le=100)


class PathSettings(Strict):
    warehouse: Path
    data_dir: Path
    shared_dir: Path
    writer_wait_seconds: float = Field(default=1800, ge=0)  # how long a run waits for another run's write


class LandingSettings(Strict):
    metadata_retention_days: float = Field(default=35, gt=0)  # data answers are kept for good (oms rebuild)


class ValidationSettings(Strict):
    # GX's Data Docs build walks every validation result in its store on each run that validated something: 1.1-1.3 s
    # with 18 stored results, 2.1 s with 500, 2.6-3.1 s with 1,242 (growing for good if all were kept).
    data_docs_results: int = Field(default=200, ge=1)  # the newest kept in GX's store and its docs


class Settings(Strict):
    scb: ScbSettings
    kolada: KoladaSettings
    paths: PathSettings
    landing: LandingSettings = LandingSettings()
    validation: ValidationSettings = ValidationSettings()
    replay: bool = False  # OMS_REPLAY=1: every run starts the emulators and runs against the recordings
    # Which counties a run covers: a selection named in config/regions.yaml (oms, sweden) or county codes, as a
    # list or "01,12" (OMS_REGIONS, `oms run --regions`); checked against regions.yaml by tasks.regions.
    regions: StrictStr | list[StrictStr] = "oms"


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser: ~10x faster
    """YAML's safe loader, except that a key written twice in one mapping is an error, not "the last one wins"."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def read_yaml(path: Path) -> Any:
    """The parsed file; read again only when it changed (a run reads the catalogue in several stages)."""
    try:
        stat = path.stat()
    except FileNotFoundError as err:
        raise ConfigError(f"{path}: file not found") from err
    return copy.deepcopy(_parsed(path, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=256)
def _parsed(path: Path, mtime_ns: int, size: int) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except FileNotFoundError as err:
        raise ConfigError(f"{path}: file not found") from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: is not UTF-8 text (byte {err.start}); is it the right file?") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{path}:{where} is not valid YAML: {problem}") from err


def one_line_error(err: ValidationError, path: Path, what: str) -> ConfigError:
    first = err.errors()[0]
    loc = list(first["loc"])
    if loc and loc[0] in ("pxweb", "kolada"):  # the API a source was validated as: the message names it already
        loc = loc[1:]
    location = ".".join(str(p) for p in loc)
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return ConfigError(f"{path}: {what}: {location}: {first['msg']}{more}")


def _env_number(variable: str, configured: float, path: Path) -> float:
    text = os.environ.get(variable)
    if text is None:
        return configured
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"environment variable {variable}={text!r} is not a number of seconds ({path})") from None
    if not 0 <= value < float("inf"):
        raise ConfigError(f"environment variable {variable}={text!r} must be 0 or more seconds ({path})")
    return value


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
        raise one_line_error(err, path, f"environment override {prefix}*") from err


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
    raw = read_yaml(path)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as err:
        raise one_line_error(err, path, "settings") from err
    scb = _with_env_overrides(settings.scb, "OMS_SCB_", path)
    kolada = _with_env_overrides(settings.kolada, "OMS_KOLADA_", path)
    paths = PathSettings(
        warehouse=_env_path("OMS_WAREHOUSE", settings.paths.warehouse),
        data_dir=_env_path("OMS_DATA_DIR", settings.paths.data_dir),
        shared_dir=_env_path("OMS_SHARED_DIR", settings.paths.shared_dir),
        writer_wait_seconds=_env_number("OMS_WRITER_WAIT_SECONDS", settings.paths.writer_wait_seconds, path),
    )
    return Settings(scb=scb, kolada=kolada, paths=paths, landing=settings.landing, validation=settings.validation,
                    replay=_env_flag("OMS_REPLAY", settings.replay, path),
                    regions=os.environ.get("OMS_REGIONS") or settings.regions)


def _env_flag(variable: str, configured: bool, path: Path) -> bool:
    text = os.environ.get(variable)
    if text is None or text == "":
        return configured
    if text.lower() not in ("1", "0", "true", "false", "yes", "no"):
        raise ConfigError(f"environment variable {variable}={text!r} is not 1/0 or true/false ({path})")
    return text.lower() in ("1", "true", "yes")


_CODE_MAPS = TypeAdapter(dict[StrictStr, dict[StrictStr, StrictStr]])


def load_code_maps(directory: Path | None = None) -> dict[str, dict[str, str]]:
    """config/codes.yaml: column -> {source code: our code}, every code a quoted string."""
    path = (directory or config_dir()) / "codes.yaml"
    try:
        return _CODE_MAPS.validate_python(read_yaml(path) or {})
    except ValidationError as err:
        raise one_line_error(err, path, "code vocabulary") from err


def load_catalogue(directory: Path | None = None) -> tuple[dict[str, FocusArea], dict[str, Indicator]]:
    """config/indicators.yaml: the ÖMS 2050 focus areas and every indicator the warehouse publishes."""
    path = (directory or config_dir()) / "indicators.yaml"
    raw = read_yaml(path) or {}
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
        raise one_line_error(err, path, what) from err


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
        raw = read_yaml(path) or {}
        entries = raw.get("sources") if isinstance(raw, dict) else None
        if not isinstance(entries, list):
            raise ConfigError(f"{path}: expected a top-level 'sources:' list")
        for position, entry in enumerate(entries):
            name = entry.get("id", f"#{position + 1}") if isinstance(entry, dict) else f"#{position + 1}"
            try:
                sources.append(_SOURCE.validate_python(
                    _with_catalogue_units(entry, indicators, f"{path}: source {name}")))
            except ValidationError as err:
                raise one_line_error(err, path, f"source {name}") from err
    for source in sources:
        if not (EXPECTATIONS_DIR / f"{source.expectations}.json").is_file():
            known = sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.json"))
            raise ConfigError(f"config/sources: source {source.id}: expectations {source.expectations!r} is not a "
                              f"suite in expectations/ (known: {', '.join(known)})")
        transform = getattr(source, "transform", None)
        if transform and transform not in TRANSFORMS:
            raise ConfigError(f"config/sources: source {source.id}: transform {transform!r} is not one of "
                              f"{sorted(TRANSFORMS)} (tasks/fetch/transforms/)")
    seen: set[str] = set()
    for source in sources:
        if source.id in seen:
            raise ConfigError(f"config/sources: source id {source.id!r} is declared twice")
        seen.add(source.id)
    return sources


def _wanted(source: SourceConfig, wanted: list[str]) -> bool:
    return any(source.id == w or source.id.startswith(w) for w in wanted)


def select_sources(sources: list[SourceConfig], wanted: list[str] | None, on_replay: bool) -> list[SourceConfig]:
    """The sources a run should fetch: by id (or id prefix), and only those the server can serve."""
    skipped = "live" if on_replay else "replay"  # recorded example tables exist only on the replay, and vice versa
    available = [s for s in sources if s.only_on != skipped]
    if not wanted:
        return available
    unknown = [w for w in wanted if not any(_wanted(s, [w]) for s in sources)]
    if unknown:
        ids = [s.id for s in sources]
        guesses = [difflib.get_close_matches(w, ids, n=1, cutoff=0.5) for w in unknown]
        hint = "; ".join(f"did you mean {g[0]!r}?" for g in guesses if g)
        raise ConfigError(f"unknown source(s) {unknown}" + (f"; {hint}" if hint else "")
                          + f" (known: {', '.join(ids)})")
    return [s for s in available if _wanted(s, wanted)]


def live_only_sources(sources: list[SourceConfig], wanted: list[str] | None) -> list[str]:
    """The asked-for sources that exist only live (nothing recorded): what an offline run cannot do."""
    return [s.id for s in sources if s.only_on == "live" and (not wanted or _wanted(s, wanted))]
