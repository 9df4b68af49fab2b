"""The documents this product stores, their collections and the states they move through.

Each document kind has one explicit state machine. Services change a state only through
``SignupStatus.can_become`` (and its mail counterpart), so that an illegal jump is a bug that
shows, not a silent overwrite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

# A document as Firestore hands it back: any field may hold any value.
Document = dict[str, Any]


def as_int(value: object, default: int = 0) -> int:
    """A whole number stored in a document (Firestore hands back int); ``default`` when the
    field is missing or holds anything else."""
    return value if isinstance(value, int) and not isinstance(value, bool) else default


SIGNUPS = "signups"
SIGNUP_KEYS = "signup_keys"
MAIL = "mail"
MAIL_CLAIMS = "mail_claims"
GROUP_SEATS = "group_seats"  # one document per occupied place in a WhatsApp group
ERASURES = "erasures"  # that (not whom) a sign-up was erased, and why; no personal data
APPLICATIONS = "applications"  # coordinator applications
APPLICATION_KEYS = "application_keys"  # hashed e-mail and phone of each application, unique
DIGESTS = "digests"  # one per month the regiegroep's digest went out: its figures, no names
# Numbered slots of hourly allowances (forms/mail_quota.py): mail per domain, alerts per hour.
MAIL_SLOTS = "mail_slots"
PEOPLE = "people"  # who coordinates: "current", and a document per version of it
CURRENT = "current"
# A group's way in: one document per group in invite mode, holding its WhatsApp invite link
# (group_doors.py). Read fresh wherever it is shown, never cached, never kept in a history.
GROUP_INVITES = "group_invites"
# The numbers a coordinator must still take out of a group after a member left (one document
# per leave): shown on the coordinator's page until they click "verwijderd", or the TTL ends it.
REMOVALS = "removals"
# What happened in a month, counted in the batch of each step (no names): one document per
# month, "2026-11", with a counter per event (MONTHLY_EVENTS).
MONTHLY = "monthly"
# The overview's counters (tallies.py): one document per street of the deployment's layout, and
# one per household with an active member (its presence is what counts the household).
TALLIES = "tallies"
HOUSEHOLDS = "households"
MONTHLY_EVENTS = (
    "checks_asked",
    "checks_reminded",
    "checks_yes",
    "checks_lapsed",
    "rules_accepted",
    "news_sent",
)
# One document per news item sent to members (residents/news.py): what it was, to whom, and
# when all its mails were queued; no names.
NEWS = "news"
# Documents in these collections carry ``expire_at``; Firestore's TTL deletes them then (the
# deploy switches the policy on for each).
EXPIRING = (MAIL, MAIL_CLAIMS, MAIL_SLOTS, APPLICATIONS, APPLICATION_KEYS, REMOVALS)


@dataclass(frozen=True, slots=True)
class CompositeIndex:
    """An index a query needs in Google Cloud, declared next to the query: its equality
    fields, then the field it ranges over or orders by, all ascending. The emulators neither
    need nor enforce one, so tests/integration/test_query_indexes.py runs every query and fails
    on one that needs an index not declared; the deploy creates what is declared."""

    collection: str
    fields: tuple[str, ...]


class SignupStatus(StrEnum):
    """pending -> confirmed -> active. Leaving or expiring deletes the sign-up in any state:
    erasure is not a status, because a status would have to keep the document."""

    PENDING = "pending"  # stored, e-mail address not yet confirmed
    CONFIRMED = "confirmed"  # address confirmed, waiting for the coordinator
    ACTIVE = "active"  # added to the WhatsApp group

    def can_become(self, target: SignupStatus) -> bool:
        return target in _SIGNUP_TRANSITIONS[self]


_SIGNUP_TRANSITIONS: dict[SignupStatus, frozenset[SignupStatus]] = {
    SignupStatus.PENDING: frozenset({SignupStatus.CONFIRMED}),
    SignupStatus.CONFIRMED: frozenset({SignupStatus.ACTIVE}),
    SignupStatus.ACTIVE: frozenset(),
}


MAX_MAIL_ATTEMPTS = 8


class MailStatus(StrEnum):
    """queued -> sent, or back to queued for a retry, or failed; a maintainer may queue a failed
    mail again. Being sent is no status: it is a claim with a lease (see mail/outbox.py)."""

    QUEUED = "queued"  # waiting for delivery (first try, or a retry once not_before has passed)
    SENT = "sent"
    FAILED = "failed"  # gave up; a maintainer can put it back in the queue

    def can_become(self, target: MailStatus) -> bool:
        return target in _MAIL_TRANSITIONS[self]


_MAIL_TRANSITIONS: dict[MailStatus, frozenset[MailStatus]] = {
    MailStatus.QUEUED: frozenset({MailStatus.SENT, MailStatus.QUEUED, MailStatus.FAILED}),
    # A delivery that outlived its lease may still report its success (see mail/outbox.py).
    MailStatus.SENT: frozenset({MailStatus.SENT}),
    MailStatus.FAILED: frozenset({MailStatus.QUEUED, MailStatus.SENT}),
}


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    house_number: str  # as the resident wrote it, e.g. "12a"
    postcode: str  # normalised, "2158AB"

    @property
    def postcode_display(self) -> str:
        return f"{self.postcode[:4]} {self.postcode[4:]}"


@dataclass(frozen=True, slots=True)
class SignupRequest:
    """A valid sign-up as the resident gave it, normalised; produced only by validation."""

    name: str
    email: str
    phone: str  # E.164
    address: Address
    area_id: str
    remarks: str


@dataclass(frozen=True, slots=True)
class CoordinatorApplication:
    """A valid application to become coordinator; produced only by validation."""

    name: str
    email: str
    phone: str  # E.164
    address: Address
    area_id: str
    motivation: str


@dataclass(frozen=True, slots=True)
class Acceptance:
    """The versions of the group rules and the privacy statement a resident accepted, and when:
    both at sign-up (``at``); newer group rules later, on their own (``rules_at``)."""

    rules: str
    privacy: str
    at: datetime
    rules_at: datetime | None = None  # None: with the rest, at sign-up

    def of_rules(self, version: str, now: datetime) -> Acceptance:
        """The same, with the group rules of ``version`` accepted ``now``."""
        return Acceptance(rules=version, privacy=self.privacy, at=self.at, rules_at=now)


@dataclass(frozen=True, slots=True)
class Tally:
    """What a sign-up is counted as in the overview's counters (tallies.py), recorded on it in
    the batch that counts it: a later step takes exactly this back out, whatever the deployment
    file says by then."""

    layout: str  # the deployment's areas and streets, hashed (deployment/layout.py)
    slot: str  # the street (or part of one) of that layout; "elsewhere" for no area
    group: str  # "" when in none
    status: str
    household: str  # the address, hashed: members at one address are one household
    spelling: str = ""  # the street as typed, hashed: only for an area without a street list
    # The day (UTC, "20261126") a confirmed member was confirmed: how long they have waited
    # to be added is counted by day. "" for any other status.
    waiting_since: str = ""

    @classmethod
    def from_document(cls, document: Any) -> Tally | None:
        if not isinstance(document, Mapping) or not document.get("layout"):
            return None
        return cls(
            layout=str(document["layout"]),
            slot=str(document.get("slot") or ""),
            group=str(document.get("group") or ""),
            status=str(document.get("status") or ""),
            household=str(document.get("household") or ""),
            spelling=str(document.get("spelling") or ""),
            waiting_since=str(document.get("waiting_since") or ""),
        )

    def to_document(self) -> dict[str, str]:
        return {
            "layout": self.layout,
            "slot": self.slot,
            "group": self.group,
            "status": self.status,
            "household": self.household,
            "spelling": self.spelling,
            "waiting_since": self.waiting_since,
        }


def tally_fields(tally: Tally | None) -> dict[str, object]:
    """What a sign-up records of its share of the counters; its household and layout also at
    the top, to be queried (the npm emulator filters on no nested field)."""
    if tally is None:
        return {"tally": None, "household": None, "counted_in": None}
    return {"tally": tally.to_document(), "household": tally.household, "counted_in": tally.layout}


@dataclass(frozen=True, slots=True)
class Signup:
    """A stored sign-up, typed: what a service reads and what the store writes.

    A new form field is added here (with ``new``, ``from_document``, ``to_document`` and
    ``EXPORT_FIELDS``, and in ``SignupRequest``), in validation, in the form's template and in
    the example sign-up (devstack/examples.py): four files. Nowhere else unless a mail shows it
    (mail/cards.py).
    """

    # What a maintainer's export (infra/maintain signups export) writes, in this order.
    EXPORT_FIELDS: ClassVar[tuple[str, ...]] = (
        "status",
        "group",
        "name",
        "email",
        "phone",
        "street",
        "house_number",
        "postcode",
        "remarks",
        "created_at",
        "confirmed_at",
        "added_at",
    )

    id: str
    status: SignupStatus
    name: str
    email: str
    phone: str  # E.164
    address: Address
    area: str
    remarks: str
    accepted: Acceptance
    created_at: datetime
    updated_at: datetime
    # The signup_keys documents it holds (personal_keys.py: e-mail, then phone). Kept with it,
    # so that erasure deletes exactly these whatever the key scheme is by then.
    keys: tuple[str, ...] = ()
    # Every change after creation is fenced by a new revision (see store.py).
    revision: int = 0
    confirmation_mails: int = 1
    last_confirmation_mail_at: datetime | None = None
    # Housekeeping finds what still needs a reminder by these flags (see housekeeping.py).
    confirm_reminder_sent: bool = False
    coordinator_reminder_sent: bool = False
    group: str | None = None  # set on confirm; None: the regiegroep decides
    seat: str | None = None  # the group_seats document holding its place
    confirmed_at: datetime | None = None
    added_at: datetime | None = None
    # The yearly check (residents/yearly_check.py): when its next step is due, which step was
    # taken ("" none, "asked", "reminded"), when it asked, and the last "yes".
    check_due_at: datetime | None = None
    check_stage: str = ""
    check_asked_at: datetime | None = None
    checked_at: datetime | None = None
    # The group rules version this member was last sent (residents/group_rules.py); at sign-up
    # the one they accepted. Members with another than the deployment's are sent the new rules.
    # "" for a document from before this field: the add, or ``checks plan``, records it.
    rules_offered: str = ""
    # The news items this member was sent, newest last (residents/news.py): a rerun of the
    # same command skips them. The last NEWS_KEPT only; older items are complete by then.
    news_received: tuple[str, ...] = ()
    # What the overview's counters count it as; None until counted (a document from before the
    # counters, until ``infra/maintain tallies`` counts it). Written by the store alone.
    tally: Tally | None = None

    @classmethod
    def new(
        cls,
        signup_id: str,
        request: SignupRequest,
        *,
        keys: tuple[str, ...],
        rules_version: str,
        privacy_version: str,
        now: datetime,
    ) -> Signup:
        return cls(
            id=signup_id,
            keys=keys,
            status=SignupStatus.PENDING,
            name=request.name,
            email=request.email,
            phone=request.phone,
            address=request.address,
            area=request.area_id,
            remarks=request.remarks,
            accepted=Acceptance(rules=rules_version, privacy=privacy_version, at=now),
            rules_offered=rules_version,
            created_at=now,
            updated_at=now,
            last_confirmation_mail_at=now,
        )

    @classmethod
    def from_document(cls, signup_id: str, document: Mapping[str, Any]) -> Signup:
        accepted = document.get("accepted") or {}
        return cls(
            id=signup_id,
            status=SignupStatus(document["status"]),
            name=document["name"],
            email=document["email"],
            phone=document["phone"],
            address=Address(
                street=document["street"],
                house_number=document["house_number"],
                postcode=document["postcode"],
            ),
            area=document.get("area") or "",
            remarks=document.get("remarks") or "",
            accepted=Acceptance(
                rules=accepted.get("rules", ""),
                privacy=accepted.get("privacy", ""),
                at=accepted.get("at") or document["created_at"],
                rules_at=accepted.get("rules_at"),
            ),
            created_at=document["created_at"],
            updated_at=document.get("updated_at") or document["created_at"],
            keys=tuple(document.get("keys") or ()),
            revision=int(document.get("revision", 0)),
            confirmation_mails=int(document.get("confirmation_mails", 1)),
            last_confirmation_mail_at=document.get("last_confirmation_mail_at"),
            confirm_reminder_sent=bool(document.get("confirm_reminder_sent", False)),
            coordinator_reminder_sent=bool(document.get("coordinator_reminder_sent", False)),
            group=document.get("group"),
            seat=document.get("seat"),
            confirmed_at=document.get("confirmed_at"),
            added_at=document.get("added_at"),
            check_due_at=document.get("check_due_at"),
            check_stage=str(document.get("check_stage") or ""),
            check_asked_at=document.get("check_asked_at"),
            checked_at=document.get("checked_at"),
            # "": stored before the rules were sent by version (checks plan records it).
            rules_offered=str(document.get("rules_offered") or ""),
            news_received=tuple(document.get("news_received") or ()),
            tally=Tally.from_document(document.get("tally")),
        )

    def to_document(self) -> dict[str, object]:
        return {
            "status": self.status.value,
            "revision": self.revision,
            "keys": list(self.keys),
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "street": self.address.street,
            "house_number": self.address.house_number,
            "postcode": self.address.postcode,
            "area": self.area,
            "remarks": self.remarks,
            "accepted": {
                "rules": self.accepted.rules,
                "privacy": self.accepted.privacy,
                "at": self.accepted.at,
                "rules_at": self.accepted.rules_at,
            },
            "confirmation_mails": self.confirmation_mails,
            "last_confirmation_mail_at": self.last_confirmation_mail_at,
            "confirm_reminder_sent": self.confirm_reminder_sent,
            "coordinator_reminder_sent": self.coordinator_reminder_sent,
            "group": self.group,
            "seat": self.seat,
            "confirmed_at": self.confirmed_at,
            "added_at": self.added_at,
            "check_due_at": self.check_due_at,
            "check_stage": self.check_stage,
            "check_asked_at": self.check_asked_at,
            "checked_at": self.checked_at,
            "rules_offered": self.rules_offered,
            "news_received": list(self.news_received),
            **tally_fields(self.tally),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def application_document(
    application: CoordinatorApplication,
    *,
    keys: tuple[str, ...],
    now: datetime,
    keep_for: timedelta,
) -> dict[str, object]:
    """``keys``: the application_keys documents it holds, deleted with it."""
    address = application.address
    return {
        "status": "new",
        "keys": list(keys),
        "name": application.name,
        "email": application.email,
        "phone": application.phone,
        "street": address.street,
        "house_number": address.house_number,
        "postcode": address.postcode,
        "area": application.area_id,
        "motivation": application.motivation,
        # True while the regiegroep has not been told: more came in that hour than get an
        # alert each, and the next hourly digest names it (coordinators.py).
        "alert_pending": False,
        "created_at": now,
        "expire_at": now + keep_for,
    }


@dataclass(frozen=True, slots=True)
class SignupRow:
    """One sign-up as the overview reads it: no name, no contact."""

    FIELDS = ("status", "street", "house_number", "postcode", "group", "confirmed_at")

    status: str
    street: str
    house_number: str
    postcode: str
    group: str | None
    confirmed_at: datetime | None = None  # how long a confirmed member has waited to be added

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> SignupRow:
        group = document.get("group")
        return cls(
            status=str(document.get("status") or ""),
            street=str(document.get("street") or ""),
            house_number=str(document.get("house_number") or ""),
            postcode=str(document.get("postcode") or ""),
            group=str(group) if group else None,
            confirmed_at=_datetime_or_none(document.get("confirmed_at")),
        )


def _datetime_or_none(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None


def month_key(moment: datetime) -> str:
    """The month a moment falls in, as the monthly counts are named: "2026-11"."""
    return f"{moment:%Y-%m}"


@dataclass(frozen=True, slots=True)
class OverviewInputs:
    """What the store reads for the overview (overview/counts.py counts it)."""

    signups: tuple[SignupRow, ...]
    seats: Mapping[str, int]  # group id -> places taken
    open_applications: int
    failed_mail: int
    invite_groups: frozenset[str] = frozenset()  # groups with an invite link (group_doors.py)
    # The monthly counts of the months asked for, by month ("2026-11") and event.
    monthly: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    # The counters (tallies.py: slot -> SlotCount) when complete; None: count ``signups``.
    slots: Mapping[str, Any] | None = None
    # Group -> when its longest waiting member was confirmed (read with the counters).
    oldest_waiting: Mapping[str, datetime] = field(default_factory=dict)


def mail_document(
    *,
    template: str,
    to: str,
    data: dict[str, object],
    now: datetime,
    signup_id: str | None = None,
    application_id: str | None = None,
    not_before: datetime | None = None,
    subject_keys: tuple[str, ...] = (),
    keep_until: datetime | None = None,
) -> dict[str, object]:
    """An outbox entry.

    ``signup_id`` (``application_id``) lets erasure find the unsent mail of a resident (an
    applicant). Mail about someone whose sign-up is already gone (erasure notices) has none;
    ``subject_keys`` (the identity keys of that person, personal_keys.py) let an erasure request
    find it all the same, and ``keep_until`` is when Firestore's TTL deletes it whatever its
    state, so that it cannot outlive the erasure by long even while it keeps failing.
    """
    document: dict[str, object] = {
        "status": MailStatus.QUEUED.value,
        "template": template,
        "to": to,
        "data": data,
        "signup_id": signup_id,
        "attempts": 0,
        "max_attempts": MAX_MAIL_ATTEMPTS,
        "not_before": not_before or now,
        "created_at": now,
        "updated_at": now,
    }
    if application_id is not None:
        document["application_id"] = application_id
    if subject_keys:
        document["subject_keys"] = list(subject_keys)
    if keep_until is not None:
        document["keep_until"] = keep_until
        document["expire_at"] = keep_until
    return document
