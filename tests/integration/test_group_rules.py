"""New group rules (issue 18, part 2) against real emulators, with a clock the test moves: one
mail per member per version, one click to accept (recorded with its time), and no answer left
to the next yearly check."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bench.journey import member_document
from buurtwhatsapp.deployment.people import People
from buurtwhatsapp.mail.catalogue import MailTemplate
from buurtwhatsapp.model import MAIL, MONTHLY, SIGNUPS
from buurtwhatsapp.residents.group_rules import RulesAnswer, accept_rules
from buurtwhatsapp.residents.housekeeping import run_housekeeping
from buurtwhatsapp.residents.membership import confirm, mark_added
from buurtwhatsapp.residents.yearly_check import still_taking_part
from buurtwhatsapp.store import Store
from tests.conftest import KEYS
from tests.firestore_documents import documents, signed_up

pytestmark = pytest.mark.emulator

OLD, NEW = "2026-11", "2027-03"


@pytest.fixture
def store(firestore_client) -> Store:
    return Store(firestore_client)


@pytest.fixture
def new_rules(deployment):
    return replace(deployment, initiative=replace(deployment.initiative, rules_version=NEW))


def join(store, deployment, clock, client, raw, *, added=True) -> str:
    signup_id = signed_up(store, deployment, clock, client, raw)
    confirm(signup_id, deployment=deployment, store=store, clock=clock)
    if added:
        mark_added(signup_id, deployment=deployment, store=store, clock=clock)
    return signup_id


@pytest.fixture
def member(store, deployment, clock, firestore_client, valid_signup) -> str:
    """A resident of the village who accepted the rules of OLD, confirmed and added."""
    assert deployment.initiative.rules_version == OLD
    raw = {**valid_signup, "street": "Kagerdreef"}
    return join(store, deployment, clock, firestore_client, raw)


def housekeeping(deployment, store, clock, limit=100):
    return run_housekeeping(
        deployment=deployment,
        store=store,
        clock=clock,
        keys=KEYS,
        people=People.from_deployment(deployment),
        limit=limit,
    )


def rules_mails(client):
    mails = documents(client, MAIL).values()
    return [m for m in mails if m.get("template") == MailTemplate.RULES_CHANGED]


def test_new_rules_are_sent_once_and_accepted_with_one_click(
    member, store, deployment, new_rules, clock, firestore_client
):
    assert housekeeping(deployment, store, clock)["rules_sent"] == 0  # nothing changed

    clock.current = clock.now() + timedelta(days=10)
    for _run in range(3):  # whatever the schedule: once per member per version
        housekeeping(new_rules, store, clock)
    [mail] = rules_mails(firestore_client)
    assert mail["signup_id"] == member
    assert (mail["data"]["old_version"], mail["data"]["new_version"]) == (OLD, NEW)
    assert store.get_signup(member).rules_offered == NEW

    accepted_at = clock.now() + timedelta(days=1)
    clock.current = accepted_at
    answer = accept_rules(member, NEW, deployment=new_rules, store=store, clock=clock)
    assert answer is RulesAnswer.ACCEPTED
    stored = documents(firestore_client, SIGNUPS)[member]["accepted"]
    assert (stored["rules"], stored["rules_at"]) == (NEW, accepted_at)
    assert stored["privacy"] == OLD and stored["at"] < accepted_at  # the sign-up's own, kept
    assert documents(firestore_client, MONTHLY)[f"{accepted_at:%Y-%m}"]["rules_accepted"] == 1

    again = accept_rules(member, NEW, deployment=new_rules, store=store, clock=clock)
    assert again is RulesAnswer.ALREADY
    assert documents(firestore_client, MONTHLY)[f"{accepted_at:%Y-%m}"]["rules_accepted"] == 1
    assert housekeeping(new_rules, store, clock)["rules_sent"] == 0


def test_an_accept_for_rules_changed_meanwhile_records_nothing(
    member, store, deployment, new_rules, clock, firestore_client
):
    housekeeping(new_rules, store, clock)
    answer = accept_rules(member, OLD, deployment=new_rules, store=store, clock=clock)
    assert answer is RulesAnswer.CHANGED
    assert store.get_signup(member).accepted.rules == OLD


def test_no_answer_is_asked_again_by_the_yearly_check_whose_yes_accepts_the_rules(
    member, store, deployment, new_rules, clock, firestore_client
):
    housekeeping(new_rules, store, clock)  # the rules mail, not answered
    clock.current = clock.now() + timedelta(days=366)
    housekeeping(new_rules, store, clock)
    [check] = [
        m for m in documents(firestore_client, MAIL).values()
        if m["template"] == MailTemplate.YEARLY_CHECK
    ]  # fmt: skip
    assert check["data"]["rules_version"] == NEW
    assert len(rules_mails(firestore_client)) == 1  # no second rules mail: one decision

    yes = still_taking_part(member, deployment=new_rules, store=store, clock=clock, rules_shown=NEW)
    assert yes
    stored = store.get_signup(member)
    assert (stored.accepted.rules, stored.accepted.rules_at) == (NEW, clock.now())
    counts = documents(firestore_client, MONTHLY)[f"{clock.now():%Y-%m}"]
    assert (counts["checks_yes"], counts["rules_accepted"]) == (1, 1)


def test_a_yes_to_rules_no_longer_in_force_keeps_the_member_and_not_those_rules(
    member, store, deployment, new_rules, clock
):
    clock.current = clock.now() + timedelta(days=366)
    housekeeping(new_rules, store, clock)
    # The page showed OLD's successor, then the rules changed again before the click.
    newer = replace(new_rules, initiative=replace(new_rules.initiative, rules_version="2027-09"))
    assert still_taking_part(member, deployment=newer, store=store, clock=clock, rules_shown=NEW)
    stored = store.get_signup(member)
    assert stored.check_stage == "" and stored.accepted.rules == OLD


def test_the_rules_go_out_in_batches_and_only_to_members_in_a_group(
    store, deployment, new_rules, clock, firestore_client, valid_signup
):
    members = [
        join(
            store,
            deployment,
            clock,
            firestore_client,
            {**valid_signup, "email": f"lid{n}@example.org", "phone": f"0612345{n:03d}"},
        )
        for n in range(3)
    ]
    waiting = join(
        store,
        deployment,
        clock,
        firestore_client,
        {**valid_signup, "email": "wacht@example.org", "phone": "0612345999"},
        added=False,
    )
    assert housekeeping(new_rules, store, clock, limit=2)["rules_sent"] == 2
    assert housekeeping(new_rules, store, clock, limit=2)["rules_sent"] == 1
    assert housekeeping(new_rules, store, clock, limit=2)["rules_sent"] == 0
    assert {m["signup_id"] for m in rules_mails(firestore_client)} == set(members)

    # Added later, the waiting member gets the rules too: at the next run, once.
    mark_added(waiting, deployment=new_rules, store=store, clock=clock)
    assert housekeeping(new_rules, store, clock)["rules_sent"] == 1
    assert housekeeping(new_rules, store, clock)["rules_sent"] == 0


def test_back_to_rules_the_member_accepted_sends_nothing(
    member, store, deployment, new_rules, clock, firestore_client
):
    housekeeping(new_rules, store, clock)
    assert housekeeping(deployment, store, clock)["rules_sent"] == 0  # OLD again: accepted
    assert len(rules_mails(firestore_client)) == 1
    assert store.get_signup(member).rules_offered == OLD


def legacy_member(client, clock, signup_id="old", status="active"):
    """A member stored before the rules were sent by version: no ``rules_offered``."""
    document = {**member_document(1, clock.now(), due_now=False), "status": status}
    document.pop("rules_offered")
    client.collection(SIGNUPS).document(signup_id).set(document)
    return signup_id


@pytest.mark.parametrize("check_days", [365, 0])
def test_members_from_before_get_new_rules_once_planned_whether_the_check_is_on_or_off(
    check_days, store, deployment, new_rules, clock, firestore_client
):
    from buurtwhatsapp.residents.yearly_check import plan_first_checks

    legacy_member(firestore_client, clock)
    rules_off = replace(new_rules.initiative, reconfirm_after_days=check_days)
    changed = replace(new_rules, initiative=rules_off)
    assert housekeeping(changed, store, clock)["rules_sent"] == 0  # the query cannot see it
    assert plan_first_checks(deployment=changed, store=store, clock=clock) == (1, 0)
    assert documents(firestore_client, SIGNUPS)["old"]["rules_offered"] == OLD
    assert housekeeping(changed, store, clock)["rules_sent"] == 1
    assert plan_first_checks(deployment=changed, store=store, clock=clock) == (0, 1)


def test_a_member_from_before_added_now_is_seen_by_new_rules(
    store, deployment, new_rules, clock, firestore_client
):
    legacy_member(firestore_client, clock, status="confirmed")
    firestore_client.collection(SIGNUPS).document("old").update({"added_at": None})
    mark_added("old", deployment=deployment, store=store, clock=clock)
    assert documents(firestore_client, SIGNUPS)["old"]["rules_offered"] == OLD
    assert housekeeping(new_rules, store, clock)["rules_sent"] == 1


def test_the_rules_mails_are_due_one_after_another_not_all_at_once(
    store, deployment, new_rules, clock, firestore_client, valid_signup
):
    from buurtwhatsapp.residents.group_rules import SENDS_PER_SECOND

    for n in range(3):
        raw = {**valid_signup, "email": f"lid{n}@example.org", "phone": f"0612345{n:03d}"}
        join(store, deployment, clock, firestore_client, raw)
    housekeeping(new_rules, store, clock)
    due = sorted(mail["not_before"] for mail in rules_mails(firestore_client))
    gaps = [later - earlier for earlier, later in zip([clock.now(), *due], due, strict=False)]
    assert gaps == [timedelta(seconds=1 / SENDS_PER_SECOND)] * 3


def test_the_still_page_shows_the_rules_only_while_its_question_is_open(
    member, store, deployment, clock, firestore_client, function_client
):
    from buurtwhatsapp.common.signed_links import Purpose
    from tests.integration.conftest import link

    firestore_client.collection(SIGNUPS).document(member).update({"accepted.rules": "2025-01"})
    still = function_client("still")
    closed = still.get(link(Purpose.STILL, member)).get_data(as_text=True)
    assert "groepsregels" not in closed  # an old link: its "yes" would record nothing
    firestore_client.collection(SIGNUPS).document(member).update({"check_stage": "asked"})
    asked = still.get(link(Purpose.STILL, member)).get_data(as_text=True)
    assert "Met de knop gaat u ook akkoord met deze regels" in " ".join(asked.split())
