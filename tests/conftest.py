"""Shared fixtures. Recorded SCB material is read from ../shared (or OMS_SHARED_DIR), never copied in here."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


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


def atlas_response(shared_dir: Path, name: str) -> bytes:
    """The json-stat2 body inside an atlas290 envelope (GENUINE SCB data, re-serialised key order)."""
    envelope = json.loads((shared_dir / "scb/v2/recorded-by-atlas290" / name).read_text(encoding="utf-8"))
    return json.dumps(envelope["response"], ensure_ascii=False).encode()
