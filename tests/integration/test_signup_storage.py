"""The sign-up service against a real Firestore emulator (each available one)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from buurtwhatsapp.model import MAIL, SIGNUP_KEYS, SIGNUPS
from buurtwhatsapp.residents.signup import sign_up
from buurtwhatsapp.store import Store
from tests.conftest import KEYS
from tests.firestore_documents import documents

pytestmark = pytest.mark.emulator


@pytest.fixture
def submit(firestore_client, deployment, clock):
    store = Store(firestore_client)

    def submit(raw):
        sign_up(raw, deployment=deployment, store=store, clock=clock, keys=KEYS)

    return submit


def mails(client):
    """The outbox's mails (not the revision markers that fence a step without one)."""
    return {i: m for i, m in documents(client, MAIL).items() if m.get("status") != "revision"}


def test_a_signup_is_stored_pending_with_its_werkwijze_mail(
    submit, firestore_client, valid_signup, deployment, clock
):
    submit(valid_signup)

    [(signup_id, signup)] = documents(firestore_client, SIGNUPS).items()
    assert signup["status"] == "pending"
    assert signup["name"] == "Zoë van 't Veld"
    assert signup["phone"] == "+31612345678"
    assert signup["postcode"] == "2158AB"
    assert signup["house_number"] == "12a"
    assert signup["accepted"]["rules"] == deployment.initiative.rules_version
    assert signup["accepted"]["privacy"] == deployment.initiative.privacy_version
    assert signup["created_at"] == clock.current
    [mail] = mails(firestore_client).values()
    assert mail["status"] == "queued"
    assert mail["template"] == "werkwijze"
    assert mail["to"] == "zoe@example.org"
    assert mail["signup_id"] == signup_id
    keys = documents(firestore_client, SIGNUP_KEYS)
    assert len(keys) == 2
    assert {key["signup_id"] for key in keys.values()} == {signup_id}
    assert not any("zoe" in key or "612345678" in key for key in keys), "keys must be hashed"


@pytest.mark.parametrize(
    "repeat",
    [
        {"email": "ander@example.org"},  # same phone
        {"phone": "+31 6 2345 6789"},  # same e-mail
        {"email": "ZOE@example.org", "phone": "0031612345678"},  # both, spelt differently
    ],
)
def test_a_repeated_signup_creates_nothing_within_the_hour(
    repeat, submit, firestore_client, valid_signup, clock
):
    submit(valid_signup)
    clock.current += timedelta(minutes=59)
    submit({**valid_signup, **repeat})

    assert len(documents(firestore_client, SIGNUPS)) == 1
    assert len(mails(firestore_client)) == 1


def test_a_repeated_signup_resends_the_confirmation_at_most_once_a_day(
    submit, firestore_client, valid_signup, clock
):
    submit(valid_signup)  # 09:00, the werkwijze
    clock.current += timedelta(hours=2)
    submit({**valid_signup, "email": "ander@example.org"})
    submit(valid_signup)
    assert len(mails(firestore_client)) == 1  # the address was mailed today

    clock.current += timedelta(days=1)
    submit(valid_signup)
    queued = mails(firestore_client)
    assert len(queued) == 2
    # The re-sent confirmation goes to the address on file, never to a newly typed one.
    assert {mail["to"] for mail in queued.values()} == {"zoe@example.org"}
    [signup] = documents(firestore_client, SIGNUPS).values()
    assert signup["confirmation_mails"] == 2

    clock.current += timedelta(hours=12)  # 23:00, still the same day
    submit(valid_signup)
    assert len(mails(firestore_client)) == 2
    clock.current += timedelta(minutes=70)  # 00:10: a new day
    submit(valid_signup)
    assert len(mails(firestore_client)) == 3

    clock.current += timedelta(days=1, hours=23, minutes=40)  # 23:50 the day after
    submit(valid_signup)
    assert len(mails(firestore_client)) == 4
    clock.current += timedelta(minutes=20)  # 00:10: a new day, but within the hour
    submit(valid_signup)
    assert len(mails(firestore_client)) == 4
    clock.current += timedelta(minutes=45)
    submit(valid_signup)
    assert len(mails(firestore_client)) == 5


def test_a_form_mails_an_address_at_most_once_a_day_whatever_is_posted(
    submit, firestore_client, valid_signup, deployment, clock
):
    from buurtwhatsapp.coordinators.applications import apply

    application = {
        **{key: valid_signup[key] for key in ("street", "house_number", "postcode", "privacy")},
        "name": "Sem",
        "email": "zoe@example.org",  # the same address as the sign-up below
        "phone": "06-23456789",
        "motivation": "https://ev.il/",
    }
    store = Store(firestore_client)
    for _ in range(10):
        apply(application, deployment=deployment, store=store, clock=clock, keys=KEYS)
    submit(valid_signup)
    for _ in range(10):
        submit(valid_signup)

    to_zoe = [m for m in mails(firestore_client).values() if m["to"] == "zoe@example.org"]
    assert sorted(mail["template"] for mail in to_zoe) == ["application-ack", "werkwijze"]
    [werkwijze] = [mail for mail in to_zoe if mail["template"] == "werkwijze"]
    # Put off to the next day rather than lost: the resident needs its confirm link.
    tomorrow = (clock.current + timedelta(days=1)).replace(hour=0, minute=0)
    assert werkwijze["not_before"] == tomorrow
    assert len(documents(firestore_client, "applications")) == 1
    alerts = [m for m in mails(firestore_client).values() if m["to"] != "zoe@example.org"]
    assert len(alerts) == len(deployment.regiegroep)


def test_a_confirmed_member_signing_up_again_gets_no_new_mail(
    submit, firestore_client, valid_signup, clock
):
    submit(valid_signup)
    [signup_id] = documents(firestore_client, SIGNUPS)
    firestore_client.collection(SIGNUPS).document(signup_id).update({"status": "confirmed"})
    clock.current += timedelta(days=2)
    submit(valid_signup)
    assert len(mails(firestore_client)) == 1


def test_concurrent_identical_signups_store_one(submit, firestore_client, valid_signup):
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: submit(valid_signup), range(8)))

    assert len(documents(firestore_client, SIGNUPS)) == 1
    assert len(mails(firestore_client)) == 1
    assert len(documents(firestore_client, SIGNUP_KEYS)) == 2


def test_concurrent_repeats_resend_once(submit, firestore_client, valid_signup, clock):
    submit(valid_signup)
    clock.current += timedelta(days=1)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: submit(valid_signup), range(8)))

    assert len(mails(firestore_client)) == 2


def test_the_honeypot_stores_and_sends_nothing(submit, firestore_client, valid_signup):
    submit({**valid_signup, "website": "https://spam.example"})
    assert documents(firestore_client, SIGNUPS) == {}
    assert documents(firestore_client, MAIL) == {}  # not even a revision marker


def test_invalid_input_stores_nothing(submit, firestore_client, valid_signup):
    from buurtwhatsapp.forms.validation import InvalidInput

    with pytest.raises(InvalidInput):
        submit({**valid_signup, "rules": ""})
    assert documents(firestore_client, SIGNUPS) == {}
    assert documents(firestore_client, MAIL) == {}  # not even a revision marker


def test_a_stale_identity_key_does_not_block_a_signup(submit, firestore_client, valid_signup):
    email_key, _ = KEYS.identity("zoe@example.org", "+31612345678")
    firestore_client.collection(SIGNUP_KEYS).document(email_key).set({"signup_id": "gone"})

    submit(valid_signup)

    [signup_id] = documents(firestore_client, SIGNUPS)
    assert documents(firestore_client, SIGNUP_KEYS)[email_key]["signup_id"] == signup_id
    assert len(mails(firestore_client)) == 1
