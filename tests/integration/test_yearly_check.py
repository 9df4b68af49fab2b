"""The yearly check (issue 18, part 1) against real emulators, with a clock the test moves:
asked once, reminded once, "yes" or lapsed (erased as by leaving), never both."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from bench.journey import member_document
from buurtwhatsapp.deployment.people import People
from buurtwhatsapp.mail.catalogue import MailTemplate
from buurtwhatsapp.model import ERASURES, MAIL, REMOVALS, SIGNUPS
from buurtwhatsapp.residents.housekeeping import run_housekeeping
from buurtwhatsapp.residents.membership import confirm, mark_added
from buurtwhatsapp.residents.yearly_check import still_taking_part
from buurtwhatsapp.store import Store
from tests.conftest import KEYS
from tests.firestore_documents import documents, signed_up

pytestmark = pytest.mark.emulator

YEAR = timedelta(days=365)


@pytest.fixture
def store(firestore_client) -> Store:
    return Store(firestore_client)


@pytest.fixture
def member(store, deployment, clock, firestore_client, valid_signup) -> str:
    """A resident of the village, confirmed and added today."""
    signup_id = signed_up(
        store, deployment, clock, firestore_client, {**valid_signup, "street": "Kagerdreef"}
    )
    confirm(signup_id, deployment=deployment, store=store, clock=clock)
    mark_added(signup_id, deployment=deployment, store=store, clock=clock)
    return signup_id


def housekeeping(deployment, store, clock):
    return run_housekeeping(
        deployment=deployment,
        store=store,
        clock=clock,
        keys=KEYS,
        people=People.from_deployment(deployment),
    )


def mails(client, template):
    return [m for m in documents(client, MAIL).values() if m.get("template") == template]


def test_a_member_is_asked_after_a_year_once_and_a_yes_sets_the_next_check(
    member, store, deployment, clock, firestore_client
):
    added = clock.now()
    assert store.get_signup(member).check_due_at == added + YEAR
    clock.current = added + YEAR - timedelta(hours=1)
    assert housekeeping(deployment, store, clock)["checks_asked"] == 0

    clock.current = added + YEAR + timedelta(hours=1)
    for _run in range(3):  # whatever the schedule: asked once
        housekeeping(deployment, store, clock)
    [asked] = mails(firestore_client, MailTemplate.YEARLY_CHECK)
    assert asked["signup_id"] == member and asked["data"]["lapse_on"]
    stored = store.get_signup(member)
    assert (stored.check_stage, stored.check_due_at) == ("asked", clock.now() + timedelta(days=30))

    answered_at = clock.now() + timedelta(days=2)
    clock.current = answered_at
    assert still_taking_part(member, deployment=deployment, store=store, clock=clock)
    stored = store.get_signup(member)
    assert (stored.check_stage, stored.checked_at) == ("", answered_at)
    assert stored.check_due_at == answered_at + YEAR
    # An old link clicked again changes nothing: there is no question open.
    assert not still_taking_part(member, deployment=deployment, store=store, clock=clock)
    clock.current = answered_at + timedelta(days=90)
    assert housekeeping(deployment, store, clock)["checks_reminded"] == 0


def test_no_answer_means_one_reminder_then_erasure_as_by_leaving(
    member, store, deployment, clock, firestore_client
):
    asked_at = clock.now() + YEAR
    clock.current = asked_at
    housekeeping(deployment, store, clock)
    clock.current = asked_at + timedelta(days=31)
    for _run in range(2):
        housekeeping(deployment, store, clock)
    assert len(mails(firestore_client, MailTemplate.YEARLY_CHECK_REMINDER)) == 1
    assert store.get_signup(member).check_stage == "reminded"

    clock.current = asked_at + timedelta(days=59)
    assert housekeeping(deployment, store, clock)["checks_lapsed"] == 0
    clock.current = asked_at + timedelta(days=61)
    assert housekeeping(deployment, store, clock)["checks_lapsed"] == 1
    assert member not in documents(firestore_client, SIGNUPS)
    assert documents(firestore_client, ERASURES)[member]["reason"] == "lapsed"
    [notice] = mails(firestore_client, MailTemplate.COORDINATOR_REMOVE)
    assert notice["data"]["was_added"] is True
    assert len(documents(firestore_client, REMOVALS)) == 1  # on the coordinator's page too
    assert housekeeping(deployment, store, clock)["checks_lapsed"] == 0


def test_a_yes_racing_the_lapse_ends_in_exactly_one_of_them(
    member, store, deployment, clock, firestore_client
):
    asked_at = clock.now() + YEAR
    clock.current = asked_at
    housekeeping(deployment, store, clock)
    clock.current = asked_at + timedelta(days=31)
    housekeeping(deployment, store, clock)
    clock.current = asked_at + timedelta(days=61)

    def yes():
        try:
            return still_taking_part(member, deployment=deployment, store=store, clock=clock)
        except Exception as error:  # SignupGone: the lapse won
            return type(error).__name__

    with ThreadPoolExecutor(max_workers=2) as pool:
        answered = pool.submit(yes)
        lapsed = pool.submit(housekeeping, deployment, store, clock)
    erased = member not in documents(firestore_client, SIGNUPS)
    if erased:
        assert lapsed.result()["checks_lapsed"] == 1
        assert answered.result() in (False, "SignupGone")
    else:
        assert answered.result() is True and lapsed.result()["checks_lapsed"] == 0
        assert store.get_signup(member).check_stage == ""
        assert documents(firestore_client, ERASURES) == {}


def test_with_the_check_off_nobody_is_asked(member, store, deployment, clock):
    import dataclasses

    off = dataclasses.replace(
        deployment,
        initiative=dataclasses.replace(deployment.initiative, reconfirm_after_days=0),
    )
    clock.current = clock.now() + 2 * YEAR
    counts = housekeeping(off, store, clock)
    assert (counts["checks_asked"], counts["checks_lapsed"]) == (0, 0)


def test_housekeeping_reads_what_is_due_not_every_member(
    store, deployment, clock, firestore_client, firestore_emulator, monkeypatch
):
    """O(due): the same 5 due members among 100 or among 300 members cost the same reads."""
    from google.cloud import firestore

    from bench.firestore_ops import OperationCounter, install

    now = clock.now()

    def members(first: int, count: int, due: bool) -> None:
        batch = firestore_client.batch()
        for number in range(first, first + count):
            document = member_document(number, now, due_now=due)
            batch.set(firestore_client.collection(SIGNUPS).document(f"m{number:04d}"), document)
        batch.commit()

    def reads_of_one_run() -> int:
        monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_emulator.host)
        counter = OperationCounter()
        uninstall = install(counter)
        try:
            counted = Store(firestore.Client(project=firestore_client.project))
            with counter.measuring() as measured:
                counted.signups_due_for_check(clock.now(), limit=100)
        finally:
            uninstall()
        return measured().reads

    members(0, 95, due=False)
    members(95, 5, due=True)
    among_100 = reads_of_one_run()
    members(100, 200, due=False)
    among_300 = reads_of_one_run()
    assert among_100 == among_300 == 5


def test_members_from_before_the_yearly_check_get_a_first_one_planned_once(
    store, deployment, clock, firestore_client
):
    from buurtwhatsapp.residents.yearly_check import SPREAD_DAYS, plan_first_checks

    now = clock.now()
    recent = {**member_document(1, now, due_now=False), "added_at": now - timedelta(days=100)}
    old = [{**member_document(n, now, due_now=False), "added_at": now - 2 * YEAR} for n in (2, 3)]
    for number, document in enumerate([recent, *old]):
        # Stored before the yearly check: no such fields at all.
        document.pop("check_stage")
        document.pop("check_due_at")
        document.pop("rules_offered")
        firestore_client.collection(SIGNUPS).document(f"old{number}").set(document)

    assert plan_first_checks(deployment=deployment, store=store, clock=clock, dry_run=True) == (
        3,
        0,
    )
    assert all(store.get_signup(f"old{n}").check_due_at is None for n in range(3))

    assert plan_first_checks(deployment=deployment, store=store, clock=clock) == (3, 0)
    assert store.get_signup("old0").check_due_at == now - timedelta(days=100) + YEAR
    # ... and the group rules they accepted, so that new ones reach them (group_rules.py).
    assert all(documents(firestore_client, SIGNUPS)[f"old{n}"]["rules_offered"] for n in (0, 1))
    for number in (1, 2):
        due = store.get_signup(f"old{number}").check_due_at
        assert now < due <= now + timedelta(days=SPREAD_DAYS)  # spread, not all at once
    assert plan_first_checks(deployment=deployment, store=store, clock=clock) == (0, 3)


def test_each_step_is_counted_once_in_its_month_and_shown_without_names(
    member, store, deployment, clock, firestore_client
):
    from buurtwhatsapp.model import MONTHLY
    from buurtwhatsapp.overview.reading import read_overview

    asked_at = clock.now() + YEAR
    clock.current = asked_at
    for _run in range(2):
        housekeeping(deployment, store, clock)
    assert still_taking_part(member, deployment=deployment, store=store, clock=clock)
    month = f"{asked_at:%Y-%m}"
    counts = documents(firestore_client, MONTHLY)[month]
    assert (counts["checks_asked"], counts["checks_yes"]) == (1, 1)
    overview = read_overview(deployment, store, clock.now())
    assert overview.monthly[month]["checks_asked"] == 1
    assert overview.monthly[month]["checks_lapsed"] == 0


def test_a_lapse_is_counted_in_the_month_it_happens(
    member, store, deployment, clock, firestore_client
):
    from buurtwhatsapp.model import MONTHLY

    asked_at = clock.now() + YEAR
    for days in (0, 31, 61):
        clock.current = asked_at + timedelta(days=days)
        housekeeping(deployment, store, clock)
    lapsed_month = f"{clock.now():%Y-%m}"
    assert documents(firestore_client, MONTHLY)[lapsed_month]["checks_lapsed"] == 1
    total = sum(
        month.get("checks_reminded", 0) for month in documents(firestore_client, MONTHLY).values()
    )
    assert total == 1
