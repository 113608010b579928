"""`make bench`: the pipeline's figures, each beside a baseline measured in the same run, on the replay server.

Sections (select with ``--only``): ``split`` (the split planner's calls vs the minimum), ``calls`` (API calls vs
the minimum), ``fetch`` (wall time vs the rate-limit bound), ``nightly`` (a no-change rerun vs the full run),
``load`` (DuckDB MERGE vs row-by-row INSERT), ``prefect`` (the nightly flow vs the same stages as plain functions),
``process`` (a no-change night as a whole `oms run` process against a running Prefect server vs an empty Prefect
flow process) and ``regions`` (ÖMS vs all of Sweden). Every warehouse and data directory is
temporary; the published warehouse/oms.duckdb is never opened.
"""
