"""JSON answers decoded strictly: an HTML error page, a cut-off body, NaN or hostile nesting becomes one readable
ResponseFormatError, never a traceback or a wrong number."""

from __future__ import annotations

import json
import re

from tasks.fetch.common.errors import ResponseFormatError

_UTF8_BOM = b"\xef\xbb\xbf"  # v1 responses start with one (shared/README.md)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def load_json_document(body: bytes, what: str = "response") -> dict:
    """Decode a JSON body, turning HTML error pages, truncated or hostile bodies into a readable error.

    Python's json module accepts NaN and Infinity, which JSON does not: refused here, so a non-finite number can
    never reach a table. Nesting deep enough to exhaust the recursion limit is a format error too, not a crash.
    """
    text = body.removeprefix(_UTF8_BOM).decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if stripped[:1] == "<":
        title = re.search(r"<title>(.*?)</title>", stripped, re.IGNORECASE | re.DOTALL)
        hint = f" (page title: {title.group(1).strip()[:80]!r})" if title else ""
        raise ResponseFormatError(f"{what} is an HTML page, not JSON{hint}")
    if not stripped:
        raise ResponseFormatError(f"{what} is empty")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        raise ResponseFormatError(
            f"{what} is not valid JSON ({err.msg} at byte {err.pos} of {len(body)}): truncated or corrupted"
        ) from err
    except ValueError as err:
        raise ResponseFormatError(f"{what} is not valid JSON: {err}") from err
    except RecursionError as err:
        raise ResponseFormatError(f"{what} nests arrays or objects too deeply to be a json-stat2 answer") from err
