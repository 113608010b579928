"""Kolada's v3 API: client (paged KPI values) and the source."""
