"""A web origin written as a browser sends it in ``Origin``: scheme and host in lower case, and
no port where it is the scheme's default. The settings store their origins so, and a redirect
is compared so, whatever way round a maintainer or a site wrote ``:443``."""

from __future__ import annotations

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(scheme: str, hostname: str, port: int | None) -> str:
    scheme = scheme.lower()
    if port == DEFAULT_PORTS.get(scheme):
        port = None
    return f"{scheme}://{hostname.lower()}" + (f":{port}" if port else "")
