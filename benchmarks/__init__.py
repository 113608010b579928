"""`make bench`: the pipeline's figures, each beside a baseline measured in the same run, on the replay server.

Sections (select with ``--only``): ``calls`` (API calls vs the minimum), ``fetch`` (wall time vs the rate-limit
bound), ``nightly`` (a no-change rerun vs the full run), ``load`` (DuckDB MERGE vs row-by-row INSERT) and
``prefect`` (the nightly flow vs the same stages as plain functions). Every warehouse and data directory is
temporary; the published warehouse/oms.duckdb is never opened.
"""
