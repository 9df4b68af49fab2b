"""Every function of functions/main.py, mounted at its path in one local WSGI app.

Google Cloud gives each function its own URL; locally one WSGI process mounts them all. The
list of functions is infra/functions.py, the same the deploy script uses.
"""

from __future__ import annotations

from pathlib import Path

from werkzeug.wrappers import Response

from infra.functions import FUNCTIONS

FUNCTIONS_SOURCE = Path(__file__).resolve().parent.parent / "functions" / "main.py"

# path -> entry point; the CloudEvent ones receive locally what devstack.relay posts, as
# Eventarc would in Google Cloud.
HTTP_FUNCTIONS: dict[str, str] = {
    spec.path: spec.entry_point for spec in FUNCTIONS if spec.signature_type == "http"
}
EVENT_FUNCTIONS: dict[str, str] = {
    spec.path: spec.entry_point for spec in FUNCTIONS if spec.signature_type == "cloudevent"
}


class PathDispatcher:
    """Routes each request to the app mounted at its exact path.

    Unlike werkzeug's DispatcherMiddleware this answers ``/signup`` itself instead of
    redirecting to ``/signup/``, as each Cloud Function URL does.
    """

    def __init__(self, apps: dict[str, object]) -> None:
        self.apps = apps

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or "/"
        app = self.apps.get(path.rstrip("/") or "/")
        if app is None:
            return Response("Niet gevonden", status=404, mimetype="text/plain")(
                environ, start_response
            )
        environ = dict(environ, SCRIPT_NAME=environ.get("SCRIPT_NAME", "") + path, PATH_INFO="/")
        return app(environ, start_response)


def create_function_app(target: str, signature_type: str = "http"):
    """The real functions-framework app for one entry point, as Cloud Functions runs it."""
    from functions_framework import create_app

    return create_app(target, str(FUNCTIONS_SOURCE), signature_type)


def create_local_app() -> PathDispatcher:
    """Every function mounted at its path, in one WSGI app."""
    apps = {path: create_function_app(target) for path, target in HTTP_FUNCTIONS.items()}
    for path, target in EVENT_FUNCTIONS.items():
        apps[path] = create_function_app(target, "cloudevent")
    return PathDispatcher(apps)
