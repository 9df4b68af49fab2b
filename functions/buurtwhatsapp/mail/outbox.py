"""The mail outbox in Firestore: its state machine, the claim under a lease, and the retries.

A mail is queued until one delivery sends it (sent), or it goes back to queued with a later
``not_before`` after a failure, and to failed when retrying cannot help or the attempts are used
up. A successful delivery costs two writes: the claim and the outcome.

The claim is the heart of "never send twice". To send attempt n of a mail, a delivery must
*create* the document ``mail_claims/<mail id>.<n>``, which holds its lease; a create of an
existing document fails on every Firestore and both emulators, so of any number of racing
deliveries (a duplicated event, a retried event, the sweep) exactly one wins attempt n. The mail
itself is not touched by the claim: while it is being sent it still reads "queued", and a
delivery that finds attempt n taken looks at that claim's lease. If the lease is still running,
someone is sending; if it ran out, the holder died and this delivery takes over as attempt
n + 1.

A failed attempt n is closed by creating ``mail_claims/<mail id>.<n>.closed`` together with its
outcome, and a takeover of attempt n closes it the same way: of the two exactly one happens, so a
delivery that outlived its lease cannot record its failure over the takeover's result. A success
is recorded without that guard: the mail was sent, whoever else also sent it (delivery is at least
once: a crash after the transport accepted a mail sends it again after the lease, and a late
success may arrive after a takeover's). The lease is far longer than any transport timeout, so a
slow but living delivery is never overtaken. Transaction conflicts and update-time
preconditions are deliberately not used: the npm emulator enforces neither.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from google.api_core.exceptions import AlreadyExists, NotFound
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from ..model import MAIL, MAIL_CLAIMS, MAX_MAIL_ATTEMPTS, CompositeIndex, MailStatus, as_int

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
# Firestore's TTL policy on expire_at removes delivered mail (it holds an address and a name)
# and claims; failed mail stays longer, for a maintainer to look into.
KEEP_SENT = timedelta(days=30)
KEEP_FAILED = timedelta(days=90)
FIRST_RETRY_DELAY = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=6)
# How many taken attempts a claim looks past (lapsed leases of crashed deliveries) at most.
MAX_TAKEOVERS = MAX_MAIL_ATTEMPTS


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff: 1, 2, 4, 8 ... minutes after attempts 1, 2, 3, 4 ..., capped."""
    return min(FIRST_RETRY_DELAY * (1 << min(attempt - 1, 16)), MAX_RETRY_DELAY)


@dataclass(frozen=True, slots=True)
class Claim:
    mail_id: str
    attempt: int
    mail: dict[str, object]  # the document as it was when claimed


@dataclass(frozen=True, slots=True)
class FailureOutcome:
    final: bool
    retry_at: datetime | None


class Outbox:
    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def _mail(self, mail_id: str) -> firestore.DocumentReference:
        return self._db.collection(MAIL).document(mail_id)

    def _claim(self, mail_id: str, attempt: int, suffix: str = "") -> firestore.DocumentReference:
        return self._db.collection(MAIL_CLAIMS).document(f"{mail_id}.{attempt}{suffix}")

    def get(self, mail_id: str) -> dict[str, object] | None:
        snapshot = self._mail(mail_id).get()
        return snapshot.to_dict() if snapshot.exists else None

    def claim(self, mail_id: str, now: datetime) -> Claim | None:
        """Take the mail for one delivery attempt, or None if it is not ours to send now."""
        mail = self.get(mail_id)
        if mail is None or not _is_due(mail, now):
            return None
        attempt = as_int(mail.get("attempts")) + 1
        takes_over: int | None = None
        for _probe in range(MAX_TAKEOVERS + 1):
            batch = self._db.batch()
            if takes_over is not None:
                # Close the abandoned attempt in the same write, so that its late failure, should
                # that delivery still be alive, is dropped.
                batch.create(self._claim(mail_id, takes_over, ".closed"), _closing(now))
            batch.create(
                self._claim(mail_id, attempt),
                {"claimed_at": now, "lease_until": now + LEASE, "expire_at": now + KEEP_SENT},
            )
            try:
                batch.commit()
            except AlreadyExists:
                pass
            else:
                return Claim(mail_id, attempt, mail)
            held, closed = self._db.get_all(
                [self._claim(mail_id, attempt), self._claim(mail_id, attempt, ".closed")]
            )
            if not held.exists:
                return None  # the abandoned attempt was closed by another takeover: theirs
            holder = held.to_dict() or {}
            if "erased_at" in holder:
                return None  # erased with its resident (store.erase_signup): never to be sent
            lease_until = holder.get("lease_until")
            if not closed.exists and isinstance(lease_until, datetime) and lease_until > now:
                return None  # another delivery is sending it now
            # Attempt n is over: closed (its failure recorded, or taken over), or its holder is
            # gone. Try the next, closing this one if nobody did.
            takes_over = None if closed.exists else attempt
            attempt += 1
        return None

    def record_sent(self, claim: Claim, provider_id: str, now: datetime) -> None:
        try:
            self._mail(claim.mail_id).update(
                {
                    "status": MailStatus.SENT.value,
                    "attempts": claim.attempt,
                    "sent_at": now,
                    "provider_message_id": provider_id,
                    # Once sent, the address and contents are no longer needed: only the
                    # bookkeeping stays, so delivered mail keeps no personal data.
                    # (Overwritten, not deleted: the npm emulator ignores field deletes.)
                    "to": None,
                    "data": None,
                    # Nor is who it was about: an erasure request only needs to find unsent mail.
                    "subject_keys": [],
                    "updated_at": now,
                    "expire_at": _expiry(claim.mail, now + KEEP_SENT),
                }
            )
        except NotFound:
            # Erased while it was being sent (the resident left): nothing left to record.
            log.info("mail erased during delivery", extra={"mail_id": claim.mail_id})

    def record_failure(
        self, claim: Claim, reason: str, *, permanent: bool, now: datetime
    ) -> FailureOutcome:
        """Schedule the next attempt with backoff, or stop at a final error."""
        max_attempts = as_int(claim.mail.get("max_attempts"), MAX_MAIL_ATTEMPTS)
        if permanent or claim.attempt >= max_attempts:
            self._close(
                claim,
                {
                    "status": MailStatus.FAILED.value,
                    "attempts": claim.attempt,
                    "error": reason,
                    "failed_at": now,
                    "updated_at": now,
                    "expire_at": _expiry(claim.mail, now + KEEP_FAILED),
                },
                now,
            )
            return FailureOutcome(final=True, retry_at=None)
        retry_at = now + retry_delay(claim.attempt)
        self._close(
            claim,
            {
                "status": MailStatus.QUEUED.value,
                "attempts": claim.attempt,
                "last_error": reason,
                "not_before": retry_at,
                "updated_at": now,
            },
            now,
        )
        return FailureOutcome(final=False, retry_at=retry_at)

    def _close(self, claim: Claim, fields: dict[str, object], now: datetime) -> None:
        batch = self._db.batch()
        batch.create(self._claim(claim.mail_id, claim.attempt, ".closed"), _closing(now))
        batch.update(self._mail(claim.mail_id), fields)
        try:
            batch.commit()
        except AlreadyExists:
            # The lease ran out and another delivery took over: its record stands.
            log.warning("late delivery result dropped", extra={"mail_id": claim.mail_id})
        except NotFound:
            log.info("mail erased during delivery", extra={"mail_id": claim.mail_id})

    # What due() asks: queued mail by the time it may go.
    COMPOSITE_INDEXES = (CompositeIndex(MAIL, ("status", "not_before")),)

    def due(self, now: datetime, limit: int) -> list[str]:
        """Mail a delivery should try now: queued and due (new, retries, and any whose delivery
        died; claim() skips one that is being sent). Oldest first, so that a backlog drains in
        order and nothing waits forever."""
        query = (
            self._db.collection(MAIL)
            .where(filter=FieldFilter("status", "==", MailStatus.QUEUED.value))
            .where(filter=FieldFilter("not_before", "<=", now))
            .order_by("not_before")
            .limit(limit)
        )
        return [snapshot.id for snapshot in query.stream()]

    def failed(self, limit: int = 100) -> list[tuple[str, dict[str, object]]]:
        query = (
            self._db.collection(MAIL)
            .where(filter=FieldFilter("status", "==", MailStatus.FAILED.value))
            .limit(limit)
        )
        return [(snapshot.id, snapshot.to_dict() or {}) for snapshot in query.stream()]

    def requeue(self, mail_id: str, now: datetime) -> bool:
        """Put a failed mail back in the queue with a fresh set of attempts."""
        mail = self.get(mail_id)
        if mail is None or mail.get("status") != MailStatus.FAILED:
            return False
        self._mail(mail_id).update(
            {
                "status": MailStatus.QUEUED.value,
                "not_before": now,
                "max_attempts": as_int(mail.get("attempts")) + MAX_MAIL_ATTEMPTS,
                "requeued_at": now,
                "updated_at": now,
                "expire_at": _expiry(mail, now + KEEP_FAILED),
            }
        )
        return True


def _expiry(mail: dict[str, object], wanted: datetime) -> datetime:
    """When TTL deletes the mail: ``wanted``, but never after its ``keep_until`` (erasure
    notices, which must not outlive the erasure by long, whatever happens to them)."""
    keep_until = mail.get("keep_until")
    return min(wanted, keep_until) if isinstance(keep_until, datetime) else wanted


def _closing(now: datetime) -> dict[str, object]:
    return {"closed_at": now, "expire_at": now + KEEP_SENT}


def _is_due(mail: dict[str, object], now: datetime) -> bool:
    if mail.get("status") != MailStatus.QUEUED:
        return False
    not_before = mail.get("not_before")
    return not isinstance(not_before, datetime) or not_before <= now
