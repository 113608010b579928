"""Heavy libraries imported on first use: a night with nothing new to load never parses, validates or merges a
batch, and importing pandas and numpy for nothing was ~0.8 s of its whole `oms run` process."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands in for ``import <name> as alias``; the module is imported when one of its attributes is first read.

    Not ``importlib.util.LazyLoader``: on this Python (3.11) a thread can see its module half executed (tried: 7 of
    8 threads reading an attribute at once got AttributeError), and fetches run on a thread pool. Here the import
    goes through the import system's per-module lock, so a second thread waits for the first to finish
    (tests/test_lazy.py).
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}{'' if self._module is None else ' (imported)'}>"
