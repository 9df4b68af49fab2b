"""Every function of functions/main.py, mounted at its path in one local WSGI app.

Google Cloud gives each function its own URL; locally one WSGI process mounts them all. The
list of functions is infra/functions.py, the same the deploy script uses.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterable
from pathlib import Path

from werkzeug.wrappers import Response

from buurtwhatsapp.web.http import SECURITY_HEADERS
from devstack.devserver import bounded_body, max_body_bytes
from infra.functions import FUNCTIONS

if t.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

FUNCTIONS_SOURCE = Path(__file__).resolve().parent.parent / "functions" / "main.py"

# path -> entry point; the CloudEvent ones receive locally what devstack.relay posts, as
# Eventarc would in Google Cloud.
HTTP_FUNCTIONS: dict[str, str] = {
    spec.path: spec.entry_point for spec in FUNCTIONS if spec.signature_type == "http"
}
EVENT_FUNCTIONS: dict[str, str] = {
    spec.path: spec.entry_point for spec in FUNCTIONS if spec.signature_type == "cloudevent"
}

# A created-document event carries one Firestore document, at most 1 MiB, and a few names; an
# update event would carry two. The relay posts nothing larger.
EVENT_BODY_BYTES = 4 * 1024 * 1024


def largest_body(path: str) -> int:
    """The largest body the function mounted at ``path`` accepts; read at each request, as the
    functions' settings follow the environment of the test or shell that started them."""
    return EVENT_BODY_BYTES if path in EVENT_FUNCTIONS else max_body_bytes()


class PathDispatcher:
    """Routes each request to the app mounted at its exact path.

    Unlike werkzeug's DispatcherMiddleware this answers ``/signup`` itself instead of
    redirecting to ``/signup/``, as each Cloud Function URL does. Each app reads at most the
    largest body it accepts (plus the byte that shows a body is too large): functions-framework
    reads every body to its end after answering, and nothing in front of the dev server limits
    bodies as Cloud Run does.
    """

    def __init__(self, apps: dict[str, WSGIApplication]) -> None:
        self.apps = apps

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        mount = path.rstrip("/") or "/"
        app = self.apps.get(mount)
        if app is None:
            # Every other answer carries these headers (web/http.py); so does the dev server's.
            response = Response("Niet gevonden", status=404, mimetype="text/plain")
            response.headers.update(SECURITY_HEADERS)
            return response(environ, start_response)
        environ = bounded_body(environ, largest_body(mount))
        environ = dict(environ, SCRIPT_NAME=environ.get("SCRIPT_NAME", "") + path, PATH_INFO="/")
        return app(environ, start_response)


def create_function_app(target: str, signature_type: str = "http") -> WSGIApplication:
    """The real functions-framework app for one entry point, as Cloud Functions runs it."""
    from functions_framework import create_app

    return create_app(target, str(FUNCTIONS_SOURCE), signature_type)


def create_local_app() -> PathDispatcher:
    """Every function mounted at its path, in one WSGI app."""
    apps = {path: create_function_app(target) for path, target in HTTP_FUNCTIONS.items()}
    for path, target in EVENT_FUNCTIONS.items():
        apps[path] = create_function_app(target, "cloudevent")
    return PathDispatcher(apps)
