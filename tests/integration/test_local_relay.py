"""``make dev``'s stack: every function served over HTTP, and the relay that turns each new
``mail`` document into the CloudEvent Eventarc would send. Runs on each emulator."""

from __future__ import annotations

import time
from email import policy
from email.parser import BytesParser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from buurtwhatsapp import bootstrap
from buurtwhatsapp.common.signed_links import InvalidLink, Links, Purpose
from buurtwhatsapp.model import MAIL, SIGNUPS
from devstack.serve import serving

pytestmark = pytest.mark.emulator

SIGNING_KEY = "e2e-signing-key-" + "x" * 32


@pytest.fixture
def stack(firestore_client, monkeypatch, tmp_path):
    monkeypatch.setenv("MAIL_TRANSPORT", "file")
    monkeypatch.setenv("MAIL_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://localhost:8080")
    monkeypatch.setenv("SIGNING_KEY", SIGNING_KEY)
    monkeypatch.delenv("DEPLOYMENT_FILE", raising=False)
    bootstrap.reset()
    with serving("127.0.0.1", 0) as base_url:
        yield base_url, tmp_path / "outbox"
    bootstrap.reset()


def wait_for_files(directory, count: int, timeout: float) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = sorted(directory.glob("*.eml")) if directory.exists() else []
        if len(files) >= count:
            return files
        time.sleep(0.02)
    return sorted(directory.glob("*.eml")) if directory.exists() else []


def token_of(url: str) -> str:
    [token] = parse_qs(urlsplit(url).query)["token"]
    return token


def test_a_signup_leaves_a_readable_eml_within_two_seconds(stack, firestore_client, valid_signup):
    base_url, outbox = stack
    started = time.monotonic()
    response = requests.post(
        f"{base_url}/signup", data={**valid_signup, "name": "Zoë <script>x</script>"}, timeout=10
    )
    assert response.status_code == 200  # requests followed the 303 to the thank-you page
    [eml] = wait_for_files(outbox, 1, timeout=2.0)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0

    message = BytesParser(policy=policy.default).parse(eml.open("rb"))
    assert message["To"] == "zoe@example.org"
    assert message["Subject"].startswith("Welkom")
    assert message["Reply-To"]
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    # To an address nobody has confirmed: nothing typed into the form is quoted.
    assert "script" not in text and "script" not in html

    [signup_id] = [doc.id for doc in firestore_client.collection(SIGNUPS).stream()]
    links = Links(SIGNING_KEY, "http://localhost:8080")
    confirm_url = next(line for line in text.split() if "/confirm?token=" in line)
    leave_url = message["List-Unsubscribe"].strip("<>")
    assert links.verify(Purpose.CONFIRM, token_of(confirm_url)) == signup_id
    assert links.verify(Purpose.LEAVE, token_of(leave_url)) == signup_id
    assert leave_url in text
    for purpose in (Purpose.LEAVE, Purpose.ADDED):
        with pytest.raises(InvalidLink):
            links.verify(purpose, token_of(confirm_url))
    with pytest.raises(InvalidLink):
        links.verify(Purpose.CONFIRM, token_of(leave_url))

    [mail] = [doc.to_dict() for doc in firestore_client.collection(MAIL).stream()]
    assert mail["status"] == "sent"
