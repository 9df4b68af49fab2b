"""At most one mail a day from the public forms to any one address.

Both forms write to an address that nobody has confirmed: without a limit, anyone could make
the initiative's own, authenticated sender mail a stranger as often as they liked. So every
mail a form queues is named for its address and day (UTC): ``mail/form-<e-mail key>-<date>``
(``model.form_mail_id``). A create of an existing document fails on every Firestore and both
emulators, so two requests, two forms or two instances can never mail the same address on the
same day twice, and the quota costs no write of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

from .model import form_mail_id

# How far a mail that cannot go today may be put off (the werkwijze of a resident who applied
# as coordinator earlier the same day goes out the next morning).
LOOK_AHEAD_DAYS = 7


class QuotaReader(Protocol):
    def quota_taken(self, document_ids: list[str]) -> set[str]: ...


@dataclass(frozen=True, slots=True)
class QuotaDay:
    mail_id: str  # the form's mail of that day to that address
    send_from: datetime  # when the mail may go: now, or the start of a later day


def quota_days(email: str, now: datetime, days: int) -> list[QuotaDay]:
    """Today's quota of ``email``, then that of each following day."""
    today = now.astimezone(UTC).date()
    result = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        start = datetime.combine(day, time(0), tzinfo=UTC)
        result.append(
            QuotaDay(mail_id=form_mail_id(email, day), send_from=now if offset == 0 else start)
        )
    return result


def free_day(store: QuotaReader, email: str, now: datetime, *, days: int = 1) -> QuotaDay | None:
    """The first of the next ``days`` days on which a form may still mail ``email``; None when
    each is taken. Today is asked first and alone (one read), the later days only when it is
    taken. A free day read here may be taken before the caller's batch commits: the batch's
    create then fails, and the caller decides again."""
    candidates = quota_days(email, now, days)
    for batch in (candidates[:1], candidates[1:]):
        taken = store.quota_taken([candidate.mail_id for candidate in batch]) if batch else set()
        free = next((c for c in batch if c.mail_id not in taken), None)
        if free is not None:
            return free
    return None
