"""An erasure request (AVG art. 17): one person, found by e-mail address or phone number, taken
out of every collection that can hold them.

A person can be in several places at once, under keys that lead to each other: a sign-up
found by phone brings its e-mail address, an application under that address its own number.
So the keys grow with what is found (at most a few rounds), and then everything is erased:

- **the sign-up**, as leaving erases it (membership.erase): its keys, place and unsent mail;
  the resident gets the goodbye and their coordinator the request to remove the number;
- **coordinator applications**, with their keys and unsent mail;
- **mail about them** that holds their identity keys: notices of an earlier leave, a handover
  that lists them, an application digest that names them;
- **removal tasks that name them** (a coordinator's page lists a member who left until the
  number is out of the group): those of an earlier leave; this erasure's own task stays, as
  its notices do, because the number must still leave the WhatsApp group;
- **unsent mail to them**: an alert to them as coordinator, a digest as regiegroep member;
- **the day markers of their mailbox**: form mail already sent holds no address, but its id
  (``form-<mailbox key>-<date>``) and its claims name the mailbox;
- **their place among the people** (a group's coordinator, the regiegroep): only when the
  maintainer says so, because a group then has nobody to add its residents until a new
  coordinator is set. Without that, nothing is erased and ``StillServing`` names the roles.

Mail already sent is scrubbed of address and contents (mail/outbox.py); the notices this
erasure queues expire within days whatever happens to them (membership.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from ..common.clock import Clock
from ..common.personal_keys import PersonalKeys
from ..coordinators.changes import remove_person
from ..deployment.structure import Deployment, Person
from ..forms.mail_quota import LOOK_AHEAD_DAYS
from ..mail.outbox import KEEP_SENT
from ..mail_ids import form_mail_id
from ..residents.membership import erase
from ..store import Store
from . import PrivacyError

log = logging.getLogger(__name__)

# Rounds of following keys to more keys: a sign-up and an application under another address
# or number are two steps; nothing links further.
KEY_ROUNDS = 4


class StillServing(PrivacyError):
    """The person coordinates a group or sits in the regiegroep; ``roles`` says where."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        super().__init__(", ".join(roles))
        self.roles = roles


@dataclass(slots=True)
class ErasureReport:
    """What an erasure request removed, by kind (counts; never a name)."""

    signups: int = 0
    applications: int = 0
    mail_about: int = 0  # notices, handovers, digests that named them
    mail_to: int = 0  # unsent mail addressed to them
    removals: int = 0  # removal tasks of an earlier leave that named them
    mailbox_markers: int = 0  # sent form mail (and its claims) named for their mailbox
    roles: tuple[str, ...] = field(default=())  # removed from: "coordinator of <group>", ...

    @property
    def found(self) -> bool:
        return any(
            (
                self.signups,
                self.applications,
                self.mail_about,
                self.mail_to,
                self.removals,
                self.mailbox_markers,
                self.roles,
            )
        )


def erase_person(
    *,
    email: str | None = None,
    phone: str | None = None,
    remove_from_people: bool = False,
    deployment: Deployment,
    store: Store,
    clock: Clock,
    keys: PersonalKeys,
) -> ErasureReport:
    """Erase everything that holds the person with this (normalised) address or number.

    StillServing when they coordinate a group or sit in the regiegroep and
    ``remove_from_people`` is not set: then nothing at all is erased.
    """
    identity = {keys.email(email)} if email else set()
    identity |= {keys.phone(phone)} if phone else set()
    addresses = {email} if email else set()
    people = store.current_people(deployment)
    signup = None
    applications: dict[str, dict[str, object]] = {}
    for _round in range(KEY_ROUNDS):
        before = set(identity)
        signup = store.find_signup_by_identity(sorted(identity))
        if signup is not None:
            identity |= set(signup.keys)
            addresses.add(signup.email)
        for application_id, application in store.applications_by_identity(sorted(identity)):
            applications[application_id] = application
            identity |= {str(key) for key in application.get("keys") or ()}
            addresses.add(str(application["email"]))
        if identity == before:
            break

    def is_them(person: Person) -> bool:
        return bool(set(keys.identity(person.email, person.phone)) & identity)

    _, roles = people.without(is_them)
    if roles and not remove_from_people:
        raise StillServing(roles)

    report = ErasureReport()
    # First the mail about an earlier erasure, so that the notices of this one stay.
    report.mail_about = sum(store.erase_mail_about(key) for key in sorted(identity))
    report.removals = sum(store.erase_removals_about(key) for key in sorted(identity))
    report.mail_to = store.erase_mail_to(sorted(addresses))
    if signup is not None and erase(
        signup.id,
        reason="request",
        deployment=deployment,
        store=store,
        clock=clock,
        people=people,
    ):
        report.signups = 1
    report.applications = sum(store.erase_application(a) for a in applications)
    report.mailbox_markers = store.erase_sent_form_mail(
        _mailbox_mail_ids({keys.mailbox(address) for address in addresses}, clock)
    )
    if roles:
        report.roles = remove_person(is_them, deployment=deployment, store=store, clock=clock)
    log.info(
        "erasure request done",
        extra={
            "signups": report.signups,
            "applications": report.applications,
            "mail_about": report.mail_about,
            "mail_to": report.mail_to,
            "removals": report.removals,
            "mailbox_markers": report.mailbox_markers,
            "roles": len(report.roles),
        },
    )
    return report


def _mailbox_mail_ids(mailbox_keys: set[str], clock: Clock) -> list[str]:
    """The ids the forms' mail to these mailboxes can have now: a day of mail is kept
    ``KEEP_SENT`` after it was sent, and may be queued up to ``LOOK_AHEAD_DAYS`` ahead."""
    today = clock.now().date()
    days = [
        today + timedelta(days=offset) for offset in range(-KEEP_SENT.days - 1, LOOK_AHEAD_DAYS + 1)
    ]
    return [form_mail_id(key, day) for key in sorted(mailbox_keys) for day in days]
