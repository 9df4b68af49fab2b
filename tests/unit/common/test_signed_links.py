"""Signed links: bound to purpose and document, expiring, tamper-proof."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from buurtwhatsapp.common.signed_links import LIFETIMES, InvalidLink, Links, Purpose

SECRET = "s" * 40


@pytest.fixture
def links(clock) -> Links:
    return Links(SECRET, "https://buurt.example.org/", clock)


@pytest.mark.parametrize("purpose", list(Purpose))
def test_a_token_verifies_for_its_purpose_and_document(links, purpose):
    assert links.verify(purpose, links.token(purpose, "abc123")) == "abc123"


@pytest.mark.parametrize("made_for", list(Purpose))
def test_a_token_does_not_verify_for_another_purpose(links, made_for):
    token = links.token(made_for, "abc123")
    for other in set(Purpose) - {made_for}:
        with pytest.raises(InvalidLink) as caught:
            links.verify(other, token)
        assert caught.value.expired is False


def test_a_tampered_token_is_refused(links):
    token = links.token(Purpose.CONFIRM, "abc123")
    for position in (0, len(token) // 2, len(token) - 1):
        swapped = "A" if token[position] != "A" else "B"
        with pytest.raises(InvalidLink):
            links.verify(Purpose.CONFIRM, token[:position] + swapped + token[position + 1 :])


def other_spellings(token: str) -> list[str]:
    """The token with its last character changed in spare bits only, and with padding: the
    same bytes, spelled otherwise."""
    from itsdangerous.encoding import base64_decode, base64_encode

    head, _, signature = token.rpartition(".")
    spellings = [f"{token}=", f"{token}=="]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for character in alphabet:
        changed = signature[:-1] + character
        if changed != signature:
            try:
                same = base64_decode(changed) == base64_decode(signature)
            except Exception:
                same = False
            if same:
                spellings.append(f"{head}.{changed}")
    assert base64_encode(base64_decode(signature)).decode() == signature
    return spellings


def test_one_link_has_one_spelling_that_works(links):
    token = links.token(Purpose.LEAVE, "abc123")
    spellings = other_spellings(token)
    assert len(spellings) > 2  # the signature's last character has spare bits
    for spelling in spellings:
        with pytest.raises(InvalidLink) as caught:
            links.verify(Purpose.LEAVE, spelling)
        assert caught.value.expired is False
    assert links.verify(Purpose.LEAVE, token) == "abc123"


def test_a_token_signed_with_another_secret_is_refused(clock):
    forged = Links("x" * 40, "https://buurt.example.org", clock).token(Purpose.LEAVE, "abc123")
    with pytest.raises(InvalidLink):
        Links(SECRET, "https://buurt.example.org", clock).verify(Purpose.LEAVE, forged)


@pytest.mark.parametrize("purpose", list(Purpose))
def test_a_token_expires_after_its_lifetime(links, clock, purpose):
    token = links.token(purpose, "abc123")
    clock.current += LIFETIMES[purpose]
    assert links.verify(purpose, token) == "abc123"
    clock.current += timedelta(seconds=2)
    with pytest.raises(InvalidLink) as caught:
        links.verify(purpose, token)
    assert caught.value.expired is True


def test_urls_point_at_the_purpose_path_with_the_token(links):
    url = urlsplit(links.url(Purpose.CONFIRM, "abc123"))
    assert (url.scheme, url.netloc, url.path) == ("https", "buurt.example.org", "/confirm")
    [token] = parse_qs(url.query)["token"]
    assert links.verify(Purpose.CONFIRM, token) == "abc123"


@pytest.mark.parametrize("purpose", list(Purpose))
def test_a_token_dated_in_the_future_is_invalid_not_expired(links, clock, purpose):
    clock.current += timedelta(days=1)
    token = links.token(purpose, "abc123")  # signed with a date a day ahead
    clock.current -= timedelta(days=1)
    with pytest.raises(InvalidLink) as caught:
        links.verify(purpose, token)
    assert caught.value.expired is False
