"""The maintainer's command line against a real emulator: see and requeue failed mail."""

from __future__ import annotations

import io

import pytest

from buurtwhatsapp import cli
from buurtwhatsapp.model import MAIL, mail_document

pytestmark = pytest.mark.emulator


@pytest.fixture
def failed_mail(firestore_client, clock):
    document = mail_document(
        template="werkwijze",
        to="zoe@example.org",
        data={"name": "Zoë"},
        signup_id="s1",
        now=clock.now(),
    )
    document.update(status="failed", attempts=8, error="SMTP 550 at recipient")
    firestore_client.collection(MAIL).document("m1").create(document)
    return "m1"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.main(list(argv), out=out)
    return code, out.getvalue()


def test_failed_mail_is_listed_with_its_reason_and_no_personal_data(failed_mail):
    code, output = run("mail", "failed")
    assert code == 0
    assert "m1" in output and "SMTP 550 at recipient" in output
    assert "1 failed mail(s)" in output
    assert "zoe@example.org" not in output and "Zoë" not in output


def test_show_gives_the_delivery_state_only(failed_mail):
    code, output = run("mail", "show", "m1")
    assert code == 0
    assert "status: failed" in output and "attempts: 8" in output
    assert "zoe@example.org" not in output


def test_requeue_puts_a_failed_mail_back_with_fresh_attempts(failed_mail, firestore_client):
    assert run("mail", "requeue", "m1")[0] == 0
    mail = firestore_client.collection(MAIL).document("m1").get().to_dict()
    assert mail["status"] == "queued"
    assert mail["max_attempts"] == 16

    code, output = run("mail", "requeue", "m1")
    assert code == 1
    assert "not found or not failed" in output
