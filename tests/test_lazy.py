"""tasks/lazy.py: a module imported on first use, safely from several threads at once (fetches run on a pool)."""

from __future__ import annotations

import sys
import threading

from tasks.lazy import LazyModule


def test_first_use_from_many_threads_sees_the_whole_module(tmp_path, monkeypatch) -> None:
    # A module whose import takes a while: a thread that could see it half executed would miss DONE.
    (tmp_path / "slow_to_import.py").write_text("import time\ntime.sleep(0.3)\nDONE = 'all of it'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_to_import", raising=False)
    lazy = LazyModule("slow_to_import")
    assert "slow_to_import" not in sys.modules  # nothing imported until an attribute is read
    seen: list[object] = []
    start = threading.Barrier(8)

    def use() -> None:
        start.wait()
        try:
            seen.append(lazy.DONE)
        except AttributeError as err:
            seen.append(err)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["all of it"] * 8
    assert sys.modules["slow_to_import"].DONE == "all of it" and "(imported)" in repr(lazy)
