"""Start the emulators the same way everywhere: the CLI (``oms run --replay``), a flow run with ``OMS_REPLAY=1``
(deployments and work-pool workers), the benchmarks and the tests all go through ``running_emulators``; ``python
-m replay`` serves them in the foreground for anyone to try with curl or any PxWeb or Kolada client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from replay.kolada.server import KoladaReplayServer
from replay.pxweb.server import PxWebReplayServer, ReplayLimits


@dataclass(frozen=True)
class Emulators:
    scb: PxWebReplayServer
    kolada: KoladaReplayServer

    def environment(self) -> dict[str, str]:
        """The settings overrides that point the pipeline at these emulators."""
        return {"OMS_SCB_BASE_URL": self.scb.base_url, "OMS_KOLADA_BASE_URL": self.kolada.base_url}


@contextmanager
def running_emulators(shared_dir: Path, limits: ReplayLimits | None = None, host: str = "127.0.0.1",
                      scb_port: int = 0, kolada_port: int = 0) -> Iterator[Emulators]:
    """Both emulators on loopback (port 0: any free port) for the duration of the block; SCB's published limits
    unless others are given."""
    missing = [name for name in ("scb", "kolada") if not (Path(shared_dir) / name).is_dir()]
    if missing:
        raise FileNotFoundError(f"no recorded {' and '.join(missing)} material in {shared_dir}; set OMS_SHARED_DIR "
                                "to the shared folder")
    with PxWebReplayServer(shared_dir, limits or ReplayLimits(), host, scb_port) as scb, \
            KoladaReplayServer(shared_dir, host=host, port=kolada_port) as kolada:
        yield Emulators(scb, kolada)
