"""The Jinja2 environments for pages and mail: autoescaped, and strict about missing values."""

from __future__ import annotations

from pathlib import Path

import jinja2


def template_environment(templates_dir: Path) -> jinja2.Environment:
    """Autoescape on for every template: residents' own words end up in pages and mail."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
