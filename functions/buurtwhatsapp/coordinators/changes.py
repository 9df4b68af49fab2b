"""Changing who coordinates a group or sits in the regiegroep, and the handover it brings.

A new coordinator of a group gets what they need to take over its WhatsApp group: every active
member's name, address and wa.me link, and one vCard holding them all. The coordinator they
follow gets a thank-you that asks them to make the new one a group admin. Residents who
confirmed but are not yet added are announced again, to the new coordinator.

Every change makes a new version of ``people/current`` (see Store.replace_people), so two
maintainers changing at once cannot overwrite each other unseen: the second reads again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..common.clock import Clock
from ..common.personal_keys import PersonalKeys
from ..deployment.people import People
from ..deployment.structure import MAX_REGIEGROEP, Deployment, Group, Person
from ..mail.cards import contact_card, handover_card
from ..mail.catalogue import MailTemplate
from ..mail_ids import handover_mail_id
from ..model import SignupStatus, mail_document
from ..residents.membership import Placement, coordinator_mails
from ..store import Conflict, PeopleChanged, SignupGone, Store
from . import CoordinatorsError

log = logging.getLogger(__name__)

# The handover mail names every member of the group. It goes within seconds; if delivery keeps
# failing, Firestore's TTL deletes it after this long, so that the names cannot linger in a
# failing mail. A maintainer can requeue it in that time. It carries the members' keys,
# so that an erasure request (infra/maintain signups erase) deletes it while unsent; a member
# who leaves through the link in those seconds is named in it once more.
HANDOVER_MAIL_LIFETIME = timedelta(days=3)
# Rounds of reading again after another maintainer changed the people (or a resident their
# sign-up) between read and write.
ROUNDS = 5


class UnknownGroup(CoordinatorsError, ValueError):
    """No group of the deployment has this id."""


class ChangeRaced(CoordinatorsError):
    """Other maintainers kept changing the people: this change was not stored (try again)."""


@dataclass(frozen=True, slots=True)
class PeopleChange:
    changed: bool  # False: the people were so already; nothing written, nobody mailed
    version: int
    mails: int = 0  # handover and thank-you mails queued
    reannounced: int = 0  # residents announced again to the new coordinator
    people: People | None = None  # as stored now (seed_people; None: nobody stored)


def set_coordinator(
    group_id: str,
    person: Person,
    *,
    deployment: Deployment,
    store: Store,
    clock: Clock,
    keys: PersonalKeys,
) -> PeopleChange:
    """Make ``person`` the coordinator of the group, with the handover if someone else was."""
    group = deployment.group(group_id)
    if group is None:
        raise UnknownGroup(group_id)
    for _round in range(ROUNDS):
        current = store.current_people(deployment)
        before = current.coordinator_of(group.id)
        if before == person:
            return PeopleChange(changed=False, version=current.version)
        new = replace(
            current,
            coordinators={**current.coordinators, group.id: person},
            version=current.version + 1,
        )
        now = clock.now()
        handover = before is None or before.email.casefold() != person.email.casefold()
        mails = _handover_mails(group, before, person, new, store, keys, now) if handover else []
        change = {"kind": "coordinator", "group": group.id, "handover": handover}
        try:
            store.replace_people(new, change, mails, now)
        except PeopleChanged:
            continue
        reannounced = _reannounce(group, new, store=store, clock=clock) if handover else 0
        log.info(
            "coordinator changed",
            extra={"group": group.id, "version": new.version, "reannounced": reannounced},
        )
        return PeopleChange(
            changed=True, version=new.version, mails=len(mails), reannounced=reannounced
        )
    raise ChangeRaced(group_id)


def set_regiegroep(
    members: tuple[Person, ...], *, deployment: Deployment, store: Store, clock: Clock
) -> PeopleChange:
    """Make ``members`` (1 to MAX_REGIEGROEP, checked by the caller) the regiegroep."""
    if not 1 <= len(members) <= MAX_REGIEGROEP:
        raise ValueError(f"the regiegroep has 1 to {MAX_REGIEGROEP} members")
    for _round in range(ROUNDS):
        current = store.current_people(deployment)
        if current.regiegroep == members:
            return PeopleChange(changed=False, version=current.version)
        new = replace(current, regiegroep=members, version=current.version + 1)
        try:
            store.replace_people(new, {"kind": "regiegroep"}, [], clock.now())
        except PeopleChanged:
            continue
        log.info("regiegroep changed", extra={"version": new.version, "size": len(members)})
        return PeopleChange(changed=True, version=new.version)
    raise ChangeRaced("regiegroep")


def remove_person(
    is_them: Callable[[Person], bool], *, deployment: Deployment, store: Store, clock: Clock
) -> tuple[str, ...]:
    """Take the person ``is_them`` matches out of the people (an erasure request): as
    coordinator of any group, which then has none (the regiegroep adds its residents until a
    new one is set), and from the regiegroep. The roles removed; nobody is mailed."""
    for _round in range(ROUNDS):
        current = store.current_people(deployment)
        remaining, roles = current.without(is_them)
        if not roles:
            return ()
        new = replace(remaining, version=current.version + 1)
        change = {"kind": "erasure request", "roles": len(roles)}
        try:
            store.replace_people(new, change, [], clock.now())
        except PeopleChanged:
            continue
        log.info("person removed on request", extra={"version": new.version, "roles": len(roles)})
        return roles
    raise ChangeRaced("erasure request")


def seed_people(*, deployment: Deployment, store: Store, clock: Clock) -> PeopleChange:
    """Store the people a deployment file still names, once: the first deploy after the move
    to Firestore. Later changes go through the maintainer's command line, and a file that
    names people then changes nothing."""
    stored = store.read_people()
    if stored is not None:
        return PeopleChange(changed=False, version=stored.version, people=stored)
    seeded = replace(People.from_deployment(deployment), version=1)
    if seeded.is_empty:
        return PeopleChange(changed=False, version=0)
    try:
        store.replace_people(seeded, {"kind": "seeded from the deployment file"}, [], clock.now())
    except PeopleChanged:  # another deploy seeded at the same moment
        stored = store.read_people()
        return PeopleChange(changed=False, version=seeded.version, people=stored)
    return PeopleChange(changed=True, version=seeded.version, people=seeded)


def _handover_mails(
    group: Group,
    before: Person | None,
    after: Person,
    new: People,
    store: Store,
    keys: PersonalKeys,
    now: datetime,
) -> list[tuple[str, dict[str, object]]]:
    members = sorted(
        store.signups(status=SignupStatus.ACTIVE.value, group=group.id),
        key=lambda signup: (signup.address.street, signup.address.house_number, signup.name),
    )
    waiting = store.count_signups(status=SignupStatus.CONFIRMED.value, group=group.id)

    def mail(
        suffix: str,
        template: MailTemplate,
        to: Person,
        about: Sequence[str] = (),
        **data: object,
    ) -> tuple[str, dict[str, object]]:
        document = mail_document(
            template=template,
            to=to.email,
            data={"recipient_name": to.name, "group_name": group.name, **data},
            now=now,
            subject_keys=tuple(about),
            keep_until=now + HANDOVER_MAIL_LIFETIME,
        )
        return handover_mail_id(group.id, new.version, suffix), document

    mails = [
        mail(
            "new",
            MailTemplate.COORDINATOR_HANDOVER,
            after,
            # An erasure request of any member finds (and deletes) this mail while unsent.
            about=[key for member in members for key in member.keys],
            predecessor_name=before.name if before else None,
            members=[handover_card(member) for member in members],
            waiting_count=waiting,
            group_id=group.id,  # the new coordinator's page (mail/compose.py)
        )
    ]
    if before is not None:
        successor = contact_card(after)
        # It names the new coordinator: an erasure request of theirs finds it while unsent.
        about = keys.identity(after.email, after.phone)
        mails.append(
            mail("thanks", MailTemplate.COORDINATOR_THANKS, before, about, successor=successor)
        )
    return mails


def _reannounce(group: Group, people: People, *, store: Store, clock: Clock) -> int:
    """Announce every resident still waiting to be added to the group again, to whoever adds
    them now. Each goes as a step of its sign-up (fenced by its revision, see store.py), so an
    erasure meanwhile is never overtaken by a mail about the resident who left.

    A crash halfway leaves the rest unannounced; their coordinator reminder after three days
    goes to the new coordinator all the same.
    """
    announced = 0
    # Read after the change is stored: a resident who confirmed meanwhile was announced to
    # whoever a function still had cached, and is announced again here.
    waiting = store.signups(status=SignupStatus.CONFIRMED.value, group=group.id)
    taken = store.count_seats(group.id) if waiting else None
    invite = bool(waiting) and store.group_invite(group.id) is not None
    for signup in waiting:
        for _round in range(ROUNDS):
            now = clock.now()
            mails = coordinator_mails(
                MailTemplate.COORDINATOR_ALERT,
                signup,
                Placement(group=group),
                people,
                taken,
                now,
                extra={"handover": True},
                invite=invite,
            )
            try:
                store.advance_signup(signup, {"updated_at": now}, mails, now)
            except SignupGone:
                break
            except Conflict:
                fresh = store.get_signup(signup.id)
                if fresh is None or fresh.status is not SignupStatus.CONFIRMED:
                    break
                signup = fresh
                continue
            announced += 1
            break
    log.info(
        "waiting residents announced again",
        extra={"count": announced, "version": people.version},
    )
    return announced
