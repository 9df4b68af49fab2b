"""What happens when a resident signs up."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from ..common.clock import Clock
from ..common.personal_keys import PersonalKeys
from ..deployment.structure import Deployment
from ..forms.mail_quota import LOOK_AHEAD_DAYS, mail_quota
from ..forms.validation import honeypot_filled, validate_signup
from ..mail.catalogue import MailTemplate
from ..model import Signup, SignupStatus, mail_document
from ..store import IdentityTaken, Store

log = logging.getLogger(__name__)

CONFIRMATION_RESEND_INTERVAL = timedelta(hours=1)
# Rounds of deciding again after a key, quota day or slot was taken between read and write.
# Each round someone wins; the last round stores the sign-up without its mail, so that even a
# crowd racing for one domain's slots never loses a sign-up (its reminder follows in 3 days).
ROUNDS = 8


def new_signup_id() -> str:
    return secrets.token_hex(12)


def sign_up(
    raw: Mapping[str, object],
    *,
    deployment: Deployment,
    store: Store,
    clock: Clock,
    keys: PersonalKeys,
    new_id: Callable[[], str] = new_signup_id,
) -> None:
    """Validate and store a sign-up with its werkwijze mail; raise InvalidInput on bad input.

    Returns nothing on purpose: a new sign-up, a repeated one and a bot's all get the same
    answer, so that the form reveals nothing about who has signed up.
    """
    if honeypot_filled(raw):
        log.info("sign-up ignored: honeypot field filled in")
        return
    request = validate_signup(raw, deployment)
    now = clock.now()
    signup = Signup.new(
        new_id(),
        request,
        keys=keys.identity(request.email, request.phone),
        rules_version=deployment.initiative.rules_version,
        privacy_version=deployment.initiative.privacy_version,
        now=now,
    )
    # Each round ends at once unless a key, the quota day or the slot it read was taken
    # meanwhile: a living holder of a key makes this a repeat; a stale key is cleared; a taken
    # day or slot moves on.
    for attempt in range(ROUNDS):
        # The werkwijze is the one mail a resident cannot do without: when a form mailed this
        # mailbox today already, or its domain had its hour's share, it goes out on the next
        # free day or hour rather than not at all.
        last = attempt == ROUNDS - 1
        quota = None if last else mail_quota(store, keys, request.email, now, days=LOOK_AHEAD_DAYS)
        form_mail, slots = [], []
        if quota is not None:
            form_mail.append((quota.mail_id, _confirmation_mail(signup, now, quota.send_from)))
            slots.append(quota.slot)
        else:
            log.warning("sign-up stored without werkwijze: no mail quota left for it")
        try:
            store.create_signup(signup, form_mail, slots)
        except IdentityTaken:
            holder = store.find_signup_by_identity(signup.keys)
            if holder is not None:
                _repeat_signup(holder, store, keys, now)
                return
            continue
        log.info("sign-up stored", extra={"signup_id": signup.id})
        return
    raise RuntimeError("sign-up keys stayed taken without a holder")


def _repeat_signup(signup: Signup, store: Store, keys: PersonalKeys, now: datetime) -> None:
    """A second sign-up for a known phone or address: at most one new confirmation an hour,
    and only when no form has mailed the address today.

    The mail goes to the address already on file, never to a newly typed one, so a stranger
    cannot use the form to learn or redirect someone else's sign-up.
    """
    about = {"signup_id": signup.id}
    if signup.status is not SignupStatus.PENDING:
        log.info("repeated sign-up for a confirmed member", extra=about)
        return
    last = signup.last_confirmation_mail_at
    if last is not None and now - last < CONFIRMATION_RESEND_INTERVAL:
        log.info("repeated sign-up: confirmation sent recently", extra=about)
        return
    quota = mail_quota(store, keys, signup.email, now)
    if quota is None:
        log.info("repeated sign-up: address mailed today", extra=about)
        return
    sequence = signup.confirmation_mails + 1
    mail = _confirmation_mail(signup, now, quota.send_from)
    queued = store.queue_confirmation_resend(
        signup, sequence, quota.mail_id, mail, now, [quota.slot]
    )
    log.info(
        "repeated sign-up: confirmation re-sent" if queued else "repeated sign-up: lost race",
        extra=about,
    )


def _confirmation_mail(signup: Signup, now: datetime, send_from: datetime) -> dict[str, object]:
    # No name or other typed text: the address is not confirmed, and whoever filled in the
    # form may not own it (a name can hold a link).
    return mail_document(
        template=MailTemplate.WERKWIJZE,
        to=signup.email,
        data={},
        signup_id=signup.id,
        now=now,
        not_before=send_from,
    )
