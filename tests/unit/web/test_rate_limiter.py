"""The per-instance rate limiter: a sliding window per client."""

from __future__ import annotations

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from buurtwhatsapp.web.guard import RateLimiter, client_key
from buurtwhatsapp.web.http import HttpProblem


def request_from(address: str, forwarded: str | None = None) -> Request:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return Request(
        EnvironBuilder(
            method="POST", headers=headers, environ_base={"REMOTE_ADDR": address}
        ).get_environ()
    )


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_slides():
    ticks = Ticks()
    limiter = RateLimiter(2, 60, ticks)
    client = request_from("198.51.100.1")
    limiter.check(client)
    ticks.now += 30
    limiter.check(client)
    with pytest.raises(HttpProblem) as refused:
        limiter.check(client)
    assert refused.value.status == 429
    assert refused.value.headers["Retry-After"] == "31"
    ticks.now += 30  # the first post has left the window
    limiter.check(client)


def test_clients_are_counted_by_the_address_the_front_end_appended():
    limiter = RateLimiter(1, 60, Ticks())
    limiter.check(request_from("10.0.0.1", "203.0.113.5"))
    limiter.check(request_from("10.0.0.1", "203.0.113.6"))
    # A client that makes up earlier entries is still counted by its real address.
    with pytest.raises(HttpProblem):
        limiter.check(request_from("10.0.0.2", "198.51.100.99, 203.0.113.5"))


def test_addresses_are_not_kept_readable():
    assert "203.0.113.5" not in client_key(request_from("10.0.0.1", "203.0.113.5"))
