"""The pipeline every HTTP function runs: method, origin and rate checks, the handler, and a
clear answer for every failure. Entry points in main.py only name their handlers."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import flask

from .. import bootstrap
from ..bootstrap import Runtime
from .http import HttpProblem, dispatch

RuntimeHandler = Callable[[flask.Request, Runtime], flask.Response]


def serve(
    request: flask.Request,
    handlers: Mapping[str, RuntimeHandler],
    *,
    browser_facing: bool = True,
    rate_limited: bool = False,
) -> flask.Response:
    """Answer ``request`` with the handler for its method.

    ``browser_facing`` functions (forms and link pages) check the request's origin and answer
    CORS preflights; scheduler-only functions do not. ``rate_limited`` ones (the public forms)
    limit how often one client may post; links are not limited, so that a coordinator can
    handle a whole evening's sign-ups in a row.
    """

    def guarded(method: str, handler: RuntimeHandler) -> Callable[[flask.Request], flask.Response]:
        def run(incoming: flask.Request) -> flask.Response:
            runtime = bootstrap.runtime()
            if not browser_facing:
                return handler(incoming, runtime)
            cors = runtime.origins.headers_for(incoming)
            try:
                if rate_limited and method == "POST":
                    runtime.rate_limiter.check(incoming)
                response = handler(incoming, runtime)
            except HttpProblem as problem:
                # An allowed site must be able to read the refusal too (413, 415, 429).
                problem.headers.update(cors)
                raise
            response.headers.update(cors)
            return response

        return run

    routes = {method: guarded(method, handler) for method, handler in handlers.items()}
    if browser_facing:
        routes["OPTIONS"] = lambda incoming: bootstrap.runtime().origins.preflight(incoming)
    return dispatch(request, lambda: bootstrap.runtime().templates, routes)
