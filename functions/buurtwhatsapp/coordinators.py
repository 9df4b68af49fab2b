"""Applications to become coordinator: stored, acknowledged, and sent to the regiegroep."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta

from .clock import Clock
from .config import MAX_REGIEGROEP, Deployment
from .mail.catalogue import MailTemplate
from .model import mail_document, phone_display
from .store import Store
from .validation import honeypot_filled, validate_application

log = logging.getLogger(__name__)

# The regiegroep has half a year to follow an application up; then Firestore's TTL removes it.
APPLICATION_RETENTION = timedelta(days=180)


def apply(raw: Mapping[str, object], *, deployment: Deployment, store: Store, clock: Clock) -> None:
    """Validate and store an application; raise InvalidInput on bad input."""
    if honeypot_filled(raw):
        log.info("application ignored: honeypot field filled in")
        return
    application = validate_application(raw, deployment)
    now = clock.now()
    application_id = secrets.token_hex(12)
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
    mails = [
        (
            application_mail_ids(application_id)[0],
            mail_document(
                template=MailTemplate.APPLICATION_ACK,
                to=application.email,
                data={"name": application.name},
                now=now,
            ),
        )
    ]
    for number, person in enumerate(deployment.regiegroep):
        mails.append(
            (
                application_mail_ids(application_id)[number + 1],
                mail_document(
                    template=MailTemplate.APPLICATION_ALERT,
                    to=person.email,
                    data={"recipient_name": person.name, "applicant": applicant},
                    now=now,
                ),
            )
        )
    store.create_application(
        application_id,
        {
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
        },
        mails,
    )
    log.info("coordinator application stored", extra={"application_id": application_id})


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
