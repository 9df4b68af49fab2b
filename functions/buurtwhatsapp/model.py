"""The documents this product stores, their collections and the states they move through.

Each document kind has one explicit state machine. Services change a state only through
``SignupStatus.can_become`` (and its mail counterpart), so that an illegal jump is a bug that
shows, not a silent overwrite.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

SIGNUPS = "signups"
SIGNUP_KEYS = "signup_keys"
MAIL = "mail"
MAIL_CLAIMS = "mail_claims"
SIGNUP_REVISIONS = "signup_revisions"  # <signup id>.<n>: who made change n (see store.py)
GROUP_SEATS = "group_seats"  # one document per occupied place in a WhatsApp group
ERASURES = "erasures"  # that (not whom) a sign-up was erased, and why; no personal data
APPLICATIONS = "applications"  # coordinator applications
APPLICATION_KEYS = "application_keys"  # hashed e-mail and phone of each application, unique
FORM_MAIL_QUOTA = "form_mail_quota"  # <e-mail key>.<date>: a form mailed that address that day


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
    QUEUED = "queued"  # waiting for delivery (first try, or a retry once not_before has passed)
    SENDING = "sending"  # claimed by one delivery under a lease
    SENT = "sent"
    FAILED = "failed"  # gave up; a maintainer can put it back in the queue

    def can_become(self, target: MailStatus) -> bool:
        return target in _MAIL_TRANSITIONS[self]


_MAIL_TRANSITIONS: dict[MailStatus, frozenset[MailStatus]] = {
    MailStatus.QUEUED: frozenset({MailStatus.SENDING}),
    # A lease that ran out is taken over by a new claim: sending -> sending.
    MailStatus.SENDING: frozenset(
        {MailStatus.SENT, MailStatus.QUEUED, MailStatus.FAILED, MailStatus.SENDING}
    ),
    MailStatus.SENT: frozenset(),
    MailStatus.FAILED: frozenset({MailStatus.QUEUED}),
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


def identity_keys(email: str, phone: str) -> tuple[str, str]:
    """Document ids in ``signup_keys`` that make a phone number or e-mail address unique.

    Hashed so that the ids (which show in consoles and logs) carry no readable personal data;
    the key documents are erased together with the sign-up they point at.
    """
    return (email_key(email), phone_key(phone))


def email_key(email: str) -> str:
    return _key("email", email.casefold())


def phone_key(phone_e164: str) -> str:
    return _key("phone", phone_e164)


def _key(kind: str, value: str) -> str:
    return f"{kind}-" + hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def form_mail_quota_id(email: str, day: date) -> str:
    """The one mail a day the public forms may send to an address (see form_mail_quota.py)."""
    return f"{email_key(email)}.{day.isoformat()}"


def confirmation_mail_id(signup_id: str, sequence: int) -> str:
    """The n-th confirmation mail of a sign-up has a fixed id: creating it twice is impossible."""
    return f"signup-{signup_id}-confirm-{sequence}"


def signup_mail_id(signup_id: str, event: str, recipient: int = 0) -> str:
    """Mail sent once per sign-up and event (alert, added, reminder): a fixed id, so that the
    create that queues it is also what makes the event happen only once."""
    return f"signup-{signup_id}-{event}-{recipient}"


def signup_document(
    request: SignupRequest,
    *,
    rules_version: str,
    privacy_version: str,
    now: datetime,
) -> dict[str, object]:
    return {
        "status": SignupStatus.PENDING.value,
        "revision": 0,
        "name": request.name,
        "email": request.email,
        "phone": request.phone,
        "street": request.address.street,
        "house_number": request.address.house_number,
        "postcode": request.address.postcode,
        "area": request.area_id,
        "remarks": request.remarks,
        "accepted": {"rules": rules_version, "privacy": privacy_version, "at": now},
        "confirmation_mails": 1,
        "last_confirmation_mail_at": now,
        # Housekeeping finds what still needs a reminder by these flags (see housekeeping.py).
        "confirm_reminder_sent": False,
        "coordinator_reminder_sent": False,
        "created_at": now,
        "updated_at": now,
    }


def mail_document(
    *,
    template: str,
    to: str,
    data: dict[str, object],
    now: datetime,
    signup_id: str | None = None,
    not_before: datetime | None = None,
    subject_keys: tuple[str, ...] = (),
    keep_until: datetime | None = None,
) -> dict[str, object]:
    """An outbox entry.

    ``signup_id`` lets erasure find the unsent mail of a resident. Mail about someone whose
    sign-up is already gone (erasure notices) has none; ``subject_keys`` (the hashed identity
    keys of that person) let an erasure request find it all the same, and ``keep_until`` is
    when Firestore's TTL deletes it whatever its state, so that it cannot outlive the erasure
    by long even while it keeps failing.
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
    if subject_keys:
        document["subject_keys"] = list(subject_keys)
    if keep_until is not None:
        document["keep_until"] = keep_until
        document["expire_at"] = keep_until
    return document
