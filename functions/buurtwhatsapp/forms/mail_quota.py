"""Fences on the mail that goes to addresses nobody has confirmed.

The public forms (and the reminder to confirm) write to an address that whoever typed it may
not own: without a limit, anyone could make the initiative's own, authenticated sender mail a
stranger as often as they liked. Two fences hold it, each taken by creating documents in the
same batch as the mail, so that no race, second instance or retry can take one twice (a create
of an existing document fails on every Firestore and both emulators):

- **One mail a day per mailbox.** The mail is named for its mailbox and day (UTC),
  ``mail/form-<mailbox key>-<date>`` (``model.form_mail_id``): creating it is the day's quota,
  at no write of its own. The mailbox key folds sub-addressing and case
  (``personal_keys.mailbox_address``): ``victim+1@`` and ``victim+2@`` share one day.
- **A few mails an hour per domain.** Each takes a numbered slot,
  ``mail_slots/<domain key>.<hour>.<n>`` for n up to ``DOMAIN_MAILS_PER_HOUR``, so that a flood
  of different addresses at one domain stops there and goes on in later hours.

Neither fence loses anything: a mail that cannot go now is queued for the first free day and
hour (its ``not_before``), and the sign-up is stored whatever happens to its mail. The same
slots, under another window name, cap the regiegroep's alerts about applications
(coordinators.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

from ..common.personal_keys import PersonalKeys
from ..mail_ids import form_mail_id

# How far a mail that cannot go today may be put off (the werkwijze of a resident who applied
# as coordinator earlier the same day goes out the next morning).
LOOK_AHEAD_DAYS = 7
# Mails an hour to addresses at one domain that nobody confirmed. A village's busiest hour
# (a door-to-door evening) brings a few sign-ups per mail provider; an attack brings hundreds.
DOMAIN_MAILS_PER_HOUR = 20
# How many hours a domain's mail may be pushed back before it is given up for the day.
DOMAIN_LOOK_AHEAD_HOURS = 24
HOUR = timedelta(hours=1)


class SlotReader(Protocol):
    def quota_taken(self, document_ids: list[str]) -> set[str]: ...

    def count_slots(self, window: str) -> int: ...

    def quota_and_slots(self, document_ids: list[str], window: str) -> tuple[set[str], int]: ...


@dataclass(frozen=True, slots=True)
class QuotaDay:
    mail_id: str  # the form's mail of that day to that mailbox
    send_from: datetime  # when the mail may go: now, or the start of a later day


@dataclass(frozen=True, slots=True)
class Slot:
    id: str  # the mail_slots document that takes it
    window_start: datetime  # the hour it belongs to


@dataclass(frozen=True, slots=True)
class MailQuota:
    """Where an unconfirmed address's mail may go: its id, when, and the slot it takes."""

    mail_id: str
    send_from: datetime
    slot: str


def quota_days(mailbox_key: str, now: datetime, days: int) -> list[QuotaDay]:
    """Today's quota of a mailbox (``PersonalKeys.mailbox``), then that of each following day."""
    today = now.astimezone(UTC).date()
    result = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        start = datetime.combine(day, time(0), tzinfo=UTC)
        result.append(
            QuotaDay(
                mail_id=form_mail_id(mailbox_key, day), send_from=now if offset == 0 else start
            )
        )
    return result


def free_day(store: SlotReader, mailbox_key: str, now: datetime, *, days: int) -> QuotaDay | None:
    """The first of the next ``days`` days on which a form may still mail a mailbox; None when
    each is taken. Today is asked first and alone (one read), the later days only when it is
    taken. A free day read here may be taken before the caller's batch commits: the batch's
    create then fails, and the caller decides again."""
    candidates = quota_days(mailbox_key, now, days)
    for batch in (candidates[:1], candidates[1:]):
        taken = store.quota_taken([candidate.mail_id for candidate in batch]) if batch else set()
        free = next((c for c in batch if c.mail_id not in taken), None)
        if free is not None:
            return free
    return None


def window_name(name: str, hour: datetime) -> str:
    """The slots of ``name`` (a domain key, or "applications") in the hour of ``hour`` (UTC)."""
    return f"{name}.{hour.astimezone(UTC):%Y%m%dT%H}"


def free_slot(
    store: SlotReader, name: str, per_hour: int, start: datetime, *, hours: int
) -> Slot | None:
    """The first free slot of ``name`` from the hour of ``start`` on, looking ``hours`` hours
    ahead; None when all are taken. One read (a count) per hour looked at: a flood makes later
    requests look further, an ordinary hour costs one. The count is where to start: a slot
    taken between the count and the caller's batch makes that batch fail, and the caller
    decides again."""
    hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    for offset in range(hours):
        window_start = hour + offset * HOUR
        window = window_name(name, window_start)
        taken = store.count_slots(window)
        if taken < per_hour:
            return Slot(_next_slot(window, taken), window_start)
    return None


def _next_slot(window: str, taken: int) -> str:
    """The id of the slot after the ``taken`` ones of ``window``."""
    return f"{window}.{taken + 1:03d}"


def mail_quota(
    store: SlotReader, keys: PersonalKeys, email: str, now: datetime, *, days: int = 1
) -> MailQuota | None:
    """When a mail to the unconfirmed ``email`` may go, within ``days`` days: the first day its
    mailbox has not been mailed yet, and in it the first hour its domain has room. None when
    there is no such day; the caller stores what it stores all the same.

    The usual answer (today, this hour) costs one round trip: today's quota and this hour's
    slots are read at once. Only a mailbox or domain already mailed looks further."""
    mailbox, domain = keys.mailbox(email), keys.domain(email)
    today = quota_days(mailbox, now, 1)[0]
    this_hour = window_name(domain, now)
    taken, slots = store.quota_and_slots([today.mail_id], this_hour)
    if not taken and slots < DOMAIN_MAILS_PER_HOUR:
        return MailQuota(today.mail_id, now, _next_slot(this_hour, slots))
    day = free_day(store, mailbox, now, days=days)
    if day is None:
        return None
    slot = free_slot(
        store,
        keys.domain(email),
        DOMAIN_MAILS_PER_HOUR,
        day.send_from,
        hours=DOMAIN_LOOK_AHEAD_HOURS,
    )
    if slot is None:
        return None
    return MailQuota(day.mail_id, max(day.send_from, slot.window_start), slot.id)
