"""An erasure request reaches every collection that can hold the person (AVG art. 17).

One person is seeded everywhere the product can put them: a sign-up (their second, with the
notices of their first still unsent), two coordinator applications (one under another address,
found through their phone number), a digest and alerts that name them, a handover that lists
them, the coordinator's role of a group and a seat in the regiegroep with mail to them in both,
and the sent form mail named for their mailbox. After ``infra/maintain erase`` and the delivery
of what it queues, no document in any collection names them: not their name, address or
number, and not the keys made from them.
"""

from __future__ import annotations

import io

import pytest
from google.api_core.exceptions import Unknown

from buurtwhatsapp import bootstrap, cli
from buurtwhatsapp.coordinators.applications import ALERTS_PER_HOUR, apply, send_application_digest
from buurtwhatsapp.coordinators.changes import set_coordinator, set_regiegroep
from buurtwhatsapp.deployment.layout import household_key
from buurtwhatsapp.deployment.structure import Person
from buurtwhatsapp.mail.delivery import deliver
from buurtwhatsapp.model import (
    APPLICATION_KEYS,
    APPLICATIONS,
    DIGESTS,
    ERASURES,
    GROUP_INVITES,
    GROUP_SEATS,
    HOUSEHOLDS,
    MAIL,
    MAIL_CLAIMS,
    MAIL_SLOTS,
    PEOPLE,
    REMOVALS,
    SIGNUP_KEYS,
    SIGNUPS,
    TALLIES,
)
from buurtwhatsapp.residents.membership import confirm, leave, mark_added
from buurtwhatsapp.residents.signup import sign_up
from devstack.examples import VALID_SIGNUP
from tests.firestore_documents import documents

pytestmark = pytest.mark.emulator

NAME, EMAIL, WORK_EMAIL = "Pim Persoon", "Pim.Persoon@example.org", "pim.werk@example.net"
PHONE, PHONE_TYPED, PHONE_SHOWN = "+31611112222", "06-11112222", "06 11112222"
PIM = Person(NAME, "Pim.Persoon@example.org", PHONE)
JAN = Person("Jan Regie", "jan.regie@example.org", "+31612340101")
FENNA = Person("Fenna Nieuw", "fenna@example.org", "+31687654321")


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return cli.main(list(argv), out=out), out.getvalue()


COLLECTIONS = (
    SIGNUPS, SIGNUP_KEYS, MAIL, MAIL_CLAIMS, MAIL_SLOTS, GROUP_SEATS, ERASURES, APPLICATIONS,
    APPLICATION_KEYS, DIGESTS, PEOPLE, REMOVALS, GROUP_INVITES, TALLIES, HOUSEHOLDS,
)  # fmt: skip


def collection_names(client) -> tuple[str, ...]:
    """Every collection the product writes. Google's emulator lists what is there, and the
    list must hold no other; the npm emulator cannot list collections."""
    try:
        there = {collection.id for collection in client.collections()}
    except Unknown:
        return COLLECTIONS
    assert there <= set(COLLECTIONS), f"collections this test does not know: {there}"
    return COLLECTIONS


def everything(client) -> dict[str, dict]:
    """Every document of every collection, by ``collection/id``."""
    return {
        f"{name}/{snapshot.id}": snapshot.to_dict()
        for name in collection_names(client)
        for snapshot in client.collection(name).stream()
    }


def naming_them(client, keys) -> list[str]:
    """The documents whose id or contents hold the person's data or a key made from it."""
    traces = [
        NAME, EMAIL.lower(), WORK_EMAIL, PHONE, PHONE_SHOWN, PHONE_TYPED,
        keys.email(EMAIL), keys.email(WORK_EMAIL), keys.phone(PHONE),
        keys.mailbox(EMAIL), keys.mailbox(WORK_EMAIL),
        # Their address as the overview's household counter names it.
        household_key(str(VALID_SIGNUP["postcode"]), str(VALID_SIGNUP["house_number"])),
    ]  # fmt: skip
    return [
        place
        for place, document in everything(client).items()
        if any(trace in f"{place} {document!r}".lower() for trace in map(str.lower, traces))
    ]


def deliver_due(client, runtime) -> None:
    for mail_id, mail in documents(client, MAIL).items():
        if mail.get("status") == "queued" and mail.get("template"):
            deliver(mail_id, runtime.mailer)


def signup_of(email: str, phone: str, valid_signup, **fields) -> dict:
    return {**valid_signup, "name": NAME, "email": email, "phone": phone, **fields}


@pytest.fixture
def seeded(app_environment, firestore_client, valid_signup, deployment):
    runtime = bootstrap.runtime()
    services = {"deployment": runtime.deployment, "store": runtime.store, "clock": runtime.clock}
    keyed = {**services, "keys": runtime.keys}

    def signed_up(raw) -> str:
        before = set(documents(firestore_client, SIGNUPS))
        sign_up(raw, **keyed)
        [signup_id] = set(documents(firestore_client, SIGNUPS)) - before
        return signup_id

    # Their first sign-up, left again: its notices are still unsent.
    first = signed_up(signup_of(EMAIL, PHONE_TYPED, valid_signup))
    confirm(first, **services)
    mark_added(first, **services)
    deliver_due(firestore_client, runtime)  # their werkwijze went: a sent form mail remains
    leave(first, **services)
    # They sign up again, with an address in other capitals; they are added to "dorp".
    again = signed_up(
        signup_of(EMAIL.upper().replace("EXAMPLE.ORG", "example.org"), PHONE_TYPED, valid_signup)
    )
    confirm(again, **services)
    mark_added(again, **services)
    # They sit in the regiegroep and take over the buitengebied group.
    set_regiegroep((JAN, PIM), **services)
    set_coordinator("buitengebied", PIM, **keyed)
    # A resident of the buitengebied confirms: the alert goes to them.
    neighbour = signed_up(
        {**valid_signup, "email": "buur@example.org", "phone": "06-33334444", "house_number": "900"}
    )
    confirm(neighbour, **services, people=runtime.store.read_people())
    # The dorp group gets a new coordinator: the handover lists them.
    set_coordinator("dorp", FENNA, **keyed)
    # They apply as coordinator, twice: under their address, and under their work address
    # with their number. More applications than the hour's alerts: one waits for the digest.
    application = {
        "name": NAME, "street": valid_signup["street"], "house_number": "12a",
        "postcode": valid_signup["postcode"], "motivation": "Ik help graag.", "privacy": "on",
    }  # fmt: skip
    people = runtime.store.read_people()
    for number in range(ALERTS_PER_HOUR - 1):
        other = {**application, "name": f"Ander {number}", "email": f"ander{number}@example.org"}
        apply({**other, "phone": f"06-2222000{number}"}, **keyed, people=people)
    apply({**application, "email": EMAIL, "phone": "06-27778888"}, **keyed, people=people)
    apply({**application, "email": WORK_EMAIL, "phone": PHONE_TYPED}, **keyed, people=people)
    assert send_application_digest(people=people, store=runtime.store, clock=runtime.clock) == 2
    return runtime


def test_an_erasure_request_leaves_nothing_that_names_the_person(seeded, firestore_client):
    keys = seeded.keys
    before = naming_them(firestore_client, keys)
    kinds = {place.split("/")[0] for place in before}
    assert {SIGNUPS, APPLICATIONS, MAIL, "signup_keys", "application_keys", "people"} <= kinds

    code, output = run("erase", "--email", "pim.persoon@EXAMPLE.org")
    assert code == 1
    assert "nothing erased" in output and "coordinator of buitengebied, regiegroep" in output
    assert naming_them(firestore_client, keys) == before

    code, output = run("erase", "--email", "pim.persoon@EXAMPLE.org", "--remove-from-people")
    assert code == 0, output
    assert "sign-ups: 1 (the resident and their coordinator are told)" in output
    assert "coordinator applications: 2" in output
    assert "removed as coordinator of buitengebied" in output
    assert "removed as regiegroep" in output
    for kind in ("unsent mail about them", "unsent mail to them", "sent form mail"):
        [line] = [line for line in output.splitlines() if kind in line]
        assert int(line.rsplit(" ", 1)[-1]) > 0, line

    # Only the notices of this erasure still name them (the goodbye, the request to remove
    # the number): they expire within days, and delivering them scrubs them.
    left = naming_them(firestore_client, keys)
    notices = documents(firestore_client, MAIL)
    assert {notices[p.split("/")[1]]["template"] for p in left} <= {"left", "coordinator-remove"}
    deliver_due(firestore_client, seeded)
    # Only the number still to take out of the group remains, on the coordinator's page until
    # "verwijderd" (and Firestore's TTL ends it in 30 days in any case).
    assert all(place.startswith(f"{REMOVALS}/") for place in naming_them(firestore_client, keys))
    # Their roles are gone: the buitengebied has no coordinator, the regiegroep is Jan alone.
    people = seeded.store.read_people()
    assert people.coordinator_of("buitengebied") is None and people.regiegroep == (JAN,)


def test_a_person_found_by_phone_is_erased_by_their_address_too(seeded, firestore_client):
    code, output = run("erase", "--phone", "+31 6 1111 2222", "--remove-from-people")
    assert code == 0, output
    deliver_due(firestore_client, seeded)
    left = naming_them(firestore_client, seeded.keys)
    assert all(place.startswith(f"{REMOVALS}/") for place in left)


def test_an_unknown_person_is_reported_and_nothing_changes(app_environment, firestore_client):
    before = everything(firestore_client)
    code, output = run("erase", "--email", "nobody@example.org")
    assert (code, output.strip()) == (1, "nobody with that address or number: nothing to erase")
    assert everything(firestore_client) == before
