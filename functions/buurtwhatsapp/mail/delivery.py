"""Delivering outbox mail: claim, compose, send, record; and the sweep that catches up."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from ..common.clock import Clock
from ..common.logs import MAIL_FAILED_FOR_GOOD
from .compose import Composer
from .outbox import Outbox
from .transports import Transport, TransportError

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # failed; queued again for later
    FAILED = "failed"  # failed for good; a maintainer can requeue it
    SKIPPED = "skipped"  # not ours to send: sent already, claimed by another, not yet due


@dataclass(frozen=True, slots=True)
class Mailer:
    """The collaborators of a delivery, built once per instance by bootstrap."""

    outbox: Outbox
    composer: Composer
    transport: Transport
    clock: Clock


def deliver(mail_id: str, mailer: Mailer) -> Outcome:
    claim = mailer.outbox.claim(mail_id, mailer.clock.now())
    if claim is None:
        log.info("mail not claimed", extra={"mail_id": mail_id})
        return Outcome.SKIPPED
    try:
        message = mailer.composer.compose(mail_id, claim.mail)
    except Exception as error:
        # A mail that cannot be rendered will not render on a retry either.
        log.exception("mail could not be composed", extra={"mail_id": mail_id})
        mailer.outbox.record_failure(
            claim, f"compose: {type(error).__name__}", permanent=True, now=mailer.clock.now()
        )
        _failed_for_good(mail_id, f"compose: {type(error).__name__}")
        return Outcome.FAILED
    try:
        provider_id = mailer.transport.send(message)
    except TransportError as error:
        outcome = mailer.outbox.record_failure(
            claim, error.reason, permanent=error.permanent, now=mailer.clock.now()
        )
        log.warning(
            "mail not sent",
            extra={"mail_id": mail_id, "attempt": claim.attempt, "reason": error.reason},
        )
        if outcome.final:
            _failed_for_good(mail_id, error.reason)
        return Outcome.FAILED if outcome.final else Outcome.RETRY
    except Exception as error:
        log.exception("mail transport crashed", extra={"mail_id": mail_id})
        outcome = mailer.outbox.record_failure(
            claim, f"transport: {type(error).__name__}", permanent=False, now=mailer.clock.now()
        )
        if outcome.final:
            _failed_for_good(mail_id, f"transport: {type(error).__name__}")
        return Outcome.FAILED if outcome.final else Outcome.RETRY
    mailer.outbox.record_sent(claim, provider_id, mailer.clock.now())
    log.info("mail sent", extra={"mail_id": mail_id, "attempt": claim.attempt})
    return Outcome.SENT


def sweep(mailer: Mailer, *, limit: int = 50, budget_seconds: float = 60.0) -> dict[str, int]:
    """Deliver what is due (retries, lapsed leases, mail whose trigger never came).

    Bounded by ``limit`` mails and ``budget_seconds``, so that one call never outlives the
    scheduler's timeout; what is left waits for the next call.
    """
    started = time.monotonic()
    counts: Counter[str] = Counter()
    for mail_id in mailer.outbox.due(mailer.clock.now(), limit):
        if time.monotonic() - started > budget_seconds:
            break
        counts[deliver(mail_id, mailer).value] += 1
    return {outcome.value: counts[outcome.value] for outcome in Outcome}


def _failed_for_good(mail_id: str, reason: str) -> None:
    """A mail will not be tried again: a maintainer must look (infra/maintain mail failed)."""
    log.error(MAIL_FAILED_FOR_GOOD, extra={"mail_id": mail_id, "reason": reason})
