"""A PxWebApi 2 server on loopback that answers as SCB does, from SCB's recorded answers (../shared/scb and the
project's recordings/scb).

It serves every operation of SCB's published spec (``shared/scb/spec/PxAPI-2.yml``): ``/config``, ``/tables``,
``/tables/{id}``, ``/tables/{id}/metadata``, ``/tables/{id}/defaultselection``, ``/tables/{id}/data`` (GET with
``valueCodes[VAR]=…`` or POST with a selection; json-stat2, csv, px, json-px, html or xlsx), ``/codelists/{id}``
and ``/savedqueries``. Metadata answers are SCB's own metadata documents. A data request is answered when every cell
it asks for was recorded; otherwise it is refused with a problem that names what is missing ("Not in the
recording"), never answered with less or with an invented number. Where SCB's server and its spec differ, the
emulator does what SCB's server does (status codes, titles, the 429 answer) and says so in ``docs/EMULATOR.md``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from replay.faults import Fault, damage_document
from replay.loopback import LoopbackServer, Reply, Request, json_reply, problem
from replay.pxweb.endpoints import Endpoints
from replay.pxweb.recordings import Recordings, load_recordings

API_PREFIX = "/api/v2"
PROJECT_RECORDINGS = (Path(__file__).resolve().parents[2] / "recordings" / "scb").resolve()


@dataclass(frozen=True)
class ReplayLimits:
    """SCB's published limits for PxWebApi 2 (shared/README.md): 150,000 cells per call, 30 calls per 10 s."""

    max_cells: int = 150_000
    max_calls: int = 30
    window_seconds: float = 10
    cell_limit_status: int = 400  # SCB's server answers 400 "Too many cells selected" (the spec lists 403)


class PxWebReplayServer(LoopbackServer):
    name = "pxweb-replay"
    fixed_window = True  # SCB's limiter counts every request in a window opened by the client's first call

    def __init__(self, shared_dir: Path, limits: ReplayLimits = ReplayLimits(), host: str = "127.0.0.1",
                 port: int = 0) -> None:
        super().__init__(limits.max_calls, limits.window_seconds, host, port)
        self.scb_dir = (Path(shared_dir) / "scb").resolve()
        self.limits = limits
        self.recordings: Recordings = load_recordings(self.scb_dir, PROJECT_RECORDINGS)
        self.endpoints = Endpoints(self.recordings, self.limits, lambda: self.base_url)

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    @property
    def cubes(self) -> dict:
        return {table_id: table.cube for table_id, table in self.recordings.tables.items()}

    def republish(self, table_id: str, updated: str) -> None:
        """Act as if SCB republished the table: its `updated` stamp changes (the recorded values stay)."""
        if table_id not in self.recordings.tables:
            raise KeyError(table_id)
        self.endpoints.republished[table_id] = updated

    def reset(self) -> None:
        super().reset()
        self.endpoints.reset()

    # -- HTTP ---------------------------------------------------------------------------------------------------
    def allowed_methods(self, path: str) -> list[str]:
        lowered = path.lower().rstrip("/")
        if lowered.endswith("/data") and lowered.startswith(API_PREFIX + "/tables/") or \
                lowered == API_PREFIX + "/savedqueries":
            return ["GET", "POST"] if lowered.endswith("/data") else ["POST"]
        return ["GET"]

    def route(self, request: Request) -> tuple[str, str | None, Reply]:
        if not request.path.lower().startswith(API_PREFIX):
            return "other", None, Reply(404, b"", "text/plain")
        return self.endpoints.route(request, request.segments(API_PREFIX))

    def too_many_requests(self, wait_seconds: float) -> Reply:
        # SCB's limiter (AspNetCoreRateLimit) answers in plain text, not problem+json as the spec says.
        window = f"{self.window.window_seconds:g}s"
        reply = Reply(429, f"API calls quota exceeded! maximum admitted {self.window.max_calls} per {window}."
                      .encode(), "text/plain")
        reply.headers["Retry-After"] = str(max(1, round(wait_seconds)))
        return reply

    def admitted_headers(self, client: str) -> dict[str, str]:
        from datetime import UTC, datetime, timedelta

        remaining, reset_in = self.window.remaining(client)
        reset = datetime.now(UTC) + timedelta(seconds=reset_in)
        return {"X-Rate-Limit-Limit": f"{self.window.window_seconds:g}s", "X-Rate-Limit-Remaining": str(remaining),
                "X-Rate-Limit-Reset": reset.isoformat()}

    def damage_content(self, fault: Fault, reply: Reply) -> Reply:
        if reply.document is None:
            return reply
        return json_reply(damage_document(fault, reply.document), content_type=reply.content_type,
                          headers=reply.headers)


def serve_forever(shared_dir: Path, host: str = "127.0.0.1", port: int = 8765,
                  limits: ReplayLimits = ReplayLimits()) -> None:
    """Run the PxWeb emulator in the foreground until interrupted."""
    server = PxWebReplayServer(shared_dir, limits, host, port)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


__all__ = ["API_PREFIX", "PxWebReplayServer", "ReplayLimits", "problem", "serve_forever"]
