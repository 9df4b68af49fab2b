"""The resident's journey after signing up: confirm, added to the group, leave.

Every step is a write that cannot race (see store.py): it is made against the sign-up as it was
read, and a writer that finds the sign-up changed reads again and decides again. The mail that
announces a step has a fixed id, so even a stale step can never send it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..common.clock import Clock
from ..common.contacts import wa_me_url
from ..deployment.people import People
from ..deployment.structure import Deployment, Group, Person
from ..mail.cards import member_card, removal_card
from ..mail.catalogue import MailTemplate
from ..mail_ids import join_nudge_id, removal_notice_id, step_copy_id, step_mail_id, welcome_mail_id
from ..model import MailStatus, Signup, SignupStatus, mail_document
from ..store import Conflict, Seat, Store
from ..store import SignupGone as DocumentGone
from . import ResidentsError

log = logging.getLogger(__name__)


class SignupGone(ResidentsError):
    """The sign-up does not exist (any more): erased, expired, or never there."""


class NotConfirmed(ResidentsError):
    """The coordinator's link was used for a sign-up that has not been confirmed."""


class StepRaced(ResidentsError):
    """Other writers kept changing the sign-up: the step was not taken (try again)."""


class NotInGroup(ResidentsError):
    """The sign-up is not (or no longer) placed in the group a coordinator acts for."""


@dataclass(frozen=True, slots=True)
class Placement:
    group: Group | None  # None: no group could take the resident; the regiegroep decides
    seat: Seat | None = None  # the place taken now (None when recorded earlier)

    def recipients(self, people: People) -> tuple[Person, ...]:
        """Who adds the resident: the group's coordinator; the regiegroep when there is no
        group, or the group has no coordinator right now (between two of them)."""
        coordinator = people.coordinator_of(self.group.id) if self.group else None
        return (coordinator,) if coordinator else people.regiegroep


@dataclass(frozen=True, slots=True)
class StepResult:
    name: str
    group_name: str | None
    already: bool  # the step had been taken before; nothing changed now
    # The group takes new members by its invite link (invite mode): the resident asks to join
    # through their /join link, and the coordinator approves the request.
    invite: bool = False


# How often a step is decided again after losing a race; a handful of residents clicking at
# once settle in one or two rounds.
ROUNDS = 5


def confirm(
    signup_id: str,
    *,
    deployment: Deployment,
    store: Store,
    clock: Clock,
    people: People | None = None,
) -> StepResult:
    """pending -> confirmed: place the resident in a group and alert its coordinator.

    ``people``: the current coordinators (Runtime.people); None takes those the deployment
    file names, as a local run or a test without a ``people/current`` document does.
    """
    people = people or People.from_deployment(deployment)
    for round_number in range(ROUNDS):
        signup = existing_signup(store, signup_id)
        if not signup.status.can_become(SignupStatus.CONFIRMED):
            return _result(signup, deployment, already=True)
        now = clock.now()
        # The place is taken in the commit itself on the first round (three round trips: the
        # sign-up, the places counted while the invite links are read, the commit). A commit
        # that fails may have lost that place to another confirm: later rounds claim one
        # first, looking past taken ones, so that many confirms at once all find room.
        in_commit = round_number == 0
        groups = _area_groups(signup, deployment)
        with ThreadPoolExecutor(max_workers=1) as reader:
            links = reader.submit(store.group_invites, [group.id for group in groups])
            placement = _place(signup, store, now, groups, in_commit=in_commit)
            invite = placement.group is not None and placement.group.id in links.result()
        confirmed = replace(
            signup,
            status=SignupStatus.CONFIRMED,
            group=placement.group.id if placement.group else None,
            seat=placement.seat.id if placement.seat else None,
            confirmed_at=now,
            updated_at=now,
        )
        mails = coordinator_mails(
            MailTemplate.COORDINATOR_ALERT,
            signup,
            placement,
            people,
            places_taken(placement, store),
            now,
            invite=invite,
        )
        if invite:
            mails.append(_welcome(signup, placement, people, now))
        seat = placement.seat if in_commit else None
        try:
            store.advance_signup(signup, changes(signup, confirmed), mails, now, seat=seat)
        except (Conflict, DocumentGone):
            # Changed meanwhile (confirmed by another click, erased, a mail re-sent), or the
            # place was taken: give a claimed place back and decide again on what is there now.
            if placement.seat and not in_commit:
                store.release_seat(placement.seat.id)
            continue
        log.info(
            "sign-up confirmed",
            extra={"signup_id": signup_id, "group": confirmed.group or "regiegroep"},
        )
        return replace(_result(confirmed, deployment, already=False), invite=invite)
    raise StepRaced(signup_id)


def _welcome(
    signup: Signup, placement: Placement, people: People, now: datetime
) -> tuple[str, dict[str, object]]:
    """To a resident placed in an invite-mode group: their /join link, and who approves."""
    step = step_mail_id(signup.id, signup.revision + 1)
    return welcome_mail_id(step), _way_in_mail(
        MailTemplate.WELCOME, signup, placement.group, people, now
    )


def join_nudge(
    signup: Signup, group: Group, people: People, now: datetime
) -> tuple[str, dict[str, object]]:
    """To a resident of an invite-mode group not added after some days: ask to join again."""
    step = step_mail_id(signup.id, signup.revision + 1)
    return join_nudge_id(step), _way_in_mail(MailTemplate.JOIN_REMINDER, signup, group, people, now)


def _way_in_mail(
    template: MailTemplate, signup: Signup, group: Group | None, people: People, now: datetime
) -> dict[str, object]:
    """A mail that carries the resident's /join link (compose.py) and names who approves."""
    coordinator = people.coordinator_of(group.id) if group else None
    return mail_document(
        template=template,
        to=signup.email,
        data={
            "name": signup.name,
            "group_name": group.name if group else None,
            "coordinator_name": coordinator.name if coordinator else None,
        },
        signup_id=signup.id,
        now=now,
    )


def mark_added(
    signup_id: str,
    *,
    deployment: Deployment,
    store: Store,
    clock: Clock,
    in_group: str | None = None,
) -> StepResult:
    """confirmed -> active: the coordinator added the resident; tell the resident.

    ``in_group``: the group a coordinator's page acts for; NotInGroup when the sign-up is
    placed elsewhere (a forged form field must not reach another group's member).
    """
    for _round in range(ROUNDS):
        signup = existing_signup(store, signup_id)
        if in_group is not None and signup.group != in_group:
            raise NotInGroup(signup_id)
        if signup.status is SignupStatus.ACTIVE:
            return _result(signup, deployment, already=True)
        if not signup.status.can_become(SignupStatus.ACTIVE):
            raise NotConfirmed(signup_id)
        now = clock.now()
        group = group_of(signup, deployment)
        mail = mail_document(
            template=MailTemplate.ADDED,
            to=signup.email,
            data={"name": signup.name, "group_name": group.name if group else None},
            signup_id=signup_id,
            now=now,
        )
        active = replace(
            signup,
            status=SignupStatus.ACTIVE,
            added_at=now,
            updated_at=now,
            check_due_at=next_check(deployment, now),
            # A sign-up from before the rules were sent by version: from now on new rules reach
            # this member (group_rules.py finds members by this field).
            rules_offered=signup.rules_offered or signup.accepted.rules,
        )
        mails = [(step_mail_id(signup_id, signup.revision + 1), mail)]
        try:
            store.advance_signup(signup, changes(signup, active), mails, now)
        except Conflict:
            continue
        except DocumentGone:
            raise SignupGone(signup_id) from None
        log.info("member added", extra={"signup_id": signup_id})
        return _result(active, deployment, already=False)
    raise StepRaced(signup_id)


def leave(
    signup_id: str,
    *,
    deployment: Deployment,
    store: Store,
    clock: Clock,
    people: People | None = None,
) -> bool:
    """Erase the resident (AVG art. 17) and tell them and their coordinator. False: nothing
    was left to erase."""
    return erase(
        signup_id, reason="left", deployment=deployment, store=store, clock=clock, people=people
    )


def erase(
    signup_id: str,
    *,
    reason: str,
    deployment: Deployment,
    store: Store,
    clock: Clock,
    notify: bool = True,
    only_if: SignupStatus | None = None,
    people: People | None = None,
    only_while: Callable[[Signup], bool] | None = None,
    count: str | None = None,
) -> bool:
    """Delete the sign-up, its keys, its place and its mail; keep only that it happened.

    ``only_if``: erase only while the sign-up is in that state (expiry must not erase a
    resident who confirmed a moment ago); ``only_while``: only while it holds on the sign-up as
    read (a lapse must not erase a member whose "yes" came in a moment ago). False when there
    was nothing (left) to erase.
    """
    people = people or People.from_deployment(deployment)
    for attempt in range(ROUNDS):
        signup = store.get_signup(signup_id)
        if signup is None or (only_if is not None and signup.status is not only_if):
            return False
        if only_while is not None and not only_while(signup):
            return False  # decided again on this read: a "yes" may have come in meanwhile
        # The household is read with the mail (one round trip): whether the resident's
        # address still takes part after they go (store.py, tallies.py). The first round
        # takes queued mail for not yet claimed by a delivery, without reading the claims
        # (three round trips in all); the batch checks it, and a later round reads them.
        with ThreadPoolExecutor(max_workers=1) as reader:
            household = reader.submit(
                store.household if signup.status is SignupStatus.ACTIVE else _none, signup
            )
            mails = store.mail_of_signup(signup_id, read_claims=attempt > 0)
        now = clock.now()
        erasure: dict[str, object] = {
            "reason": reason,
            "status": signup.status.value,
            "group": signup.group,
            "signed_up_at": signup.created_at,
            "erased_at": now,
        }
        told = coordinator_told(signup, mails)
        notices = _erasure_notices(signup, told, deployment, people, now) if notify else []
        removal = _removal_task(signup, now) if told else None
        try:
            store.erase_signup(
                signup, mails, erasure, notices, now, removal, count, household.result()
            )
        except Conflict:
            continue
        log.info("sign-up erased", extra={"signup_id": signup_id, "reason": reason})
        return True
    raise StepRaced(signup_id)


def _none(_signup: Signup) -> None:
    """No household to read: only an active member's going can change whether it takes part."""


# A member who left stays on their coordinator's page (name and number, nothing else) until
# the coordinator clicks "verwijderd"; Firestore's TTL deletes the task after this long in any
# case, so that a number never outstays its purpose by long.
REMOVAL_LIFETIME = timedelta(days=30)


def _removal_task(signup: Signup, now: datetime) -> tuple[str, dict[str, object]] | None:
    """The number to take out of the group, for a member who was in it; None for anyone not
    added (the removal notice still tells the coordinator not to add them). Named for the
    leave's step: a retried erasure cannot make two."""
    if signup.status is not SignupStatus.ACTIVE or not signup.group:
        return None
    task: dict[str, object] = {
        "group": signup.group,
        "name": signup.name,
        "phone": signup.phone,
        "subject_keys": list(signup.keys),  # an erasure request finds it (privacy/erasure.py)
        "left_at": now,
        "expire_at": now + REMOVAL_LIFETIME,
    }
    return step_mail_id(signup.id, signup.revision + 1), task


# Erasure notices name the resident who left: they go within hours (see the outbox's retries),
# and Firestore's TTL deletes them after this long whatever their state, so that a failing
# transport cannot keep a name and number that the resident asked to erase. Long enough for a
# maintainer to requeue one after a weekend.
ERASURE_NOTICE_LIFETIME = timedelta(days=3)
_TOLD_COORDINATOR = (MailTemplate.COORDINATOR_ALERT, MailTemplate.COORDINATOR_REMINDER)


def coordinator_told(signup: Signup, mails: Mapping[str, Mapping[str, object]]) -> bool:
    """Whether whoever adds the resident to a group (coordinator or regiegroep) has heard of
    them, so that a removal notice makes sense to them.

    An alert still queued is deleted unsent by the erasure (which also takes its next claim,
    see Store.erase_signup): its recipient never hears of the resident. An alert that is gone
    was sent (or given up on) long enough ago for Firestore's TTL to remove it.
    """
    if signup.status is SignupStatus.ACTIVE:
        return True
    if signup.status is not SignupStatus.CONFIRMED:
        return False
    alerts = [mail for mail in mails.values() if mail.get("template") in _TOLD_COORDINATOR]
    if not alerts:
        return True
    return any(mail.get("status") == MailStatus.SENT or mail.get("in_flight") for mail in alerts)


def _erasure_notices(
    signup: Signup,
    coordinator_knows: bool,
    deployment: Deployment,
    people: People,
    now: datetime,
) -> list[tuple[str, dict[str, object]]]:
    """The goodbye to the resident and, if a coordinator knows them, the request to remove.

    These mails carry no ``signup_id`` (the sign-up is gone) but the resident's keys,
    so that an erasure request finds them, and they expire soon whatever their state. The
    goodbye quotes nothing typed: the address may never have been confirmed.
    """
    keep_until = now + ERASURE_NOTICE_LIFETIME
    step = step_mail_id(signup.id, signup.revision + 1)
    goodbye = mail_document(
        template=MailTemplate.LEFT,
        to=signup.email,
        data={},
        now=now,
        subject_keys=signup.keys,
        keep_until=keep_until,
    )
    notices = [(step, goodbye)]
    if not coordinator_knows:
        return notices
    placement = placement_of(signup, deployment)
    group = placement.group
    for number, person in enumerate(placement.recipients(people)):
        data: dict[str, object] = {
            "recipient_name": person.name,
            "member": removal_card(signup),
            "group_name": group.name if group else None,
            "was_added": signup.status is SignupStatus.ACTIVE,
            **_page_of(group, person, people),
        }
        template = MailTemplate.COORDINATOR_REMOVE
        notices.append(
            (
                removal_notice_id(step, number),
                mail_document(
                    template=template,
                    to=person.email,
                    data=data,
                    now=now,
                    subject_keys=signup.keys,
                    keep_until=keep_until,
                ),
            )
        )
    return notices


def coordinator_mails(
    template: str,
    signup: Signup,
    placement: Placement,
    people: People,
    member_count: int | None,
    now: datetime,
    extra: Mapping[str, object] | None = None,
    *,
    invite: bool = False,
) -> list[tuple[str, dict[str, object]]]:
    """What a coordinator needs to add the resident, to each person who should add them.

    ``member_count``: the places taken in the group (see places_taken), None without a group.
    ``invite``: the group has an invite link, so the resident will ask to join by it: the mail
    names the request to approve (name, the number's last three digits), and keeps the card
    and the chat link for a resident whose settings or phone get in the way.
    """
    group = placement.group
    mails = []
    for number, person in enumerate(placement.recipients(people)):
        data = {
            "recipient_name": person.name,
            "member": member_card(signup),
            "group_name": group.name if group else None,
            "member_count": member_count,
            "capacity": group.capacity if group else None,
            "fallback": group is None,
            "wa_me_url": wa_me_url(signup.phone),
            "invite": invite and group is not None,
            "phone_end": signup.phone[-3:],
            **_page_of(group, person, people),
            **(extra or {}),
        }
        mail = mail_document(
            template=template, to=person.email, data=data, signup_id=signup.id, now=now
        )
        # The first is the step's own mail, which fences it (see store.py).
        step = step_mail_id(signup.id, signup.revision + 1)
        mails.append((step_copy_id(step, number), mail))
    return mails


def _page_of(group: Group | None, person: Person, people: People) -> dict[str, object]:
    """``group_id`` when ``person`` coordinates ``group``: the mail then carries a fresh link to
    their group's page (made at delivery, mail/compose.py). A regiegroep member standing in for
    a group without a coordinator gets no page: it is the coordinator's."""
    if group is None or people.coordinator_of(group.id) != person:
        return {}
    return {"group_id": group.id}


def places_taken(placement: Placement, store: Store) -> int | None:
    """How full the resident's group is, for the coordinator's mail: as counted when the place
    was claimed, else counted now; None without a group."""
    if placement.group is None:
        return None
    if placement.seat is not None:
        return placement.seat.taken
    return store.count_seats(placement.group.id)


def placement_of(signup: Signup, deployment: Deployment) -> Placement:
    """Where a confirmed sign-up was placed, as recorded on it."""
    return Placement(group=group_of(signup, deployment))


def group_of(signup: Signup, deployment: Deployment) -> Group | None:
    """The group the sign-up was placed in; None if none (or no longer configured)."""
    return deployment.group(signup.group) if signup.group else None


def _area_groups(signup: Signup, deployment: Deployment) -> tuple[Group, ...]:
    """The groups of the resident's area, worked out again from the address, so that a changed
    configuration applies to sign-ups confirmed after the change."""
    address = signup.address
    area = deployment.area_at(address.postcode, address.street, address.house_number)
    return deployment.groups_in(area.id) if area else ()


def _place(
    signup: Signup, store: Store, now: datetime, groups: tuple[Group, ...], *, in_commit: bool
) -> Placement:
    """The first of ``groups`` (the area's) with a free place; else the regiegroep.
    ``in_commit``: the place to take in the step's commit, not yet taken."""
    for group in groups:
        if in_commit:
            seat = store.seat_to_take(group.id, group.capacity)
        else:
            seat = store.claim_seat(group.id, group.capacity, signup.id, now)
        if seat is not None:
            return Placement(group=group, seat=seat)
    return Placement(group=None)


def next_check(deployment: Deployment, since: datetime) -> datetime | None:
    """When a member who joined (or said "yes") at ``since`` is asked again; None: never."""
    days = deployment.initiative.reconfirm_after_days
    return since + timedelta(days=days) if days > 0 else None


def changes(before: Signup, after: Signup) -> dict[str, object]:
    """The fields of the stored document that a step changed."""
    old, new = before.to_document(), after.to_document()
    return {name: value for name, value in new.items() if old.get(name) != value}


def existing_signup(store: Store, signup_id: str) -> Signup:
    signup = store.get_signup(signup_id)
    if signup is None:
        raise SignupGone(signup_id)
    return signup


def _result(signup: Signup, deployment: Deployment, *, already: bool) -> StepResult:
    group = group_of(signup, deployment)
    return StepResult(name=signup.name, group_name=group.name if group else None, already=already)
