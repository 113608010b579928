"""Great Expectations' own Data Docs views, given Jinja's bytecode cache.

GX builds a new Jinja environment for every docs build and compiles its page templates again each time: about half
of a build (0.29-0.36 s of 0.3-0.4 s for one result, measured in one process). Jinja's FileSystemBytecodeCache keeps
the compiled templates in a per-user folder of the temporary directory, keyed by each template's source (a GX upgrade
compiles afresh) and written by rename (a backfill beside the nightly never reads half a file). GX names these
classes in the docs site's config (``view``), its documented place for a custom view.
"""

from __future__ import annotations

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import FileSystemBytecodeCache

COMPILED_TEMPLATES = FileSystemBytecodeCache()


class CachedPageView(DefaultJinjaPageView):
    """A validation result's page."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = COMPILED_TEMPLATES


class CachedIndexPageView(DefaultJinjaIndexPageView):
    """The docs' index page."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = COMPILED_TEMPLATES
