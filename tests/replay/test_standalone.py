"""The emulators as a component of their own: started from the command line exactly as an operator or a deployment
would (`oms serve-replay`, `python -m replay`), answering SCB's /config and Kolada's KPI catalogue over loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

PROJECT = Path(__file__).resolve().parents[2]


def _free_port_pair() -> int:
    """A port p with p and p + 1 free (serve-replay puts Kolada on the next port)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports")


@pytest.mark.parametrize("command", ["oms serve-replay", "python -m replay"])
def test_the_emulators_start_alone_and_answer(command: str, shared_dir: Path) -> None:
    port = _free_port_pair()
    argv = ([str(PROJECT / ".venv/bin/oms"), "serve-replay", "--port", str(port)] if command.startswith("oms")
            else [sys.executable, "-m", "replay", "--scb-port", str(port), "--kolada-port", str(port + 1)])
    if command.startswith("oms") and not Path(argv[0]).exists():
        argv = [sys.executable, "-m", "flows.cli", "serve-replay", "--port", str(port)]
    server = subprocess.Popen(argv, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "OMS_SHARED_DIR": str(shared_dir)}, start_new_session=True)
    try:
        announced = {}
        deadline = time.monotonic() + 120
        while "OMS_KOLADA_BASE_URL" not in announced and time.monotonic() < deadline:
            line = server.stdout.readline()
            assert line, f"{command} exited early with {server.poll()}"
            if line.startswith("export "):
                name, value = line.removeprefix("export ").strip().split("=", 1)
                announced[name] = value
        assert announced == {"OMS_SCB_BASE_URL": f"http://127.0.0.1:{port}/api/v2",
                             "OMS_KOLADA_BASE_URL": f"http://127.0.0.1:{port + 1}/v3"}
        config = requests.get(announced["OMS_SCB_BASE_URL"] + "/config", timeout=10)
        assert config.status_code == 200 and config.json()["maxDataCells"] == 150_000
        kpis = requests.get(announced["OMS_KOLADA_BASE_URL"] + "/kpi", timeout=10)
        assert kpis.status_code == 200 and kpis.json()["values"]
    finally:
        # SIGTERM, as a service manager stops it (a background job may have SIGINT ignored from its start).
        os.killpg(server.pid, signal.SIGTERM)
        assert server.wait(timeout=60) in (0, -signal.SIGTERM, 143)
