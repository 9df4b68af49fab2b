"""The fences on mail to unconfirmed addresses, against the emulators: one mail a day per
mailbox (sub-addressing folded), a few an hour per domain, and the regiegroep's alerts about
applications capped to one digest an hour. None of them loses a sign-up or an application."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from buurtwhatsapp.coordinators.applications import ALERTS_PER_HOUR, apply, send_application_digest
from buurtwhatsapp.deployment.people import People
from buurtwhatsapp.deployment.structure import Person
from buurtwhatsapp.forms.mail_quota import DOMAIN_MAILS_PER_HOUR, LOOK_AHEAD_DAYS
from buurtwhatsapp.mail.outbox import Outbox
from buurtwhatsapp.model import APPLICATIONS, MAIL, SIGNUPS
from buurtwhatsapp.residents.housekeeping import run_housekeeping
from buurtwhatsapp.residents.signup import sign_up
from buurtwhatsapp.store import Store
from tests.conftest import KEYS, FakeClock
from tests.firestore_documents import documents

pytestmark = pytest.mark.emulator

REGIEGROEP = People(
    regiegroep=(
        Person("Jan Regie", "jan.regie@example.org", "+31612340101"),
        Person("Anna Regie", "anna.regie@example.org", "+31612340102"),
    )
)


@pytest.fixture
def store(firestore_client) -> Store:
    return Store(firestore_client)


def phone(number: int) -> str:
    return f"06-{20000000 + number}"


def form_mails(client, template: str = "werkwijze") -> list[dict]:
    return [m for m in documents(client, MAIL).values() if m.get("template") == template]


def test_plus_tags_dots_and_case_share_one_mail_a_day_and_every_signup_is_kept(
    store, firestore_client, deployment, clock, valid_signup
):
    typed = [f"victim+{n}@gmail.com" for n in range(12)]
    typed += ["V.I.C.T.I.M@googlemail.com", "Victim@Gmail.com", "v.ictim+x@gmail.com"]
    for number, email in enumerate(typed):
        raw = {**valid_signup, "email": email, "phone": phone(number)}
        sign_up(raw, deployment=deployment, store=store, clock=clock, keys=KEYS)

    assert len(documents(firestore_client, SIGNUPS)) == len(typed)  # nothing lost
    days = Counter(mail["not_before"].date() for mail in form_mails(firestore_client))
    assert days[clock.now().date()] == 1  # one mail to the mailbox today, not fifteen
    assert set(days.values()) == {1}  # and one a day after, for the week it looks ahead
    assert len(days) == LOOK_AHEAD_DAYS


def test_a_flood_at_one_domain_stops_at_the_hours_share_and_goes_on_the_next_hour(
    store, firestore_client, deployment, clock, valid_signup
):
    now = clock.current = datetime(2026, 12, 4, 11, 20, tzinfo=UTC)
    flood = DOMAIN_MAILS_PER_HOUR + 5
    for number in range(flood):
        raw = {**valid_signup, "email": f"person{number}@corp.example", "phone": phone(number)}
        sign_up(raw, deployment=deployment, store=store, clock=clock, keys=KEYS)

    assert len(documents(firestore_client, SIGNUPS)) == flood
    sending = Counter(mail["not_before"] for mail in form_mails(firestore_client))
    next_hour = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    assert sending == {now: DOMAIN_MAILS_PER_HOUR, next_hour: 5}
    # Another domain is not held up by the flood.
    other = {**valid_signup, "email": "zoe@example.net", "phone": phone(99)}
    sign_up(other, deployment=deployment, store=store, clock=clock, keys=KEYS)
    [zoe] = [m for m in form_mails(firestore_client) if m["to"] == "zoe@example.net"]
    assert zoe["not_before"] == now
    # The deferred ones are due, and delivered by the sweep, once their hour has come.
    outbox = Outbox(firestore_client)
    assert len(outbox.due(now, 100)) == DOMAIN_MAILS_PER_HOUR + 1
    assert len(outbox.due(next_hour, 100)) == flood + 1


def test_racing_signups_at_one_domain_all_land_and_keep_to_the_share(
    store, firestore_client, deployment, clock, valid_signup
):
    racers = DOMAIN_MAILS_PER_HOUR + 4

    def one(number: int) -> None:
        raw = {**valid_signup, "email": f"racer{number}@corp.example", "phone": phone(number)}
        sign_up(raw, deployment=deployment, store=store, clock=clock, keys=KEYS)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(racers)))

    assert len(documents(firestore_client, SIGNUPS)) == racers
    now_count = sum(m["not_before"] == clock.now() for m in form_mails(firestore_client))
    assert now_count <= DOMAIN_MAILS_PER_HOUR


def test_the_reminder_to_confirm_keeps_to_the_mailbox_fence_and_is_deferred_not_skipped(
    store, firestore_client, deployment, clock, valid_signup
):
    for number in range(3):
        raw = {**valid_signup, "email": f"family+{number}@example.org", "phone": phone(number)}
        sign_up(raw, deployment=deployment, store=store, clock=clock, keys=KEYS)
    clock.current += timedelta(days=3, hours=1)

    counts = run_housekeeping(deployment=deployment, store=store, clock=clock, keys=KEYS)

    assert counts["confirm_reminders"] == 3
    reminders = form_mails(firestore_client, "confirm-reminder")
    days = sorted(mail["not_before"].date() for mail in reminders)
    start = clock.now().date()
    # The werkwijze mails took the first three days; the reminders each get a day of their own.
    assert days == [start, start + timedelta(days=1), start + timedelta(days=2)]
    assert all(s["confirm_reminder_sent"] for s in documents(firestore_client, SIGNUPS).values())


def applied(number: int, valid_signup, deployment, store, clock) -> None:
    """Application ``number`` posted, with the regiegroep of two."""
    apply(
        application(number, valid_signup),
        deployment=deployment,
        store=store,
        clock=clock,
        keys=KEYS,
        people=REGIEGROEP,
    )


def application(number: int, valid_signup) -> dict:
    return {
        "name": f"Kandidaat {number}",
        "email": f"kandidaat{number}@example.org",
        "phone": phone(number),
        "street": valid_signup["street"],
        "house_number": valid_signup["house_number"],
        "postcode": valid_signup["postcode"],
        "motivation": "Ik wil graag helpen.",
        "privacy": "on",
    }


def test_applications_beyond_the_hours_alerts_go_in_one_digest_and_none_is_lost(
    store, firestore_client, deployment, clock, valid_signup
):
    burst = ALERTS_PER_HOUR + 4
    for number in range(burst):
        applied(number, valid_signup, deployment, store, clock)
    regie = len(REGIEGROEP.regiegroep)
    assert len(form_mails(firestore_client, "application-alert")) == ALERTS_PER_HOUR * regie
    pending = [a for a in documents(firestore_client, APPLICATIONS).values() if a["alert_pending"]]
    assert len(pending) == burst - ALERTS_PER_HOUR

    clock.current += timedelta(minutes=30)
    sent = send_application_digest(people=REGIEGROEP, store=store, clock=clock)
    again = send_application_digest(people=REGIEGROEP, store=store, clock=clock)

    assert (sent, again) == (regie, 0)
    digests = form_mails(firestore_client, "application-digest")
    assert sorted(d["to"] for d in digests) == sorted(p.email for p in REGIEGROEP.regiegroep)
    named = {applicant["name"] for applicant in digests[0]["data"]["applicants"]}
    assert named == {a["name"] for a in pending}
    assert not [a for a in documents(firestore_client, APPLICATIONS).values() if a["alert_pending"]]
    # The digest is found by an erasure request of any applicant it names.
    assert set(pending[0]["keys"]) <= set(digests[0]["subject_keys"])
    # The next hour brings alerts one by one again.
    clock.current += timedelta(hours=1)
    applied(burst, valid_signup, deployment, store, clock)
    assert len(form_mails(firestore_client, "application-alert")) == (ALERTS_PER_HOUR + 1) * regie


def test_two_digest_runs_at_once_name_each_application_once(
    store, firestore_client, deployment, clock, valid_signup
):
    for number in range(ALERTS_PER_HOUR + 2):
        applied(number, valid_signup, deployment, store, clock)
    # Two runs that read the same waiting applications: one in this hour, one in the next.
    first = (clock.now(), clock.now() + timedelta(hours=1))

    with ThreadPoolExecutor(max_workers=2) as pool:
        queued = list(
            pool.map(
                lambda when: send_application_digest(
                    people=REGIEGROEP, store=store, clock=FakeClock(when)
                ),
                first,
            )
        )
    regie = len(REGIEGROEP.regiegroep)
    assert sorted(queued) == [0, regie]
    named = Counter(
        applicant["name"]
        for digest in form_mails(firestore_client, "application-digest")
        for applicant in digest["data"]["applicants"]
    )
    # Each waiting application is named once to each member: by one run, never by both.
    assert named == {f"Kandidaat {n}": regie for n in (ALERTS_PER_HOUR, ALERTS_PER_HOUR + 1)}
