"""``python -m replay``: serve the PxWebApi 2 and Kolada v3 emulators in the foreground (Ctrl-C to stop)."""

from __future__ import annotations

import argparse
import contextlib
import os
import threading
from pathlib import Path

from replay.launch import running_emulators

DEFAULT_SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m replay", description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("OMS_SHARED_DIR", DEFAULT_SHARED)),
                        help="the folder with scb/ and kolada/ recordings (default: ../shared or OMS_SHARED_DIR)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--scb-port", type=int, default=8765)
    parser.add_argument("--kolada-port", type=int, default=8766)
    args = parser.parse_args(argv)
    with running_emulators(args.shared, host=args.host, scb_port=args.scb_port,
                           kolada_port=args.kolada_port) as emulators:
        print(f"PxWebApi 2 (SCB) at {emulators.scb.base_url}", flush=True)
        print(f"Kolada v3 at {emulators.kolada.base_url}", flush=True)
        for name, value in emulators.environment().items():
            print(f"export {name}={value}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
