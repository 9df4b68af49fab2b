"""The forms on the initiative's own site: in an iframe (``?embed=1``) or posted from its own
HTML form (``redirect=URL``).

- Which sites may frame a form is ``EMBED_ORIGINS``, said to the browser as the CSP's
  ``frame-ancestors`` (``'none'`` when empty, as on every other page). The embedded form keeps
  every other security header and its honeypot, posts to itself, and drops the page's header
  and footer.
- It tells its height to those sites alone, through ``postMessage`` from a static script
  served from its own origin (``?script=resize``; templates/embed/resize.js), the one script
  the form's CSP allows (``script-src 'self'``): no inline script anywhere.
- A ``redirect`` after a valid sign-up only goes to an origin in ``ALLOWED_ORIGINS`` (the sites
  that may post to the forms): no open redirect. The form's CSP lets it go there
  (``form-action``), since a browser checks a form's redirect against it too.
"""

from __future__ import annotations

from collections.abc import Iterable

import flask
import jinja2

from ..settings import Settings
from .http import content_security_policy

RESIZE_SCRIPT = "embed/resize.js"


def is_embedded(request: flask.Request) -> bool:
    return request.args.get("embed") == "1"


def form_headers(
    settings: Settings, *, embedded: bool, redirect_to: Iterable[str] = ()
) -> dict[str, str]:
    """The CSP of a form page: who may frame it, its one script when framed, and where its
    own post may lead (itself, and the site a ``redirect`` goes back to)."""
    policy = content_security_policy(
        form_action=" ".join(["'self'", *redirect_to]),
        frame_ancestors=" ".join(settings.embed_origins) or "'none'",
        script_src="'self'" if embedded else None,
    )
    return {"Content-Security-Policy": policy}


def resize_script(templates: jinja2.Environment) -> flask.Response:
    """The static script, cacheable for an hour (it holds nothing of anyone)."""
    loader = templates.loader
    assert loader is not None
    source, _filename, _uptodate = loader.get_source(templates, RESIZE_SCRIPT)
    response = flask.Response(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
