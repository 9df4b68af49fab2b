"""Moving a database to the current keys (``infra/maintain keys migrate``).

Two moves need it: from the unsalted SHA-256 keys of the first versions
(``email-<sha256("email:" + address.casefold())>``, ``phone-<sha256("phone:" + number)>``) to
the peppered ones (personal_keys.py), and from one pepper to another should a pepper ever leak.
Every document that holds a key is made anew under the current pepper, from the address and
number it stores:

- **sign-ups**: their ``signup_keys`` documents are created under the new keys (create, never
  overwrite: a key another sign-up holds is reported, not taken), the old ones deleted, and the
  sign-up's ``keys`` set; one batch each, so a sign-up is on the old keys or on the new, never
  half;
- **applications**: the same with ``application_keys``;
- **mail about people** and **removal tasks** (``subject_keys``): each old key the sign-ups
  and applications above held is replaced by its new key.

What does not move, and why:

- mail about people already erased: only their old key is left, nothing to make a new one
  from. Such mail (a notice of an earlier leave) expires within three days by its own TTL;
  until then an erasure request finds it by the old key only.
  The same holds for a removal task on a coordinator's page (a member who left, whose number
  is still in the group): it goes when the coordinator clicks "verwijderd", or by its TTL
  after 30 days.
- the forms' day quotas (``mail/form-<mailbox key>-<date>``): they are named for the old key
  and expire with the mail. On the day of the move a mailbox may get one more form mail.
- overview links already mailed: signed for the old e-mail key, they are answered as expired;
  the next monthly digest brings a new one.

A second run finds everything on the current keys and changes nothing, so the command can be
run again after an interruption.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from ..common.personal_keys import PersonalKeys
from ..model import REMOVALS
from ..store import Store

log = logging.getLogger(__name__)


def legacy_identity(email: str, phone: str) -> tuple[str, str]:
    """The unsalted keys of the first versions: only to find what they named, never to make."""

    def key(kind: str, value: str) -> str:
        return f"{kind}-" + hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()

    return (key("email", email.casefold()), key("phone", phone))


@dataclass(slots=True)
class MigrationReport:
    signups: int = 0  # moved to the current keys
    applications: int = 0
    mail: int = 0  # mails whose subject keys were moved
    removals: int = 0  # removal tasks (coordinator pages) whose subject keys were moved
    unchanged: int = 0  # sign-ups and applications already on the current keys
    conflicts: list[str] = field(default_factory=list)  # ids whose new key another holds


def migrate_keys(*, store: Store, keys: PersonalKeys, dry_run: bool = False) -> MigrationReport:
    """Move every sign-up, application and mail about people to ``keys``; see the module."""
    report = MigrationReport()
    moved: dict[str, str] = {}  # old key -> new key
    for signup in store.signups():
        new = keys.identity(signup.email, signup.phone)
        old = signup.keys or legacy_identity(signup.email, signup.phone)
        if tuple(old) == new:
            report.unchanged += 1
            continue
        if dry_run or store.rekey_signup(signup.id, tuple(old), new):
            moved.update(zip(old, new, strict=True))
            report.signups += 1
        else:
            report.conflicts.append(signup.id)
    for application_id, application in store.applications():
        email, phone = str(application["email"]), str(application["phone"])
        new = keys.identity(email, phone)
        stored = application.get("keys")
        old = tuple(str(k) for k in stored) if stored else legacy_identity(email, phone)
        if old == new:
            report.unchanged += 1
            continue
        if dry_run or store.rekey_application(application_id, old, new):
            moved.update(zip(old, new, strict=True))
            report.applications += 1
        else:
            report.conflicts.append(application_id)
    report.mail = store.rekey_mail_subjects(moved, dry_run=dry_run)
    report.removals = store.rekey_mail_subjects(moved, dry_run=dry_run, collection=REMOVALS)
    log.info(
        "keys migrated" if not dry_run else "keys migration planned",
        extra={
            "signups": report.signups,
            "applications": report.applications,
            "mail": report.mail,
            "removals": report.removals,
            "conflicts": len(report.conflicts),
        },
    )
    return report
