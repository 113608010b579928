"""Great Expectations' own Data Docs views, given Jinja's bytecode cache.

GX builds a new Jinja environment for every docs build and compiled its 36 page templates again each time: two
thirds of a build of one result (0.49-0.50 s; 0.14-0.17 s with the cache). Jinja's FileSystemBytecodeCache keeps the
compiled templates in a per-user folder of the temporary directory, keyed by each template's source (a GX upgrade
compiles afresh) and written by rename (a backfill beside the nightly never reads half a file). GX names these
classes in the docs site's config (``view``), its documented place for a custom view.
"""

from __future__ import annotations

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import FileSystemBytecodeCache


def template_cache() -> FileSystemBytecodeCache | None:
    """Jinja's cache folder; None where it cannot be made (the templates are then compiled, as GX does)."""
    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):  # Jinja raises RuntimeError for a folder it cannot make private to this user
        return None


COMPILED_TEMPLATES = template_cache()


class _CachedTemplates:
    """Given to GX's views below: their Jinja environment, made in GX's __init__, reads compiled templates."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = COMPILED_TEMPLATES


class CachedPageView(_CachedTemplates, DefaultJinjaPageView):
    """A validation result's page."""


class CachedIndexPageView(_CachedTemplates, DefaultJinjaIndexPageView):
    """The docs' index page."""
