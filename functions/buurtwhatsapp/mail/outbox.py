"""The mail outbox in Firestore: its state machine, the claim under a lease, and the retries.

A mail moves queued -> sending -> sent, or back to queued with a later ``not_before`` after a
failure, and to failed when retrying cannot help or the attempts are used up.

The claim is the heart of "never send twice". To send attempt n of a mail, a delivery must
*create* the document ``mail_claims/<mail id>.<n>``; a create of an existing document fails on
every Firestore and both emulators, so of any number of racing deliveries (a duplicated event,
a retried event, the sweep) exactly one wins attempt n. The winner holds a lease: if it crashes,
the lease runs out and the sweep claims attempt n + 1. Transaction conflicts and update-time
preconditions are deliberately not used: the npm emulator enforces neither.

Attempt n is closed exactly once, by creating ``mail_claims/<mail id>.<n>.closed``: either its
own delivery records the outcome, or a takeover after the lease closes it before claiming
n + 1. So a delivery that outlived its lease cannot overwrite what the takeover recorded.

Delivery is at least once: a crash after the transport accepted a mail but before ``sent`` was
recorded sends it again after the lease. The lease is far longer than any transport timeout,
so a slow but living delivery is never overtaken.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from google.api_core.exceptions import AlreadyExists, NotFound
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from ..model import MAIL, MAIL_CLAIMS, MAX_MAIL_ATTEMPTS, MailStatus

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
# Firestore's TTL policy on expire_at removes delivered mail (it holds an address and a name)
# and claims; failed mail stays longer, for a maintainer to look into.
KEEP_SENT = timedelta(days=30)
KEEP_FAILED = timedelta(days=90)
FIRST_RETRY_DELAY = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=6)


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff: 1, 2, 4, 8 ... minutes after attempts 1, 2, 3, 4 ..., capped."""
    return min(FIRST_RETRY_DELAY * 2 ** (attempt - 1), MAX_RETRY_DELAY)


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

    def get(self, mail_id: str) -> dict[str, object] | None:
        snapshot = self._mail(mail_id).get()
        return snapshot.to_dict() if snapshot.exists else None

    def claim(self, mail_id: str, now: datetime) -> Claim | None:
        """Take the mail for one delivery attempt, or None if it is not ours to send now."""
        mail = self.get(mail_id)
        if mail is None or not _is_claimable(mail, now):
            return None
        attempt = int(mail.get("attempts", 0)) + 1
        batch = self._db.batch()
        # The creates go first: if one fails, nothing of the batch may have been applied.
        if mail.get("status") == MailStatus.SENDING:
            # Take over a lapsed lease: close the abandoned attempt so that its late result,
            # should that delivery still be alive, is dropped.
            self._close(batch, mail_id, attempt - 1, now)
        batch.create(
            self._db.collection(MAIL_CLAIMS).document(f"{mail_id}.{attempt}"),
            {
                "mail_id": mail_id,
                "attempt": attempt,
                "claimed_at": now,
                "lease_until": now + LEASE,
                "expire_at": now + KEEP_FAILED,
            },
        )
        batch.update(
            self._mail(mail_id),
            {
                "status": MailStatus.SENDING.value,
                "attempts": attempt,
                "lease_until": now + LEASE,
                "updated_at": now,
            },
        )
        try:
            batch.commit()
        except AlreadyExists:
            return None  # another delivery won this attempt
        except NotFound:
            return None  # erased meanwhile
        return Claim(mail_id, attempt, mail)

    def record_sent(self, claim: Claim, provider_id: str, now: datetime) -> None:
        self._finish(
            claim,
            {
                "status": MailStatus.SENT.value,
                "sent_at": now,
                "provider_message_id": provider_id,
                "lease_until": None,
                # Once sent, the address and contents are no longer needed: only the
                # bookkeeping stays, so delivered mail keeps no personal data. (Overwritten,
                # not deleted: the npm emulator ignores field deletes.)
                "to": None,
                "data": None,
                "updated_at": now,
                "expire_at": _expiry(claim.mail, now + KEEP_SENT),
            },
            now,
        )

    def record_failure(
        self, claim: Claim, reason: str, *, permanent: bool, now: datetime
    ) -> FailureOutcome:
        """Schedule the next attempt with backoff, or stop at a final error."""
        max_attempts = int(claim.mail.get("max_attempts", MAX_MAIL_ATTEMPTS))
        if permanent or claim.attempt >= max_attempts:
            self._finish(
                claim,
                {
                    "status": MailStatus.FAILED.value,
                    "error": reason,
                    "failed_at": now,
                    "lease_until": None,
                    "updated_at": now,
                    "expire_at": _expiry(claim.mail, now + KEEP_FAILED),
                },
                now,
            )
            return FailureOutcome(final=True, retry_at=None)
        retry_at = now + retry_delay(claim.attempt)
        self._finish(
            claim,
            {
                "status": MailStatus.QUEUED.value,
                "last_error": reason,
                "not_before": retry_at,
                "lease_until": None,
                "updated_at": now,
            },
            now,
        )
        return FailureOutcome(final=False, retry_at=retry_at)

    def _close(
        self, batch: firestore.WriteBatch, mail_id: str, attempt: int, now: datetime
    ) -> None:
        batch.create(
            self._db.collection(MAIL_CLAIMS).document(f"{mail_id}.{attempt}.closed"),
            {"closed_at": now, "expire_at": now + KEEP_FAILED},
        )

    def _finish(self, claim: Claim, fields: dict[str, object], now: datetime) -> None:
        batch = self._db.batch()
        self._close(batch, claim.mail_id, claim.attempt, now)
        batch.update(self._mail(claim.mail_id), fields)
        try:
            batch.commit()
        except AlreadyExists:
            # The lease ran out and another delivery took over: its record stands.
            log.warning("late delivery result dropped", extra={"mail_id": claim.mail_id})
        except NotFound:
            # Erased while it was being sent (the resident left): nothing left to record.
            log.info("mail erased during delivery", extra={"mail_id": claim.mail_id})

    def due(self, now: datetime, limit: int) -> list[str]:
        """Mail a delivery should try now: queued and due, or sending with a lapsed lease.

        Oldest first, so that a backlog drains in order and nothing waits forever.
        """
        collection = self._db.collection(MAIL)
        queued = (
            collection.where(filter=FieldFilter("status", "==", MailStatus.QUEUED.value))
            .where(filter=FieldFilter("not_before", "<=", now))
            .order_by("not_before")
            .limit(limit)
        )
        lapsed = (
            collection.where(filter=FieldFilter("status", "==", MailStatus.SENDING.value))
            .where(filter=FieldFilter("lease_until", "<=", now))
            .order_by("lease_until")
            .limit(limit)
        )
        ids = [snapshot.id for snapshot in lapsed.stream()]
        ids += [snapshot.id for snapshot in queued.stream()]
        return ids[:limit]

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
                "max_attempts": int(mail.get("attempts", 0)) + MAX_MAIL_ATTEMPTS,
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


def _is_claimable(mail: dict[str, object], now: datetime) -> bool:
    status = mail.get("status")
    if status == MailStatus.QUEUED:
        not_before = mail.get("not_before")
        return not isinstance(not_before, datetime) or not_before <= now
    if status == MailStatus.SENDING:
        lease_until = mail.get("lease_until")
        return isinstance(lease_until, datetime) and lease_until <= now
    return False
