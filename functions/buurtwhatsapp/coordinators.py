"""Applications to become coordinator: stored, acknowledged, and sent to the regiegroep."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

from .clock import Clock
from .config import MAX_REGIEGROEP, Deployment
from .contacts import phone_display
from .form_mail_quota import free_day
from .mail.catalogue import MailTemplate
from .model import CoordinatorApplication, identity_keys, mail_document
from .store import IdentityTaken, Store
from .validation import honeypot_filled, validate_application

log = logging.getLogger(__name__)

# The regiegroep has half a year to follow an application up; then Firestore's TTL removes it.
APPLICATION_RETENTION = timedelta(days=180)
# Rounds of deciding again after a key or quota day was taken between read and write.
ROUNDS = 4


def apply(raw: Mapping[str, object], *, deployment: Deployment, store: Store, clock: Clock) -> None:
    """Validate and store an application; raise InvalidInput on bad input.

    A repeated application (the same e-mail address or phone number) is answered alike and
    changes nothing, so that the form can neither reveal who applied nor be used to mail the
    regiegroep or a stranger over and over. The acknowledgement goes only if no form mailed the
    address today, and quotes nothing typed: the address is not confirmed.
    """
    if honeypot_filled(raw):
        log.info("application ignored: honeypot field filled in")
        return
    application = validate_application(raw, deployment)
    now = clock.now()
    application_id = secrets.token_hex(12)
    keys = identity_keys(application.email, application.phone)
    document = _application_document(application, now)
    alerts = _alerts(application_id, application, deployment, now)
    for _round in range(ROUNDS):
        quota = free_day(store, application.email, now)
        mails = list(alerts)
        if quota is not None:
            ack = mail_document(
                template=MailTemplate.APPLICATION_ACK, to=application.email, data={}, now=now
            )
            mails.insert(0, (application_mail_ids(application_id)[0], ack))
        try:
            store.create_application(application_id, document, keys, mails, quota)
        except IdentityTaken:
            if store.find_application_by_identity(keys) is not None:
                log.info("repeated application ignored")
                return
            continue
        log.info("coordinator application stored", extra={"application_id": application_id})
        return
    raise RuntimeError("application keys or quota stayed taken without a holder")


def _application_document(application: CoordinatorApplication, now: datetime) -> dict[str, object]:
    address = application.address
    return {
        "status": "new",
        "name": application.name,
        "email": application.email,
        "phone": application.phone,
        "street": address.street,
        "house_number": address.house_number,
        "postcode": address.postcode,
        "area": application.area_id,
        "motivation": application.motivation,
        "created_at": now,
        "expire_at": now + APPLICATION_RETENTION,
    }


def _alerts(
    application_id: str,
    application: CoordinatorApplication,
    deployment: Deployment,
    now: datetime,
) -> list[tuple[str, dict[str, object]]]:
    """One alert to each regiegroep member, with what they need to call the applicant."""
    address = application.address
    applicant = {
        "name": application.name,
        "email": application.email,
        "phone_display": phone_display(application.phone),
        "street": address.street,
        "house_number": address.house_number,
        "postcode_display": address.postcode_display,
        "motivation": application.motivation,
    }
    mail_ids = application_mail_ids(application_id)
    return [
        (
            mail_ids[number + 1],
            mail_document(
                template=MailTemplate.APPLICATION_ALERT,
                to=person.email,
                data={"recipient_name": person.name, "applicant": applicant},
                now=now,
            ),
        )
        for number, person in enumerate(deployment.regiegroep)
    ]


def application_mail_ids(application_id: str) -> tuple[str, ...]:
    """The acknowledgement, then one alert per possible regiegroep member."""
    alerts = (f"application-{application_id}-alert-{n}" for n in range(MAX_REGIEGROEP))
    return (f"application-{application_id}-ack", *alerts)


def erase_application(application_id: str, *, store: Store) -> bool:
    """An applicant's erasure request: the application and its unsent mail."""
    erased = store.erase_application(application_id, application_mail_ids(application_id))
    if erased:
        log.info("application erased", extra={"application_id": application_id})
    return erased
