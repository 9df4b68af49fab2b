"""What every browser-facing function checks before it does anything: where a request comes
from (Origin) and how often this client has posted lately (rate limit)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from urllib.parse import SplitResult, urlsplit

import flask

from .http import HttpProblem

CORS_METHODS = "GET, POST"
CORS_HEADERS = "Content-Type, Accept"


WEB_SCHEMES = ("http", "https")


def _origin(url: str) -> str:
    """An allowed origin from the settings, written as a maintainer may (a trailing path)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _browser_origin(header: str) -> SplitResult:
    """The ``Origin`` header as a browser writes it: ``scheme://host[:port]`` in printable
    ASCII (a browser sends an international name in punycode) and nothing more.

    HttpProblem 400 for anything else: urlsplit raises on some of it (``http://[::1``), and
    what it lets through (control characters, which it silently removes; a path; user info)
    must not pass for one of our own or an allowed site.
    """
    value = header.strip(" \t")
    try:
        if not all(" " < character < "\x7f" for character in value):
            raise ValueError("not printable ASCII")
        parts = urlsplit(value)
        # Reading .port raises ValueError for a port that is not a number from 1 to 65535.
        if not (parts.scheme and parts.hostname) or parts.port == 0:
            raise ValueError("no scheme, host or port")
        if parts.path or parts.query or parts.fragment or "@" in parts.netloc:
            raise ValueError("more than an origin")
    except ValueError as error:
        raise HttpProblem(
            400,
            "De herkomst van dit verzoek (de Origin-kop) is onleesbaar. Open het formulier "
            "opnieuw via de website van het initiatief.",
        ) from error
    return parts


class OriginPolicy:
    """Pages post to themselves; other sites may post only when they are allowed origins.

    A browser names the page a request comes from in ``Origin``. Our own pages (same host) and
    ``ALLOWED_ORIGINS`` (e.g. the initiative's website with an embedded form) pass and get CORS
    headers; any other site is refused, so no page elsewhere can submit in a visitor's name.
    Clients that send no Origin (curl, servers, a mail provider's one-click unsubscribe) are
    not browsers and pass. The opaque origin "null" (a sandboxed frame, a data: page) is
    refused: our own pages send their real origin, as their Referrer-Policy is same-origin.
    """

    def __init__(self, allowed: Iterable[str]) -> None:
        self._allowed = frozenset(_origin(origin) for origin in allowed)

    def headers_for(self, request: flask.Request) -> dict[str, str]:
        """The CORS headers for this request's answer; HttpProblem 403 for a foreign site, 400
        for an Origin no browser would send."""
        header = request.headers.get("Origin")
        if header is None:
            return {}
        if header != "null":
            parts = _browser_origin(header)
            # werkzeug gives an empty host for a Host header with invalid characters.
            host = request.host.lower()
            if parts.scheme.lower() in WEB_SCHEMES and host and parts.netloc.lower() == host:
                return {}
            origin = f"{parts.scheme}://{parts.netloc}".lower()
            if origin in self._allowed:
                return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        raise HttpProblem(
            403,
            "Dit formulier kan alleen via de website van het initiatief worden verstuurd.",
        )

    def preflight(self, request: flask.Request) -> flask.Response:
        headers = self.headers_for(request)
        if not headers:
            raise HttpProblem(403, "Verzoeken van deze website worden niet aangenomen.")
        response = flask.Response(status=204)
        response.headers.update(
            {
                **headers,
                "Access-Control-Allow-Methods": CORS_METHODS,
                "Access-Control-Allow-Headers": CORS_HEADERS,
                "Access-Control-Max-Age": "600",
            }
        )
        return response


class RateLimiter:
    """At most ``limit`` posts per client per ``window`` seconds, counted in this instance.

    Per instance only (Cloud Functions runs several): it stops a script hammering the form,
    not a distributed attack, for which Cloud Armor or the load balancer is the place.
    Clients are kept as a short hash of their address, never the address itself.
    """

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._posts: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, request: flask.Request) -> None:
        key = client_key(request)
        now = self._clock()
        with self._lock:
            if len(self._posts) > 10_000:
                self._forget_before(now - self._window)
            posts = self._posts.setdefault(key, deque())
            while posts and posts[0] <= now - self._window:
                posts.popleft()
            if len(posts) >= self._limit:
                retry_after = max(1, int(posts[0] + self._window - now) + 1)
                minutes = max(1, round(retry_after / 60))
                raise HttpProblem(
                    429,
                    "U heeft dit formulier vaak achter elkaar verstuurd. Probeer het over "
                    f"{minutes} {'minuut' if minutes == 1 else 'minuten'} opnieuw.",
                    {"Retry-After": str(retry_after)},
                )
            posts.append(now)

    def _forget_before(self, cutoff: float) -> None:
        for key in [k for k, posts in self._posts.items() if not posts or posts[-1] <= cutoff]:
            del self._posts[key]


def client_key(request: flask.Request) -> str:
    """Who is posting, hashed: the address Google's front end saw, which it appends as the
    last X-Forwarded-For entry (earlier entries come from the client and prove nothing)."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    address = forwarded.split(",")[-1].strip() or request.remote_addr or "unknown"
    return hashlib.sha256(address.encode()).hexdigest()[:16]
