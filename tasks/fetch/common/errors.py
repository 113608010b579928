"""The errors a source's fetch reports in one line: an answer that is not what the API documents, a selection
the table cannot answer."""

from __future__ import annotations


class ResponseFormatError(ValueError):
    """The body is not what the API documents (HTML page, truncated JSON, a json-stat2 dataset with inconsistent
    sizes, a Kolada page without its values)."""


class SelectionError(ValueError):
    """A selection that the table cannot answer (unknown variable, unknown value, bad expression)."""
