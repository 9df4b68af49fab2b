"""Group assignment, capacity, the regiegroep fallback, races and housekeeping: the services
against a real emulator, with a clock the test moves."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from buurtwhatsapp.deployment.structure import Group
from buurtwhatsapp.model import GROUP_SEATS, MAIL, MAIL_CLAIMS, SIGNUP_KEYS, SIGNUPS
from buurtwhatsapp.residents.housekeeping import run_housekeeping
from buurtwhatsapp.residents.membership import confirm, leave, mark_added
from buurtwhatsapp.residents.signup import sign_up
from buurtwhatsapp.store import Store
from tests.conftest import KEYS
from tests.firestore_documents import documents, signed_up

pytestmark = pytest.mark.emulator

# Nobody here has been a member for a year: the yearly check has nothing to do.
NO_CHECKS = {"checks_asked": 0, "checks_reminded": 0, "checks_lapsed": 0, "rules_sent": 0}


@pytest.fixture
def store(firestore_client) -> Store:
    return Store(firestore_client)


def templates_of(client):
    """The kinds of mail queued; revision markers are no mail."""
    return sorted(
        mail["template"] for mail in documents(client, MAIL).values() if "template" in mail
    )


def resident(valid_signup, number: int, **address) -> dict[str, object]:
    """A distinct resident (own phone and e-mail) at the given address."""
    return {
        **valid_signup,
        "email": f"bewoner{number}@example.org",
        "phone": f"06-2345{number:04d}",
        **address,
    }


def with_groups(deployment, *groups: Group):
    return dataclasses.replace(deployment, groups=groups)


@pytest.mark.parametrize(
    ("street", "number", "group"),
    [
        ("Lisserweg", "480", "dorp"),  # first number of the range
        ("Lisserweg", "530", "dorp"),  # last number of the range
        ("Lisserweg", "479", "buitengebied"),  # one below
        ("Lisserweg", "531", "buitengebied"),  # one above
        ("Lisserweg", "480-B", "dorp"),  # an addition does not move the number
        ("Dorpsstraat", "49", "dorp"),  # odd side, last number
        ("Dorpsstraat", "48", "buitengebied"),  # even side is not in the range
        ("Dorpsstraat", "51", "buitengebied"),  # past the range
        ("kagerdreef", "1", "dorp"),  # the whole street, however it is written
    ],
)
def test_the_group_follows_the_address_at_the_edges_of_ranges(
    store, deployment, clock, firestore_client, valid_signup, street, number, group
):
    raw = resident(valid_signup, 1, street=street, house_number=number)
    signup_id = signed_up(store, deployment, clock, firestore_client, raw)
    result = confirm(signup_id, deployment=deployment, store=store, clock=clock)
    assert result.group_name == deployment.group(group).name
    assert documents(firestore_client, SIGNUPS)[signup_id]["group"] == group


def test_a_full_group_passes_on_to_the_next_group_of_the_area_then_to_the_regiegroep(
    store, deployment, clock, firestore_client, valid_signup
):
    first = dataclasses.replace(deployment.group("dorp"), capacity=1)
    second = dataclasses.replace(first, id="dorp-2", name="Dorp 2")
    small = with_groups(deployment, first, second, deployment.group("buitengebied"))
    placed = []
    for number in range(3):
        raw = resident(valid_signup, number, street="Kagerdreef", house_number=str(number + 1))
        signup_id = signed_up(store, small, clock, firestore_client, raw)
        placed.append(confirm(signup_id, deployment=small, store=store, clock=clock).group_name)

    assert placed == [first.name, "Dorp 2", None]
    fallback = [
        mail
        for mail in documents(firestore_client, MAIL).values()
        if mail["template"] == "coordinator-alert" and mail["data"]["fallback"]
    ]
    assert sorted(mail["to"] for mail in fallback) == sorted(
        person.email for person in deployment.regiegroep
    )


def test_a_place_freed_by_leaving_is_taken_again(
    store, deployment, clock, firestore_client, valid_signup
):
    one = dataclasses.replace(deployment.group("dorp"), capacity=1)
    small = with_groups(deployment, one, deployment.group("buitengebied"))
    ids = [
        signed_up(
            store, small, clock, firestore_client, resident(valid_signup, n, street="Kagerdreef")
        )
        for n in range(2)
    ]
    confirm(ids[0], deployment=small, store=store, clock=clock)
    leave(ids[0], deployment=small, store=store, clock=clock)
    assert confirm(ids[1], deployment=small, store=store, clock=clock).group_name == one.name


def confirms_at_once(residents, capacity, store, deployment, clock, firestore_client, valid_signup):
    """``residents`` sign up for the village's group, made ``capacity`` places large, and all
    confirm at once (8 threads): the group, their sign-up ids and the confirms' results."""
    group = dataclasses.replace(deployment.group("dorp"), capacity=capacity)
    sized = with_groups(deployment, group, deployment.group("buitengebied"))
    ids = [
        signed_up(
            store, sized, clock, firestore_client, resident(valid_signup, n, street="Kagerdreef")
        )
        for n in range(residents)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda i: confirm(i, deployment=sized, store=store, clock=clock), ids)
        )
    return group, ids, results


def test_concurrent_confirms_never_overfill_a_group(
    store, deployment, clock, firestore_client, valid_signup
):
    three, _ids, results = confirms_at_once(
        8, 3, store, deployment, clock, firestore_client, valid_signup
    )

    assert sum(result.group_name == three.name for result in results) == 3
    assert sum(result.group_name is None for result in results) == 5
    assert len(documents(firestore_client, GROUP_SEATS)) == 3


def test_confirms_at_once_all_find_a_place_while_there_is_room(
    store, deployment, clock, firestore_client, valid_signup
):
    """Each confirm first tries the place after those it counted, in its own commit; many at
    once count alike, so all but one lose it and claim another (membership.confirm)."""
    twelve, ids, results = confirms_at_once(
        12, 12, store, deployment, clock, firestore_client, valid_signup
    )

    assert all(result.group_name == twelve.name for result in results)
    seats = documents(firestore_client, GROUP_SEATS)
    assert sorted(seats) == [f"dorp.{n:04d}" for n in range(1, 13)]
    holders = {document["signup_id"] for document in seats.values()}
    assert holders == set(ids)
    assert {documents(firestore_client, SIGNUPS)[i]["seat"] for i in ids} == set(seats)


def test_confirming_one_signup_eight_times_at_once_alerts_once(
    store, deployment, clock, firestore_client, valid_signup
):
    signup_id = signed_up(store, deployment, clock, firestore_client, valid_signup)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(
                lambda _: confirm(signup_id, deployment=deployment, store=store, clock=clock),
                range(8),
            )
        )

    assert sum(not result.already for result in results) == 1
    assert templates_of(firestore_client).count("coordinator-alert") == 1
    assert len(documents(firestore_client, GROUP_SEATS)) == 1


def test_reminders_fire_once_whatever_the_schedule(
    store, deployment, clock, firestore_client, valid_signup
):
    waiting = signed_up(store, deployment, clock, firestore_client, valid_signup)
    confirmed = signed_up(store, deployment, clock, firestore_client, resident(valid_signup, 2))
    confirm(confirmed, deployment=deployment, store=store, clock=clock)

    def housekeeping():
        return run_housekeeping(deployment=deployment, store=store, clock=clock, keys=KEYS)

    clock.current += timedelta(days=3) - timedelta(minutes=1)
    assert housekeeping() == {
        "confirm_reminders": 0,
        "coordinator_reminders": 0,
        "expired": 0,
        "orphan_seats": 0,
        **NO_CHECKS,
    }
    clock.current += timedelta(minutes=1)
    assert housekeeping() == {
        "confirm_reminders": 1,
        "coordinator_reminders": 1,
        "expired": 0,
        "orphan_seats": 0,
        **NO_CHECKS,
    }
    for _ in range(3):
        clock.current += timedelta(hours=7)
        assert housekeeping() == {
            "confirm_reminders": 0,
            "coordinator_reminders": 0,
            "expired": 0,
            "orphan_seats": 0,
            **NO_CHECKS,
        }

    names = templates_of(firestore_client)
    assert names.count("confirm-reminder") == 1
    assert names.count("coordinator-reminder") == 1
    reminder = next(
        mail
        for mail in documents(firestore_client, MAIL).values()
        if mail.get("template") == "coordinator-reminder"
    )
    assert reminder["data"]["days_waiting"] == 3
    assert waiting in documents(firestore_client, SIGNUPS)


def test_an_added_member_gets_no_coordinator_reminder(
    store, deployment, clock, firestore_client, valid_signup
):
    signup_id = signed_up(store, deployment, clock, firestore_client, valid_signup)
    confirm(signup_id, deployment=deployment, store=store, clock=clock)
    mark_added(signup_id, deployment=deployment, store=store, clock=clock)
    clock.current += timedelta(days=4)
    assert (
        run_housekeeping(deployment=deployment, store=store, clock=clock, keys=KEYS)[
            "coordinator_reminders"
        ]
        == 0
    )


def test_unconfirmed_signups_expire_after_the_retention_period(
    store, deployment, clock, firestore_client, valid_signup
):
    signed_up(store, deployment, clock, firestore_client, valid_signup)
    retention = timedelta(days=deployment.initiative.privacy_retention_days)

    clock.current += retention - timedelta(minutes=1)
    assert (
        run_housekeeping(deployment=deployment, store=store, clock=clock, keys=KEYS)["expired"] == 0
    )
    clock.current += timedelta(minutes=1)
    assert (
        run_housekeeping(deployment=deployment, store=store, clock=clock, keys=KEYS)["expired"] == 1
    )

    assert documents(firestore_client, SIGNUPS) == {}
    assert documents(firestore_client, SIGNUP_KEYS) == {}
    assert [m for m in documents(firestore_client, MAIL).values() if m.get("to")] == []
    # The same resident may sign up afresh afterwards.
    sign_up(valid_signup, deployment=deployment, store=store, clock=clock, keys=KEYS)
    assert len(documents(firestore_client, SIGNUPS)) == 1


def test_an_erasure_that_read_before_a_confirm_reads_again_and_frees_the_place(
    store, deployment, clock, firestore_client, valid_signup
):
    from buurtwhatsapp.store import Conflict

    signup_id = signed_up(store, deployment, clock, firestore_client, valid_signup)
    stale = store.get_signup(signup_id)
    confirm(signup_id, deployment=deployment, store=store, clock=clock)

    with pytest.raises(Conflict):
        store.erase_signup(stale, {}, {"reason": "left"}, [], clock.now())
    assert leave(signup_id, deployment=deployment, store=store, clock=clock)
    assert documents(firestore_client, GROUP_SEATS) == {}
    assert documents(firestore_client, SIGNUPS) == {}
    # The alert was deleted unsent: the coordinator never heard of the resident.
    assert templates_of(firestore_client) == ["left"]


def deliver_all(firestore_client, deployment, clock, tmp_path):
    """Send every due mail through the file transport, as the delivery function would."""
    from buurtwhatsapp.mail.delivery import deliver
    from buurtwhatsapp.mail.transports import FileTransport
    from tests.integration.test_mail_delivery import make_mailer

    mailer = make_mailer(firestore_client, deployment, clock, FileTransport(tmp_path / "outbox"))
    for mail_id in documents(firestore_client, MAIL):
        deliver(mail_id, mailer)


@pytest.mark.parametrize("alert_sent", [True, False])
def test_a_coordinator_hears_of_a_removal_only_after_hearing_of_the_member(
    alert_sent, store, deployment, clock, firestore_client, valid_signup, tmp_path
):
    signup_id = signed_up(store, deployment, clock, firestore_client, valid_signup)
    confirm(signup_id, deployment=deployment, store=store, clock=clock)
    if alert_sent:
        deliver_all(firestore_client, deployment, clock, tmp_path)

    assert leave(signup_id, deployment=deployment, store=store, clock=clock)
    queued = [m for m in documents(firestore_client, MAIL).values() if m["status"] == "queued"]
    expected = ["coordinator-remove", "left"] if alert_sent else ["left"]
    assert sorted(mail["template"] for mail in queued) == expected


def test_an_alert_claimed_while_the_erasure_decides_counts_as_told(
    store, deployment, clock, firestore_client, valid_signup
):
    from buurtwhatsapp.mail.outbox import Outbox
    from buurtwhatsapp.residents.membership import coordinator_told
    from buurtwhatsapp.store import Conflict

    signup_id = signed_up(store, deployment, clock, firestore_client, valid_signup)
    confirm(signup_id, deployment=deployment, store=store, clock=clock)
    signup, mails = store.get_signup(signup_id), store.mail_of_signup(signup_id)
    assert not coordinator_told(signup, mails)
    [alert_id] = [i for i, m in mails.items() if m["template"] == "coordinator-alert"]

    assert Outbox(firestore_client).claim(alert_id, clock.now())  # a delivery starts sending
    with pytest.raises(Conflict):  # so the erasure, which decided "not told", must decide again
        store.erase_signup(signup, mails, {"reason": "left"}, [], clock.now())
    assert coordinator_told(signup, store.mail_of_signup(signup_id))


def claim_reads(store, monkeypatch) -> list[bool]:
    """Each time the store reads a sign-up's mail: whether it also read the claims."""
    read: list[bool] = []
    unread = store.mail_of_signup

    def reading(signup_id, *, read_claims=True):
        read.append(read_claims)
        return unread(signup_id, read_claims=read_claims)

    monkeypatch.setattr(store, "mail_of_signup", reading)
    return read


def test_a_leave_whose_alert_a_delivery_is_sending_tells_the_coordinator_of_the_removal(
    store, deployment, clock, firestore_client, valid_signup, monkeypatch
):
    """The leave's first round takes queued mail for unclaimed without reading the claims (one
    round trip less); its batch finds the delivery's claim, and the next round reads it."""
    from buurtwhatsapp.mail.outbox import Outbox

    signup_id = signed_up(store, deployment, clock, firestore_client, valid_signup)
    confirm(signup_id, deployment=deployment, store=store, clock=clock)
    [alert_id] = [
        mail_id
        for mail_id, mail in documents(firestore_client, MAIL).items()
        if mail["template"] == "coordinator-alert"
    ]
    assert Outbox(firestore_client).claim(alert_id, clock.now())  # a delivery starts sending
    read = claim_reads(store, monkeypatch)
    assert leave(signup_id, deployment=deployment, store=store, clock=clock)
    assert read == [False, True]
    assert sorted(templates_of(firestore_client)) == ["coordinator-remove", "left"]


def test_a_delivery_that_read_a_mail_before_its_resident_left_never_sends_it(
    store, deployment, clock, firestore_client, valid_signup, monkeypatch
):
    """The leave deletes the queued alert and takes its next attempt's claim; a delivery that
    read the alert just before finds that claim held, and must neither send the alert nor
    take the attempt over as an abandoned one (nor fail on a claim without a lease)."""
    from buurtwhatsapp.mail.outbox import Outbox

    signup_id = signed_up(store, deployment, clock, firestore_client, valid_signup)
    confirm(signup_id, deployment=deployment, store=store, clock=clock)
    outbox = Outbox(firestore_client)
    [alert_id] = [
        mail_id
        for mail_id, mail in documents(firestore_client, MAIL).items()
        if mail["template"] == "coordinator-alert"
    ]
    read_before = outbox.get(alert_id)
    assert read_before is not None
    assert leave(signup_id, deployment=deployment, store=store, clock=clock)
    monkeypatch.setattr(outbox, "get", lambda mail_id: dict(read_before))
    clock.current += timedelta(hours=1)  # the erasure's claim holds no lease to wait for

    assert outbox.claim(alert_id, clock.now()) is None
    assert not any(
        key.startswith(f"{alert_id}.2") for key in documents(firestore_client, MAIL_CLAIMS)
    )


def test_a_leave_with_mail_no_delivery_took_reads_no_claims(
    store, deployment, clock, firestore_client, valid_signup, monkeypatch
):
    signup_id = signed_up(store, deployment, clock, firestore_client, valid_signup)
    confirm(signup_id, deployment=deployment, store=store, clock=clock)
    read = claim_reads(store, monkeypatch)
    assert leave(signup_id, deployment=deployment, store=store, clock=clock)
    assert read == [False]
    # The alert was deleted unsent, its claim taken: no delivery can send it now.
    assert templates_of(firestore_client) == ["left"]
    claims = documents(firestore_client, MAIL_CLAIMS)
    assert claims and all("erased_at" in claim for claim in claims.values())


def test_erasure_notices_expire_soon_whatever_happens_and_an_erasure_request_finds_them(
    store, deployment, clock, firestore_client, valid_signup, tmp_path
):
    from buurtwhatsapp.mail.delivery import deliver
    from buurtwhatsapp.residents.membership import ERASURE_NOTICE_LIFETIME
    from tests.integration.test_mail_delivery import FlakyTransport, make_mailer

    signup_id = signed_up(store, deployment, clock, firestore_client, valid_signup)
    confirm(signup_id, deployment=deployment, store=store, clock=clock)
    deliver_all(firestore_client, deployment, clock, tmp_path)
    left_at = clock.now()
    assert leave(signup_id, deployment=deployment, store=store, clock=clock)

    failing = make_mailer(
        firestore_client, deployment, clock, FlakyTransport(tmp_path / "x", failures=99)
    )
    notices = {
        i: m for i, m in documents(firestore_client, MAIL).items() if m["status"] == "queued"
    }
    assert len(notices) == 2
    for _ in range(10):  # every attempt fails, until the notices stop at "failed"
        for mail_id in notices:
            deliver(mail_id, failing)
        clock.current += timedelta(hours=6)
    for mail_id in notices:
        notice = documents(firestore_client, MAIL)[mail_id]
        assert notice["status"] == "failed"
        assert notice["expire_at"] == left_at + ERASURE_NOTICE_LIFETIME
        assert notice.get("signup_id") is None
        assert set(notice["subject_keys"]) == {
            KEYS.email("zoe@example.org"),
            KEYS.phone("+31612345678"),
        }
    assert store.erase_mail_about(KEYS.phone("+31612345678")) == 2
    assert [m for m in documents(firestore_client, MAIL).values() if m.get("to")] == []


def test_expiry_spares_a_signup_confirmed_just_before(
    store, deployment, clock, firestore_client, valid_signup
):
    from buurtwhatsapp.model import SignupStatus
    from buurtwhatsapp.residents.membership import erase

    signup_id = signed_up(store, deployment, clock, firestore_client, valid_signup)
    confirm(signup_id, deployment=deployment, store=store, clock=clock)
    expired = erase(
        signup_id,
        reason="expired",
        deployment=deployment,
        store=store,
        clock=clock,
        notify=False,
        only_if=SignupStatus.PENDING,
    )
    assert expired is False
    assert documents(firestore_client, SIGNUPS)[signup_id]["status"] == "confirmed"


def test_housekeeping_spares_a_resident_who_confirms_after_its_expiry_query(
    firestore_client, deployment, clock, valid_signup
):
    """The expiry query finds the sign-up pending; the resident confirms a moment later,
    before the erasure reads it: the confirmed resident stays."""
    from buurtwhatsapp.model import SignupStatus

    class ConfirmedRightAfterTheQuery(Store):
        def signups_waiting(self, status, since_field, cutoff, limit, *, unflagged=None):
            found = super().signups_waiting(status, since_field, cutoff, limit, unflagged=unflagged)
            if status is SignupStatus.PENDING and unflagged is None:  # the expiry query
                for signup in found:
                    confirm(signup.id, deployment=deployment, store=self, clock=clock)
            return found

    store = ConfirmedRightAfterTheQuery(firestore_client)
    signup_id = signed_up(store, deployment, clock, firestore_client, valid_signup)
    clock.current += timedelta(days=deployment.initiative.privacy_retention_days + 1)

    counts = run_housekeeping(deployment=deployment, store=store, clock=clock, keys=KEYS)

    assert counts["expired"] == 0
    assert documents(firestore_client, SIGNUPS)[signup_id]["status"] == "confirmed"


def test_a_place_left_by_a_crashed_confirm_is_freed_by_housekeeping(
    store, deployment, clock, firestore_client, valid_signup
):
    signup_id = signed_up(store, deployment, clock, firestore_client, valid_signup)
    store.claim_seat("dorp", 10, signup_id, clock.now())  # ... and the instance dies
    clock.current += timedelta(minutes=59)
    run_housekeeping(deployment=deployment, store=store, clock=clock, keys=KEYS)
    assert len(documents(firestore_client, GROUP_SEATS)) == 1
    clock.current += timedelta(minutes=2)
    assert (
        run_housekeeping(deployment=deployment, store=store, clock=clock, keys=KEYS)["orphan_seats"]
        == 1
    )
    assert documents(firestore_client, GROUP_SEATS) == {}
