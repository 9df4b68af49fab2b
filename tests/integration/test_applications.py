"""Coordinator applications over HTTP: a repeat changes nothing, and the form mails nobody
more than once a day, quoting nothing typed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from buurtwhatsapp.coordinators.applications import erase_application
from buurtwhatsapp.model import APPLICATION_KEYS, APPLICATIONS, MAIL
from buurtwhatsapp.store import Store
from tests.firestore_documents import documents

pytestmark = pytest.mark.emulator

MOTIVATION = "Ik ken de buurt. Zie https://ev.il/inloggen"


@pytest.fixture
def application(valid_signup):
    fields = ("name", "email", "phone", "street", "house_number", "postcode", "privacy")
    return {
        **{key: valid_signup[key] for key in fields},
        "name": "https://ev.il/inloggen",
        "motivation": MOTIVATION,
    }


def test_ten_identical_applications_store_one_and_mail_once(
    function_client, firestore_client, application, deployment
):
    form = function_client("coordinator")
    answers = {form.post("/coordinator", json=application).status_code for _ in range(10)}

    assert answers == {201}  # a repeat is answered alike: the form reveals nothing
    assert len(documents(firestore_client, APPLICATIONS)) == 1
    mails = list(documents(firestore_client, MAIL).values())
    [ack] = [mail for mail in mails if mail["template"] == "application-ack"]
    assert ack["to"] == "zoe@example.org"
    assert ack["data"] == {}  # the address is not confirmed: no name, no motivation
    alerts = [mail for mail in mails if mail["template"] == "application-alert"]
    assert len(alerts) == len(deployment.regiegroep)


@pytest.mark.parametrize(
    "repeat",
    [{"email": "ander@example.org"}, {"phone": "06-23456789", "email": "ZOE@example.org"}],
    ids=["same phone", "same e-mail"],
)
def test_an_application_with_the_same_phone_or_address_is_a_repeat(
    function_client, firestore_client, application, repeat
):
    form = function_client("coordinator")
    form.post("/coordinator", json=application)
    assert form.post("/coordinator", json={**application, **repeat}).status_code == 201

    assert len(documents(firestore_client, APPLICATIONS)) == 1
    assert all(
        mail["to"] != "ander@example.org" for mail in documents(firestore_client, MAIL).values()
    )


def test_concurrent_applications_store_one(function_client, firestore_client, application):
    form = function_client("coordinator")

    def post(_):
        return form.post("/coordinator", json=application).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(post, range(6))) == {201}
    assert len(documents(firestore_client, APPLICATIONS)) == 1
    templates = sorted(m["template"] for m in documents(firestore_client, MAIL).values())
    assert templates.count("application-ack") == 1


def test_after_erasure_or_expiry_the_same_person_may_apply_again(
    function_client, firestore_client, application
):
    form = function_client("coordinator")
    form.post("/coordinator", json=application)
    [application_id] = documents(firestore_client, APPLICATIONS)
    assert erase_application(application_id, store=Store(firestore_client))
    assert documents(firestore_client, APPLICATION_KEYS) == {}

    form.post("/coordinator", json=application)
    [second] = documents(firestore_client, APPLICATIONS)
    # TTL removed the application but not yet its keys: the keys are stale, not a repeat.
    firestore_client.collection(APPLICATIONS).document(second).delete()
    form.post("/coordinator", json=application)
    assert len(documents(firestore_client, APPLICATIONS)) == 1
    assert second not in documents(firestore_client, APPLICATIONS)
