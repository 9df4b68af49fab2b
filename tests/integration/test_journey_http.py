"""The resident's journey through the real functions: sign up, confirm, added, leave; and the
coordinator application. Signed links as residents and coordinators receive them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from buurtwhatsapp import bootstrap
from buurtwhatsapp.common.logs import CloudLoggingFormatter
from buurtwhatsapp.common.signed_links import Links, Purpose
from buurtwhatsapp.mail.delivery import sweep
from buurtwhatsapp.model import (
    APPLICATIONS,
    ERASURES,
    GROUP_SEATS,
    MAIL,
    MAIL_CLAIMS,
    SIGNUP_KEYS,
    SIGNUPS,
)
from tests.firestore_documents import documents
from tests.integration.conftest import PUBLIC_BASE_URL, link

pytestmark = pytest.mark.emulator

ALL_COLLECTIONS = (SIGNUPS, SIGNUP_KEYS, GROUP_SEATS, MAIL, MAIL_CLAIMS, ERASURES, APPLICATIONS)


def mails(client, template=None):
    found = documents(client, MAIL).values()
    return [mail for mail in found if template is None or mail["template"] == template]


@pytest.fixture
def signed_up(function_client, firestore_client, valid_signup):
    """A resident of the village (Kagerdreef, area "dorp") who has just signed up."""
    response = function_client("signup").post(
        "/signup", data={**valid_signup, "street": "Kagerdreef", "house_number": "7"}
    )
    assert response.status_code == 303
    [signup_id] = documents(firestore_client, SIGNUPS)
    return signup_id


def status_of(client, signup_id):
    return client.collection(SIGNUPS).document(signup_id).get().get("status")


def test_get_on_any_link_changes_nothing(function_client, firestore_client, signed_up):
    for target, purpose in (("confirm", Purpose.CONFIRM), ("leave", Purpose.LEAVE)):
        response = function_client(target).get(link(purpose, signed_up))
        assert response.status_code == 200
        assert '<form method="post" accept-charset="utf-8">' in response.get_data(as_text=True)
    assert status_of(firestore_client, signed_up) == "pending"
    assert len(mails(firestore_client)) == 1


def test_confirm_places_the_resident_and_alerts_the_coordinator_once(
    function_client, firestore_client, signed_up, deployment
):
    confirm = function_client("confirm")
    response = confirm.post(link(Purpose.CONFIRM, signed_up))
    assert response.status_code == 200
    assert "Buurt WhatsApp Buitenkaag Dorp" in response.get_data(as_text=True)

    signup = firestore_client.collection(SIGNUPS).document(signed_up).get().to_dict()
    assert (signup["status"], signup["group"]) == ("confirmed", "dorp")
    assert documents(firestore_client, GROUP_SEATS)[signup["seat"]]["signup_id"] == signed_up
    [alert] = mails(firestore_client, "coordinator-alert")
    assert alert["to"] == deployment.group("dorp").coordinator.email
    assert alert["data"]["member"]["phone"] == "+31612345678"
    assert alert["data"]["wa_me_url"] == "https://wa.me/31612345678"
    assert alert["data"]["member_count"] == 1

    again = confirm.post(link(Purpose.CONFIRM, signed_up))
    assert again.status_code == 200
    assert len(mails(firestore_client, "coordinator-alert")) == 1
    assert len(documents(firestore_client, GROUP_SEATS)) == 1


@pytest.mark.parametrize(
    ("target", "token_purpose"),
    [("confirm", Purpose.LEAVE), ("added", Purpose.CONFIRM), ("leave", Purpose.ADDED)],
)
def test_a_link_of_another_purpose_is_refused(
    function_client, firestore_client, signed_up, target, token_purpose
):
    response = function_client(target).post(
        link(token_purpose, signed_up).replace(f"/{token_purpose.value}", f"/{target}")
    )
    assert response.status_code == 400
    assert "Dat lukte" in response.get_data(as_text=True) or "link" in response.get_data(
        as_text=True
    )
    assert status_of(firestore_client, signed_up) == "pending"


def test_a_forged_link_is_refused(function_client, firestore_client, signed_up):
    forged = Links("another-key-" + "x" * 32, PUBLIC_BASE_URL).url(Purpose.CONFIRM, signed_up)
    response = function_client("confirm").post(forged.removeprefix(PUBLIC_BASE_URL))
    assert response.status_code == 400
    assert status_of(firestore_client, signed_up) == "pending"
    assert function_client("confirm").post("/confirm?token=").status_code == 400


def test_an_expired_link_is_refused_with_410(function_client, firestore_client, signed_up):
    long_ago = datetime.now(UTC) - timedelta(days=31)
    response = function_client("confirm").post(link(Purpose.CONFIRM, signed_up, made=long_ago))
    assert response.status_code == 410
    assert status_of(firestore_client, signed_up) == "pending"


def test_added_before_confirm_is_refused(function_client, firestore_client, signed_up):
    response = function_client("added").post(link(Purpose.ADDED, signed_up))
    assert response.status_code == 409
    assert "nog niet bevestigd" in response.get_data(as_text=True)
    assert status_of(firestore_client, signed_up) == "pending"


def test_added_marks_the_member_active_and_tells_them_once(
    function_client, firestore_client, signed_up
):
    function_client("confirm").post(link(Purpose.CONFIRM, signed_up))
    added = function_client("added")
    page = added.get(link(Purpose.ADDED, signed_up))
    assert page.status_code == 200
    assert status_of(firestore_client, signed_up) == "confirmed"

    assert added.post(link(Purpose.ADDED, signed_up)).status_code == 200
    assert status_of(firestore_client, signed_up) == "active"
    [told] = mails(firestore_client, "added")
    assert told["to"] == "zoe@example.org"
    assert added.post(link(Purpose.ADDED, signed_up)).status_code == 200
    assert len(mails(firestore_client, "added")) == 1


def test_leave_erases_every_personal_field_everywhere(
    function_client, firestore_client, signed_up, valid_signup
):
    function_client("confirm").post(link(Purpose.CONFIRM, signed_up))
    function_client("added").post(link(Purpose.ADDED, signed_up))
    # Deliver what is queued so far, as in real life before someone leaves.
    assert sweep(bootstrap.runtime().mailer)["sent"] == 3

    response = function_client("leave").post(link(Purpose.LEAVE, signed_up))
    assert response.status_code == 200
    assert documents(firestore_client, SIGNUPS) == {}
    assert documents(firestore_client, SIGNUP_KEYS) == {}
    assert documents(firestore_client, GROUP_SEATS) == {}
    assert documents(firestore_client, ERASURES)[signed_up]["reason"] == "left"
    # Sent mail stays until its TTL, holding nothing personal; only the notices are new.
    notices = {m["template"]: m for m in mails(firestore_client) if m["status"] == "queued"}
    assert set(notices) == {"left", "coordinator-remove"}
    sent = [m for m in mails(firestore_client) if m["status"] == "sent"]
    assert sorted(m["template"] for m in sent) == ["added", "coordinator-alert", "werkwijze"]
    assert all(m["to"] is None and m["data"] is None for m in sent)
    assert notices["coordinator-remove"]["data"]["was_added"] is True

    # Once the notices are delivered, nothing anywhere names the resident.
    assert sweep(bootstrap.runtime().mailer)["sent"] == 2
    personal = ("Zoë", "zoe@example.org", "612345678", "Kagerdreef")
    for collection in ALL_COLLECTIONS:
        for document in documents(firestore_client, collection).values():
            assert not any(value in repr(document) for value in personal), (collection, document)

    # The link is used up now: every page says so, with 410.
    for target, purpose in (("leave", Purpose.LEAVE), ("confirm", Purpose.CONFIRM)):
        assert function_client(target).post(link(purpose, signed_up)).status_code == 410
        assert function_client(target).get(link(purpose, signed_up)).status_code == 410


def test_leaving_before_confirming_tells_no_coordinator(
    function_client, firestore_client, signed_up
):
    assert function_client("leave").post(link(Purpose.LEAVE, signed_up)).status_code == 200
    assert [mail["template"] for mail in mails(firestore_client)] == ["left"]


def test_a_coordinator_application_is_stored_acknowledged_and_sent_to_the_regiegroep(
    function_client, firestore_client, valid_signup, deployment
):
    form = function_client("coordinator")
    assert form.get("/coordinator").status_code == 200
    application = {
        key: valid_signup[key]
        for key in ("name", "email", "phone", "street", "house_number", "postcode", "privacy")
    }
    response = form.post("/coordinator", data={**application, "motivation": "Ik ken de buurt."})
    assert response.status_code == 303

    [stored] = documents(firestore_client, APPLICATIONS).values()
    assert (stored["name"], stored["phone"]) == ("Zoë van 't Veld", "+31612345678")
    assert [mail["to"] for mail in mails(firestore_client, "application-ack")] == [
        "zoe@example.org"
    ]
    alerts = mails(firestore_client, "application-alert")
    assert sorted(mail["to"] for mail in alerts) == sorted(p.email for p in deployment.regiegroep)


def test_an_invalid_application_gets_every_problem(function_client, firestore_client):
    response = function_client("coordinator").post("/coordinator", json={"name": "Jan"})
    assert response.status_code == 422
    assert {"email", "phone", "motivation", "privacy", "postcode"} <= set(response.json["errors"])
    assert documents(firestore_client, APPLICATIONS) == {}


def test_no_log_line_of_the_whole_journey_names_the_resident(
    function_client, firestore_client, valid_signup, caplog
):
    caplog.set_level(logging.DEBUG)
    function_client("signup").post("/signup", data=valid_signup)
    [signup_id] = documents(firestore_client, SIGNUPS)
    function_client("confirm").post(link(Purpose.CONFIRM, signup_id))
    function_client("added").post(link(Purpose.ADDED, signup_id))
    sweep(bootstrap.runtime().mailer)
    function_client("leave").post(link(Purpose.LEAVE, signup_id))
    sweep(bootstrap.runtime().mailer)

    formatter = CloudLoggingFormatter()
    lines = [formatter.format(entry) for entry in caplog.records]
    assert any(signup_id in line for line in lines), "the journey is traceable by id"
    for line in lines:
        for personal in ("Zoë", "zoe@example.org", "612345678", "Lisserweg", "2158"):
            assert personal not in line, line
