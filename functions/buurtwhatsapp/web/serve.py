"""The pipeline every HTTP function runs: method, origin and rate checks, the handler, and a
clear answer for every failure. Entry points in main.py only name their handlers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import flask

from .. import bootstrap
from ..bootstrap import Runtime
from .embedding import form_headers, is_embedded
from .guard import OriginPolicy, RateLimiter
from .http import HttpProblem, dispatch

RuntimeHandler = Callable[[flask.Request, Runtime], flask.Response]


@dataclass(frozen=True)
class Guards:
    origins: OriginPolicy
    rate_limiter: RateLimiter  # per instance: the one piece of state kept between requests


@functools.lru_cache(maxsize=1)
def guards(runtime: Runtime) -> Guards:
    """The origin policy and the rate limiter of this instance, built once from its settings
    (again after bootstrap.reset(), which makes a new runtime)."""
    settings = runtime.settings
    return Guards(
        origins=OriginPolicy((*settings.allowed_origins, settings.public_base_url)),
        rate_limiter=RateLimiter(settings.rate_limit_posts, settings.rate_limit_window_seconds),
    )


def serve(
    request: flask.Request,
    handlers: Mapping[str, RuntimeHandler],
    *,
    browser_facing: bool = True,
    rate_limited: bool = False,
    embeddable: bool = False,
) -> flask.Response:
    """Answer ``request`` with the handler for its method.

    ``browser_facing`` functions (forms and link pages) check the request's origin and answer
    CORS preflights; scheduler-only functions do not. ``rate_limited`` ones (the public forms)
    limit how often one client may post; links are not limited, so that a coordinator can
    handle a whole evening's sign-ups in a row. ``embeddable`` ones (the forms) may be framed
    by the sites in EMBED_ORIGINS, their refusals (429, 413, 403) too, so that a resident in
    the frame reads them rather than a blocked frame (web/embedding.py).
    """

    def guarded(method: str, handler: RuntimeHandler) -> Callable[[flask.Request], flask.Response]:
        def run(incoming: flask.Request) -> flask.Response:
            runtime = bootstrap.runtime()
            if not browser_facing:
                return handler(incoming, runtime)
            cors = guards(runtime).origins.headers_for(incoming)
            embedded = is_embedded(incoming)
            frame = form_headers(runtime.settings, embedded=embedded) if embeddable else {}
            try:
                if rate_limited and method == "POST":
                    guards(runtime).rate_limiter.check(incoming)
                response = handler(incoming, runtime)
            except HttpProblem as problem:
                # An allowed site must be able to read the refusal too (413, 415, 429).
                problem.headers.update(cors)
                for name, value in frame.items():
                    problem.headers.setdefault(name, value)
                raise
            response.headers.update(cors)
            for name, value in frame.items():
                response.headers.setdefault(name, value)  # a form page may have said more
            return response

        return run

    routes = {method: guarded(method, handler) for method, handler in handlers.items()}
    if browser_facing:
        routes["OPTIONS"] = lambda incoming: guards(bootstrap.runtime()).origins.preflight(incoming)
    return dispatch(request, lambda: bootstrap.runtime().templates, routes)
