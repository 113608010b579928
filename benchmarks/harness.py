"""What every section receives: the options, a scratch directory, shared measurements and clean-up."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class BenchOptions:
    small_cells: int = 2000  # cells per call in the splitting scenario: the recorded sources then need > 30 calls
    load_rows: int = 100_000
    naive_rows: int = 3_000


@dataclass
class Bench:
    scratch: Path
    options: BenchOptions = field(default_factory=BenchOptions)
    _memo: dict[str, Any] = field(default_factory=dict)
    _cleanup: ExitStack = field(default_factory=ExitStack)
    _numbers: itertools.count = field(default_factory=itertools.count)

    def fresh_dir(self, name: str) -> Path:
        """A new, empty directory under the scratch directory (numbered: names may repeat across sections)."""
        path = self.scratch / f"{next(self._numbers):02d}-{name}"
        path.mkdir(parents=True)
        return path

    def once(self, key: str, measure: Callable[[], T]) -> T:
        """Measure once per process what several sections report (the calls and fetch sections share fetches)."""
        if key not in self._memo:
            self._memo[key] = measure()
        return self._memo[key]

    def on_close(self, callback: Callable[[], Any]) -> None:
        self._cleanup.callback(callback)

    def close(self) -> None:
        self._cleanup.close()
