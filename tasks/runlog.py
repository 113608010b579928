"""An append-only log of every run attempt, beside the warehouse: when it started, and how it ended.

The warehouse's audit tables are written inside a run's building copy, so an attempt that never reaches its load
(no network, SIGTERM, SIGKILL, a crash, a failed deployment run) would leave no trace there. Every attempt appends
a line here when it starts and one when it ends; the next load folds the log into ``audit.run``, and ``oms status``
reads it. An attempt with a start and no end whose process is gone was killed ("interrupted").
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ENDED = ("completed", "failed", "terminated", "unreachable", "refused")


def runlog_path(warehouse: Path) -> Path:
    """``warehouse/oms.duckdb`` keeps its log in ``warehouse/oms.runs.jsonl``."""
    return warehouse.with_name(warehouse.stem + ".runs.jsonl")


def new_attempt_id() -> str:
    return uuid.uuid4().hex[:12]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def append(path: Path, event: dict) -> None:
    """One JSON line, appended under a lock and flushed to disk: a crash can cut only the line being written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"at": _now(), **event}, ensure_ascii=False, default=str) + "\n"
    with path.open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def record_start(path: Path, attempt_id: str, command: str, **fields) -> None:
    append(path, {"event": "started", "attempt": attempt_id, "command": command, "pid": os.getpid(),
                  "host": socket.gethostname(), **fields})


def record_end(path: Path, attempt_id: str, status: str, message: str | None = None, **fields) -> None:
    append(path, {"event": "ended", "attempt": attempt_id, "status": status, "message": message, **fields})


@dataclass
class Attempt:
    attempt_id: str
    started_at: str
    command: str = ""
    pid: int | None = None
    host: str | None = None
    run_id: str | None = None
    flow: str | None = None
    parameters: dict | None = None
    status: str | None = None  # None while no end was recorded
    ended_at: str | None = None
    exit_code: int | None = None
    message: str | None = None
    calls: int | None = None
    outcomes: list[dict] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The id audit.run knows it by: the flow run's id once the flow started, else the attempt's."""
        return self.run_id or self.attempt_id

    def state(self) -> str:
        """Its status; without an end: running if its process lives on this host, else interrupted."""
        if self.status:
            return self.status
        alive = self.host == socket.gethostname() and self.pid is not None and _alive(self.pid)
        return "running" if alive else "interrupted"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_attempts(path: Path) -> list[Attempt]:
    """Every attempt in the log, oldest first; a line cut short by a crash is skipped."""
    if not path.exists():
        return []
    attempts: dict[str, Attempt] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
            attempt_id = event["attempt"]
        except (ValueError, KeyError, TypeError):
            continue
        attempt = attempts.setdefault(attempt_id, Attempt(attempt_id, event.get("at", "")))
        for name in ("command", "pid", "host", "run_id", "flow", "parameters", "exit_code", "message", "calls"):
            if event.get(name) is not None:
                setattr(attempt, name, event[name])
        if event.get("event") == "ended":
            attempt.status, attempt.ended_at = event.get("status"), event.get("at")
            attempt.outcomes = event.get("outcomes") or attempt.outcomes
    return list(attempts.values())
