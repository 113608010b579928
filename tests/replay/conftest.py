"""The emulators tested on their own, as a component: against SCB's published spec and SCB's genuine answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from replay.pxweb.server import PxWebReplayServer, ReplayLimits

SPEC = "scb/spec/PxAPI-2.yml"


@pytest.fixture(scope="session")
def emulator(shared_dir: Path) -> Iterator[PxWebReplayServer]:
    """SCB's emulator with a call limit no test reaches (the limit has tests of its own)."""
    with PxWebReplayServer(shared_dir, ReplayLimits(max_calls=10_000_000, window_seconds=1)) as server:
        yield server
