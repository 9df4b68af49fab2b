"""Applications to become coordinator: stored, acknowledged, and sent to the regiegroep.

The regiegroep hears of each application at once, up to ``ALERTS_PER_HOUR`` an hour (a slot of
the hourly allowance "applications" each, see form_mail_quota.py). Beyond that (a burst, or a
script that found the form) an application waits with ``alert_pending`` set, and the hourly
housekeeping sends each member one mail that names all that waited (``send_application_digest``):
never more than one such mail an hour, and nothing lost.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from ..common.clock import Clock
from ..common.personal_keys import PersonalKeys
from ..deployment.people import People
from ..deployment.structure import Deployment, Person
from ..forms.mail_quota import free_slot, mail_quota, window_name
from ..forms.validation import honeypot_filled, validate_application
from ..mail.cards import applicant_card
from ..mail.catalogue import MailTemplate
from ..mail_ids import application_alert_ids, application_digest_id
from ..model import application_document, mail_document
from ..store import IdentityTaken, Store

log = logging.getLogger(__name__)

# The regiegroep has half a year to follow an application up; then Firestore's TTL removes it.
APPLICATION_RETENTION = timedelta(days=180)
# Rounds of deciding again after a key, quota day or slot was taken between read and write;
# the last stores the application with its alert left to the digest and no acknowledgement.
ROUNDS = 8
# Applications a regiegroep member hears of one by one in an hour; more wait for the digest.
ALERTS_PER_HOUR = 3
ALERT_WINDOW = "applications"
DIGEST_SIZE = 50  # applications named in one digest at most; more go in the next hour's


def apply(
    raw: Mapping[str, object],
    *,
    deployment: Deployment,
    store: Store,
    clock: Clock,
    keys: PersonalKeys,
    people: People | None = None,
) -> None:
    """Validate and store an application; raise InvalidInput on bad input.

    A repeated application (the same e-mail address or phone number) is answered alike and
    changes nothing, so that the form can neither reveal who applied nor be used to mail the
    regiegroep or a stranger over and over. The acknowledgement goes only if no form mailed the
    mailbox today (and its domain has room this hour), and quotes nothing typed: the address
    is not confirmed.

    ``people``: the current regiegroep (see membership.confirm).
    """
    regiegroep = (people or People.from_deployment(deployment)).regiegroep
    if honeypot_filled(raw):
        log.info("application ignored: honeypot field filled in")
        return
    application = validate_application(raw, deployment)
    now = clock.now()
    application_id = secrets.token_hex(12)
    identity = keys.identity(application.email, application.phone)
    stored = application_document(
        application, keys=identity, now=now, keep_for=APPLICATION_RETENTION
    )
    for attempt in range(ROUNDS):
        last = attempt == ROUNDS - 1
        mails, slots = [], []
        alert_slot = None if last else free_slot(store, ALERT_WINDOW, ALERTS_PER_HOUR, now, hours=1)
        if alert_slot is not None and regiegroep:
            mails += _alerts(application_id, stored, regiegroep, now)
            slots.append(alert_slot.id)
        document = {**stored, "alert_pending": not mails}
        quota = None if last else mail_quota(store, keys, application.email, now)
        if quota is not None:
            ack = mail_document(
                template=MailTemplate.APPLICATION_ACK,
                to=application.email,
                data={},
                application_id=application_id,
                now=now,
                not_before=quota.send_from,
            )
            mails.insert(0, (quota.mail_id, ack))
            slots.append(quota.slot)
        try:
            store.create_application(application_id, document, identity, mails, now, slots)
        except IdentityTaken:
            if store.find_application_by_identity(identity) is not None:
                log.info("repeated application ignored")
                return
            continue
        log.info(
            "coordinator application stored",
            extra={"application_id": application_id, "alert_pending": document["alert_pending"]},
        )
        return
    raise RuntimeError("application keys stayed taken without a holder")


def _alerts(
    application_id: str,
    application: Mapping[str, object],
    regiegroep: Sequence[Person],
    now: datetime,
) -> list[tuple[str, dict[str, object]]]:
    """One alert per regiegroep member, with what they need to call the applicant back."""
    applicant = applicant_card(application)
    return [
        (
            alert_id,
            mail_document(
                template=MailTemplate.APPLICATION_ALERT,
                to=person.email,
                data={"recipient_name": person.name, "applicant": applicant},
                application_id=application_id,
                now=now,
            ),
        )
        for alert_id, person in zip(
            application_alert_ids(application_id, len(regiegroep)), regiegroep, strict=True
        )
    ]


def send_application_digest(*, people: People, store: Store, clock: Clock) -> int:
    """Tell the regiegroep of the applications that waited (``alert_pending``), in one mail
    each; how many mails were queued (0: nothing waited, no regiegroep, or another run was
    first).

    Once an hour at most: the mails are named for the hour, so a second run in the same hour
    cannot queue them again. Each application is told once: the digest's batch creates the
    marker its single alert would have had (``application-<id>-alert-0``) and clears the flag,
    so two runs that read the same applications cannot both name them. The mail carries the
    applicants' identity keys, so that an erasure request finds it while unsent.
    """
    if not people.regiegroep:
        return 0
    waiting = sorted(store.pending_applications(DIGEST_SIZE), key=lambda a: a[1]["created_at"])
    if not waiting:
        return 0
    now = clock.now()
    applicants = [applicant_card(application) for _, application in waiting]
    about = tuple(str(key) for _, application in waiting for key in application.get("keys") or ())
    hour = window_name("digest", now)
    mails = [
        (
            application_digest_id(hour, number),
            mail_document(
                template=MailTemplate.APPLICATION_DIGEST,
                to=person.email,
                data={"recipient_name": person.name, "applicants": applicants},
                now=now,
                subject_keys=about,
            ),
        )
        for number, person in enumerate(people.regiegroep)
    ]
    told = [application_id for application_id, _ in waiting]
    if not store.record_application_digest(told, mails, now):
        log.info("application digest already sent this hour or overtaken")
        return 0
    log.info("application digest queued", extra={"applications": len(told), "mails": len(mails)})
    return len(mails)


def erase_application(application_id: str, *, store: Store) -> bool:
    """An applicant's erasure request: the application, its keys and its unsent mail."""
    erased = store.erase_application(application_id)
    if erased:
        log.info("application erased", extra={"application_id": application_id})
    return erased
