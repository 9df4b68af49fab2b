"""The whole journey as a newcomer walks it with ``make dev``: every step over real HTTP, every
link taken from the mail the relay delivered to the outbox folder. Runs on each emulator."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
import requests

from buurtwhatsapp import bootstrap
from devstack.serve import serving
from tests.mail_watch import MailWatch

pytestmark = pytest.mark.emulator


def link_in(message: EmailMessage, path: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"https?://\S+/{path}\?token=\S+", text).group(0)


@pytest.fixture
def stack(firestore_client, monkeypatch, tmp_path):
    monkeypatch.setenv("MAIL_TRANSPORT", "file")
    monkeypatch.setenv("MAIL_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("DEPLOYMENT_FILE", raising=False)
    bootstrap.reset()
    with serving("127.0.0.1", 0) as base_url:
        monkeypatch.setenv("PUBLIC_BASE_URL", base_url)
        bootstrap.reset()
        yield base_url, MailWatch(tmp_path / "outbox")
    bootstrap.reset()


def test_a_newcomer_walks_the_whole_journey_with_the_links_from_the_outbox(
    stack, valid_signup, deployment
):
    base_url, outbox = stack
    resident = {**valid_signup, "street": "Kagerdreef", "house_number": "7"}
    assert requests.post(f"{base_url}/signup", data=resident, timeout=10).ok

    werkwijze = outbox.next_mail("Welkom!")
    confirm_url = link_in(werkwijze, "confirm")
    assert "Aanmelding bevestigen" in requests.get(confirm_url, timeout=10).text
    assert requests.post(confirm_url, timeout=10).status_code == 200

    alert = outbox.next_mail("Nieuwe deelnemer")
    assert alert["To"] == deployment.group("dorp").coordinator.email
    [card] = [part for part in alert.iter_attachments() if part.get_content_type() == "text/vcard"]
    assert "TEL;TYPE=CELL:+31612345678" in card.get_content()
    assert "https://wa.me/31612345678" in alert.get_body(("plain",)).get_content()
    added_url = link_in(alert, "added")
    assert requests.get(added_url, timeout=10).status_code == 200
    assert requests.post(added_url, timeout=10).status_code == 200

    welcome = outbox.next_mail("U bent toegevoegd")
    assert welcome["To"] == "zoe@example.org"
    leave_url = link_in(welcome, "leave")
    assert requests.post(leave_url, timeout=10).status_code == 200
    assert outbox.next_mail("U bent afgemeld")["To"] == "zoe@example.org"
    assert outbox.next_mail("heeft zich afgemeld")["To"] == alert["To"]
    assert requests.post(leave_url, timeout=10).status_code == 410

    # A neighbour applies as coordinator (the form mails each address at most once a day).
    application = {
        **{key: resident[key] for key in ("street", "house_number", "postcode", "privacy")},
        "name": "Sem de Boer",
        "email": "sem@example.org",
        "phone": "06-23456789",
    }
    response = requests.post(
        f"{base_url}/coordinator", data={**application, "motivation": "Ik help graag."}, timeout=10
    )
    assert response.ok and "coordinator?received=1" in response.url
    assert outbox.next_mail("Bedankt voor uw aanmelding als coördinator")["To"] == "sem@example.org"
    assert outbox.next_mail("Nieuwe aanmelding als coördinator", to=deployment.regiegroep[0].email)
