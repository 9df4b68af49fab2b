"""Origin checks, CORS and the rate limit, through the real functions-framework app."""

from __future__ import annotations

import pytest

from buurtwhatsapp import bootstrap
from buurtwhatsapp.model import SIGNUPS

pytestmark = pytest.mark.emulator

WEBSITE = "https://www.buurt.example.org"


@pytest.fixture
def client(function_client, monkeypatch):
    monkeypatch.setenv("ALLOWED_ORIGINS", f"{WEBSITE}, https://other.example.org")
    monkeypatch.setenv("RATE_LIMIT", "3/600")
    bootstrap.reset()
    return function_client("signup")


def test_a_post_from_a_foreign_site_is_refused_and_stores_nothing(
    client, firestore_client, valid_signup
):
    response = client.post(
        "/signup", data=valid_signup, headers={"Origin": "https://evil.example.com"}
    )
    assert response.status_code == 403
    assert "website van het initiatief" in response.get_data(as_text=True)
    assert list(firestore_client.collection(SIGNUPS).stream()) == []


def test_an_allowed_website_may_post_and_gets_cors_headers(client, valid_signup):
    response = client.post(
        "/signup",
        json={**valid_signup, "adult": True},
        headers={"Origin": WEBSITE},
    )
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == WEBSITE
    assert response.headers["Vary"] == "Origin"


def test_the_page_itself_may_post_to_its_own_host(client, valid_signup):
    response = client.post("/signup", data=valid_signup, headers={"Origin": "http://localhost"})
    assert response.status_code == 303
    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_opaque_origin_is_refused(client, valid_signup):
    """A sandboxed frame or data: page on any site sends "null"; our own pages never do."""
    response = client.post("/signup", data=valid_signup, headers={"Origin": "null"})
    assert response.status_code == 403


def test_a_preflight_is_answered_for_allowed_sites_only(client):
    allowed = client.options(
        "/signup",
        headers={"Origin": WEBSITE, "Access-Control-Request-Method": "POST"},
    )
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == WEBSITE
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    refused = client.options("/signup", headers={"Origin": "https://evil.example.com"})
    assert refused.status_code == 403


def test_too_many_posts_from_one_client_get_429_with_retry_after(
    client, firestore_client, valid_signup
):
    for number in range(3):
        resident = {
            **valid_signup,
            "email": f"b{number}@example.org",
            "phone": f"0623450{number:03d}",
        }
        assert client.post("/signup", data=resident).status_code == 303
    response = client.post("/signup", data=valid_signup, headers={"Accept": "application/json"})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 601
    assert "Probeer het over 10 minuten opnieuw" in response.json["error"]
    assert len(list(firestore_client.collection(SIGNUPS).stream())) == 3
    # The refusal carries CORS headers, so an allowed website can read it.
    from_site = client.post("/signup", data=valid_signup, headers={"Origin": WEBSITE})
    assert from_site.status_code == 429
    assert from_site.headers["Access-Control-Allow-Origin"] == WEBSITE
    # Another client (another address) is not affected; reading is never limited.
    other = client.post(
        "/signup",
        data={**valid_signup, "email": "x@example.org", "phone": "0623459999"},
        headers={"X-Forwarded-For": "192.0.2.7"},
    )
    assert other.status_code == 303
    assert client.get("/signup").status_code == 200


def test_links_are_not_rate_limited(function_client, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT", "1/600")
    bootstrap.reset()
    confirm = function_client("confirm")
    statuses = [confirm.post("/confirm?token=x").status_code for _ in range(3)]
    assert statuses == [400, 400, 400]
