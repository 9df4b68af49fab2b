"""The resident's journey after signing up: confirm, added to the group, leave.

Every step is a write that cannot race (see store.py): it is made against the sign-up as it was
read, and a writer that finds the sign-up changed reads again and decides again. The mail that
announces a step has a fixed id, so even a stale step can never send it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from .clock import Clock
from .config import Deployment, Group, Person, parse_house_number
from .contacts import phone_display, wa_me_url
from .mail.catalogue import MailTemplate
from .model import (
    MailStatus,
    SignupStatus,
    identity_keys,
    mail_document,
    signup_mail_id,
)
from .store import Conflict, SignupGone, Store

log = logging.getLogger(__name__)


class NotConfirmed(Exception):
    """The coordinator's link was used for a sign-up that has not been confirmed."""


@dataclass(frozen=True, slots=True)
class Placement:
    group: Group | None  # None: no group could take the resident; the regiegroep decides
    seat: str | None

    def recipients(self, deployment: Deployment) -> tuple[Person, ...]:
        return (self.group.coordinator,) if self.group else deployment.regiegroep


@dataclass(frozen=True, slots=True)
class StepResult:
    name: str
    group_name: str | None
    already: bool  # the step had been taken before; nothing changed now


# How often a step is decided again after losing a race; a handful of residents clicking at
# once settle in one or two rounds.
ROUNDS = 5


def confirm(signup_id: str, *, deployment: Deployment, store: Store, clock: Clock) -> StepResult:
    """pending -> confirmed: place the resident in a group and alert its coordinator."""
    for _round in range(ROUNDS):
        signup = existing_signup(store, signup_id)
        status = SignupStatus(str(signup["status"]))
        if not status.can_become(SignupStatus.CONFIRMED):
            return _result(signup, deployment, already=True)
        now = clock.now()
        placement = _place(signup_id, signup, deployment, store, now)
        fields = {
            "status": SignupStatus.CONFIRMED.value,
            "group": placement.group.id if placement.group else None,
            "seat": placement.seat,
            "confirmed_at": now,
            "updated_at": now,
        }
        mails = coordinator_mails(
            MailTemplate.COORDINATOR_ALERT, signup_id, signup, placement, deployment, store, now
        )
        try:
            store.advance_signup(signup_id, signup, fields, mails, now)
        except (Conflict, SignupGone):
            # Changed meanwhile (confirmed by another click, erased, a mail re-sent): give the
            # place back and decide again on what is there now.
            if placement.seat:
                store.release_seat(placement.seat)
            continue
        log.info(
            "sign-up confirmed",
            extra={"signup_id": signup_id, "group": fields["group"] or "regiegroep"},
        )
        return _result({**signup, **fields}, deployment, already=False)
    raise Conflict(signup_id)


def mark_added(signup_id: str, *, deployment: Deployment, store: Store, clock: Clock) -> StepResult:
    """confirmed -> active: the coordinator added the resident; tell the resident."""
    for _round in range(ROUNDS):
        signup = existing_signup(store, signup_id)
        status = SignupStatus(str(signup["status"]))
        if status is SignupStatus.ACTIVE:
            return _result(signup, deployment, already=True)
        if not status.can_become(SignupStatus.ACTIVE):
            raise NotConfirmed(signup_id)
        now = clock.now()
        group = deployment.group_of(signup)
        mail = mail_document(
            template=MailTemplate.ADDED,
            to=str(signup["email"]),
            data={"name": signup["name"], "group_name": group.name if group else None},
            signup_id=signup_id,
            now=now,
        )
        fields = {"status": SignupStatus.ACTIVE.value, "added_at": now, "updated_at": now}
        try:
            store.advance_signup(
                signup_id,
                signup,
                fields,
                [(signup_mail_id(signup_id, MailTemplate.ADDED), mail)],
                now,
            )
        except Conflict:
            continue
        log.info("member added", extra={"signup_id": signup_id})
        return _result({**signup, **fields}, deployment, already=False)
    raise Conflict(signup_id)


def leave(signup_id: str, *, deployment: Deployment, store: Store, clock: Clock) -> bool:
    """Erase the resident (AVG art. 17) and tell them and their coordinator. False: nothing
    was left to erase."""
    return erase(signup_id, reason="left", deployment=deployment, store=store, clock=clock)


def erase(
    signup_id: str,
    *,
    reason: str,
    deployment: Deployment,
    store: Store,
    clock: Clock,
    notify: bool = True,
    only_if: SignupStatus | None = None,
) -> bool:
    """Delete the sign-up, its keys, its place and its mail; keep only that it happened.

    ``only_if``: erase only while the sign-up is in that state (expiry must not erase a
    resident who confirmed a moment ago). False when there was nothing (left) to erase.
    """
    for _round in range(ROUNDS):
        signup = store.get_signup(signup_id)
        if signup is None or (only_if is not None and signup.get("status") != only_if):
            return False
        mails = store.mail_of_signup(signup_id)
        now = clock.now()
        erasure = {
            "reason": reason,
            "status": signup.get("status"),
            "group": signup.get("group"),
            "signed_up_at": signup.get("created_at"),
            "erased_at": now,
        }
        notices = (
            _erasure_notices(signup_id, signup, coordinator_told(signup, mails), deployment, now)
            if notify
            else []
        )
        try:
            store.erase_signup(signup_id, signup, mails, erasure, notices, now)
        except Conflict:
            continue
        log.info("sign-up erased", extra={"signup_id": signup_id, "reason": reason})
        return True
    raise Conflict(signup_id)


# Erasure notices name the resident who left: they go within hours (see the outbox's retries),
# and Firestore's TTL deletes them after this long whatever their state, so that a failing
# transport cannot keep a name and number that the resident asked to erase. Long enough for a
# maintainer to requeue one after a weekend.
ERASURE_NOTICE_LIFETIME = timedelta(days=3)
_TOLD_COORDINATOR = (MailTemplate.COORDINATOR_ALERT, MailTemplate.COORDINATOR_REMINDER)


def coordinator_told(
    signup: Mapping[str, object], mails: Mapping[str, Mapping[str, object]]
) -> bool:
    """Whether whoever adds the resident to a group (coordinator or regiegroep) has heard of
    them, so that a removal notice makes sense to them.

    An alert still queued is deleted unsent by the erasure (which also takes its next claim,
    see Store.erase_signup): its recipient never hears of the resident. An alert that is gone
    was sent (or given up on) long enough ago for Firestore's TTL to remove it.
    """
    status = signup.get("status")
    if status == SignupStatus.ACTIVE:
        return True
    if status != SignupStatus.CONFIRMED:
        return False
    alerts = [mail for mail in mails.values() if mail.get("template") in _TOLD_COORDINATOR]
    if not alerts:
        return True
    return any(mail.get("status") in (MailStatus.SENT, MailStatus.SENDING) for mail in alerts)


def _erasure_notices(
    signup_id: str,
    signup: dict[str, object],
    coordinator_knows: bool,
    deployment: Deployment,
    now: datetime,
) -> list[tuple[str, dict[str, object]]]:
    """The goodbye to the resident and, if a coordinator knows them, the request to remove.

    These mails carry no ``signup_id`` (the sign-up is gone) but the resident's hashed keys,
    so that an erasure request finds them, and they expire soon whatever their state. The
    goodbye quotes nothing typed: the address may never have been confirmed.
    """
    keys = identity_keys(str(signup["email"]), str(signup["phone"]))
    keep_until = now + ERASURE_NOTICE_LIFETIME
    notices = [
        (
            f"erasure-{signup_id}-{MailTemplate.LEFT}",
            mail_document(
                template=MailTemplate.LEFT,
                to=str(signup["email"]),
                data={},
                now=now,
                subject_keys=keys,
                keep_until=keep_until,
            ),
        )
    ]
    if not coordinator_knows:
        return notices
    placement = placement_of(signup, deployment)
    group = placement.group
    for number, person in enumerate(placement.recipients(deployment)):
        data = {
            "recipient_name": person.name,
            "member": {
                "name": signup["name"],
                "phone_display": phone_display(str(signup["phone"])),
            },
            "group_name": group.name if group else None,
            "was_added": signup.get("status") == SignupStatus.ACTIVE,
        }
        notices.append(
            (
                f"erasure-{signup_id}-{MailTemplate.COORDINATOR_REMOVE}-{number}",
                mail_document(
                    template=MailTemplate.COORDINATOR_REMOVE,
                    to=person.email,
                    data=data,
                    now=now,
                    subject_keys=keys,
                    keep_until=keep_until,
                ),
            )
        )
    return notices


def coordinator_mails(
    template: str,
    signup_id: str,
    signup: dict[str, object],
    placement: Placement,
    deployment: Deployment,
    store: Store,
    now: datetime,
    extra: Mapping[str, object] | None = None,
) -> list[tuple[str, dict[str, object]]]:
    """What a coordinator needs to add the resident, to each person who should add them."""
    group = placement.group
    phone = str(signup["phone"])
    postcode = str(signup["postcode"])
    member = {
        "name": signup["name"],
        "street": signup["street"],
        "house_number": signup["house_number"],
        "postcode_display": f"{postcode[:4]} {postcode[4:]}",
        "phone": phone,
        "phone_display": phone_display(phone),
        "email": signup["email"],
        "remarks": signup.get("remarks") or "",
    }
    mails = []
    for number, person in enumerate(placement.recipients(deployment)):
        data = {
            "recipient_name": person.name,
            "member": member,
            "group_name": group.name if group else None,
            "member_count": store.count_seats(group.id) if group else None,
            "capacity": group.capacity if group else None,
            "fallback": group is None,
            "wa_me_url": wa_me_url(phone),
            **(extra or {}),
        }
        mail = mail_document(
            template=template, to=person.email, data=data, signup_id=signup_id, now=now
        )
        mails.append((signup_mail_id(signup_id, template, number), mail))
    return mails


def placement_of(signup: dict[str, object], deployment: Deployment) -> Placement:
    """Where a confirmed sign-up was placed, as recorded on it."""
    return Placement(group=deployment.group_of(signup), seat=None)


def _place(
    signup_id: str, signup: dict[str, object], deployment: Deployment, store: Store, now: datetime
) -> Placement:
    """The first group of the resident's area with a free place; else the regiegroep.

    The area is worked out again from the address, so that a changed configuration applies to
    sign-ups confirmed after the change.
    """
    parsed = parse_house_number(str(signup["house_number"]))
    area = (
        deployment.area_for(str(signup["postcode"]), str(signup["street"]), parsed[0])
        if parsed
        else None
    )
    for group in deployment.groups_in(area.id) if area else ():
        seat = store.claim_seat(group.id, group.capacity, signup_id, now)
        if seat is not None:
            return Placement(group=group, seat=seat)
    return Placement(group=None, seat=None)


def existing_signup(store: Store, signup_id: str) -> dict[str, object]:
    signup = store.get_signup(signup_id)
    if signup is None:
        raise SignupGone(signup_id)
    return signup


def _result(signup: dict[str, object], deployment: Deployment, *, already: bool) -> StepResult:
    group = deployment.group_of(signup)
    return StepResult(
        name=str(signup["name"]), group_name=group.name if group else None, already=already
    )
