"""Applications to become coordinator: stored, acknowledged, and sent to the regiegroep."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta

from .clock import Clock
from .config import Deployment
from .form_mail_quota import free_day
from .mail.catalogue import MailTemplate
from .model import (
    applicant_card,
    application_alert_ids,
    application_document,
    identity_keys,
    mail_document,
)
from .people import People
from .store import IdentityTaken, Store
from .validation import honeypot_filled, validate_application

log = logging.getLogger(__name__)

# The regiegroep has half a year to follow an application up; then Firestore's TTL removes it.
APPLICATION_RETENTION = timedelta(days=180)
# Rounds of deciding again after a key or quota day was taken between read and write.
ROUNDS = 4


def apply(
    raw: Mapping[str, object],
    *,
    deployment: Deployment,
    store: Store,
    clock: Clock,
    people: People | None = None,
) -> None:
    """Validate and store an application; raise InvalidInput on bad input.

    A repeated application (the same e-mail address or phone number) is answered alike and
    changes nothing, so that the form can neither reveal who applied nor be used to mail the
    regiegroep or a stranger over and over. The acknowledgement goes only if no form mailed the
    address today, and quotes nothing typed: the address is not confirmed.

    ``people``: the current regiegroep (see membership.confirm).
    """
    regiegroep = (people or People.from_deployment(deployment)).regiegroep
    if honeypot_filled(raw):
        log.info("application ignored: honeypot field filled in")
        return
    application = validate_application(raw, deployment)
    now = clock.now()
    application_id = secrets.token_hex(12)
    keys = identity_keys(application.email, application.phone)
    document = application_document(application, now=now, keep_for=APPLICATION_RETENTION)
    applicant = applicant_card(application)
    alerts = [
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
    for _round in range(ROUNDS):
        quota = free_day(store, application.email, now)
        mails = list(alerts)
        if quota is not None:
            ack = mail_document(
                template=MailTemplate.APPLICATION_ACK,
                to=application.email,
                data={},
                application_id=application_id,
                now=now,
            )
            mails.insert(0, (quota.mail_id, ack))
        try:
            store.create_application(application_id, document, keys, mails)
        except IdentityTaken:
            if store.find_application_by_identity(keys) is not None:
                log.info("repeated application ignored")
                return
            continue
        log.info("coordinator application stored", extra={"application_id": application_id})
        return
    raise RuntimeError("application keys or quota stayed taken without a holder")


def erase_application(application_id: str, *, store: Store) -> bool:
    """An applicant's erasure request: the application, its keys and its unsent mail."""
    erased = store.erase_application(application_id)
    if erased:
        log.info("application erased", extra={"application_id": application_id})
    return erased
