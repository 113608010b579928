"""Fetch and land: one folder per API (``pxweb/``, ``kolada/``: client, source) over ``common/``; ``source_batch``
picks the API's source for a configured source, ``transforms`` holds the named transforms a source may ask for."""
