"""``infra/maintain keys migrate``: a database written with the unsalted keys of the first
versions moves to the peppered keys, after which an erasure request finds everyone again."""

from __future__ import annotations

import io

import pytest

from buurtwhatsapp import bootstrap, cli
from buurtwhatsapp.coordinators.applications import apply
from buurtwhatsapp.coordinators.changes import set_coordinator
from buurtwhatsapp.deployment.structure import Person
from buurtwhatsapp.model import APPLICATION_KEYS, APPLICATIONS, MAIL, SIGNUP_KEYS, SIGNUPS
from buurtwhatsapp.privacy.key_migration import legacy_identity
from buurtwhatsapp.residents.membership import confirm, mark_added
from buurtwhatsapp.residents.signup import sign_up
from tests.firestore_documents import documents

pytestmark = pytest.mark.emulator


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return cli.main(list(argv), out=out), out.getvalue()


def as_first_versions_wrote_it(client) -> None:
    """Every key document under its unsalted id, and no ``keys`` on the holders."""
    for collection, key_collection in ((SIGNUPS, SIGNUP_KEYS), (APPLICATIONS, APPLICATION_KEYS)):
        for holder_id, holder in documents(client, collection).items():
            legacy = legacy_identity(holder["email"], holder["phone"])
            for new, old in zip(holder["keys"], legacy, strict=True):
                key = client.collection(key_collection).document(new)
                client.collection(key_collection).document(old).set(key.get().to_dict())
                key.delete()
            client.collection(collection).document(holder_id).update({"keys": []})
            for mail_id, mail in documents(client, MAIL).items():
                if set(holder["keys"]) & set(mail.get("subject_keys") or ()):
                    moved = [
                        dict(zip(holder["keys"], legacy, strict=True)).get(k, k)
                        for k in mail["subject_keys"]
                    ]
                    client.collection(MAIL).document(mail_id).update({"subject_keys": moved})


@pytest.fixture
def legacy_database(app_environment, firestore_client, valid_signup):
    runtime = bootstrap.runtime()
    services = {"deployment": runtime.deployment, "store": runtime.store, "clock": runtime.clock}
    sign_up(valid_signup, **services, keys=runtime.keys)
    [signup_id] = documents(firestore_client, SIGNUPS)
    confirm(signup_id, **services)
    mark_added(signup_id, **services)
    # A handover lists the member by their keys.
    new = Person("Fenna Nieuw", "fenna@example.org", "+31687654321")
    group = documents(firestore_client, SIGNUPS)[signup_id]["group"]
    set_coordinator(group, new, **services, keys=runtime.keys)
    application = {
        "name": "Anna", "email": "anna@example.org", "phone": "06-34567890",
        "street": valid_signup["street"], "house_number": "3", "postcode": valid_signup["postcode"],
        "motivation": "Graag.", "privacy": "on",
    }  # fmt: skip
    apply(application, **services, keys=runtime.keys)
    peppered = {
        name: set(documents(firestore_client, name)) for name in (SIGNUP_KEYS, APPLICATION_KEYS)
    }
    as_first_versions_wrote_it(firestore_client)
    return peppered


def test_the_unsalted_keys_move_to_the_peppered_ones_and_a_second_run_changes_nothing(
    legacy_database, firestore_client
):
    before = {name: documents(firestore_client, name) for name in (SIGNUPS, SIGNUP_KEYS, MAIL)}
    code, output = run("keys", "migrate", "--dry-run")
    assert code == 0 and "would move to the current keys: 1 sign-up(s), 1 application(s)" in output
    assert {name: documents(firestore_client, name) for name in before} == before

    code, output = run("keys", "migrate")

    assert code == 0, output
    assert "moved to the current keys: 1 sign-up(s), 1 application(s), 1 mail(s)" in output
    for name, keys in legacy_database.items():
        assert set(documents(firestore_client, name)) == keys  # the old ids are gone
    [member] = documents(firestore_client, SIGNUPS).values()
    [handover] = [
        m
        for m in documents(firestore_client, MAIL).values()
        if "handover" in str(m.get("template"))
    ]
    assert set(member["keys"]) <= set(handover["subject_keys"])
    code, output = run("keys", "migrate")
    assert "0 sign-up(s), 0 application(s), 0 mail(s) about people; 2 already on them" in output
    # An erasure request finds them all again, by the keys the functions make.
    code, output = run("erase", "--email", "zoe@example.org")
    assert code == 0 and "sign-ups: 1" in output
    code, output = run("erase", "--phone", "06-34567890")
    assert code == 0 and "coordinator applications: 1" in output
