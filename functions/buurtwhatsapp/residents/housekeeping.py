"""Scheduled housekeeping: one reminder to confirm, one reminder to the coordinator (and, in a
group with an invite link, one nudge to the resident to ask to join), and the expiry of
sign-ups never confirmed, as the privacy statement promises.

Each reminder happens at most once whatever the schedule: the flag set in the same write takes
the sign-up out of the query, and that write is fenced by the sign-up's revision (see store.py),
so two runs that read the same sign-up cannot both send it.

The reminder to confirm goes to an address nobody has confirmed, so it keeps to the same fences
as the forms' mail (form_mail_quota.py): one a day per mailbox, a few an hour per domain. When
they put it off, it is queued for the first free day and hour rather than skipped, so that a
flood of sign-ups for one mailbox cannot hold back the reminders of everyone else.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from ..common.clock import Clock
from ..common.personal_keys import PersonalKeys
from ..deployment.people import People
from ..deployment.structure import Deployment
from ..forms.mail_quota import LOOK_AHEAD_DAYS, mail_quota
from ..mail.catalogue import MailTemplate
from ..model import Signup, SignupStatus, mail_document
from ..store import Conflict, SignupGone, Store
from .group_rules import send_new_rules
from .membership import coordinator_mails, erase, join_nudge, placement_of, places_taken
from .yearly_check import run_yearly_checks

log = logging.getLogger(__name__)

REMIND_UNCONFIRMED_AFTER = timedelta(days=3)
# A confirm takes its place and records it within seconds; a place unrecorded after this long
# belongs to a confirm that crashed.
ORPHAN_SEAT_AGE = timedelta(hours=1)
REMIND_COORDINATOR_AFTER = timedelta(days=3)


def run_housekeeping(
    *,
    deployment: Deployment,
    store: Store,
    clock: Clock,
    keys: PersonalKeys,
    people: People | None = None,
    limit: int = 100,
) -> dict[str, int]:
    """Do what is due, at most ``limit`` of each kind per call; the next call does the rest.

    ``people``: the current coordinators (see membership.confirm).
    """
    people = people or People.from_deployment(deployment)
    now = clock.now()
    counts = {"confirm_reminders": 0, "coordinator_reminders": 0, "expired": 0, "orphan_seats": 0}

    for signup in store.signups_waiting(
        SignupStatus.PENDING,
        "created_at",
        now - REMIND_UNCONFIRMED_AFTER,
        limit,
        unflagged="confirm_reminder_sent",
    ):
        fields = {"confirm_reminder_sent": True, "updated_at": now}
        quota = mail_quota(store, keys, signup.email, now, days=LOOK_AHEAD_DAYS)
        if quota is None:
            # A week of this mailbox's days is taken: the reminder is given up, the expiry
            # after privacy_retention_days still comes.
            log.info(
                "confirm reminder given up: mail quota used up", extra={"signup_id": signup.id}
            )
            _once(store, signup, fields, [], now)
            continue
        mail = mail_document(
            template=MailTemplate.CONFIRM_REMINDER,
            to=signup.email,
            # Nothing typed: the address is still unconfirmed (see signups._confirmation_mail).
            data={"retention_days": deployment.initiative.privacy_retention_days},
            signup_id=signup.id,
            now=now,
            not_before=quota.send_from,
        )
        if _once(store, signup, fields, [(quota.mail_id, mail)], now, [quota.slot]):
            counts["confirm_reminders"] += 1

    taken: dict[str | None, int | None] = {}
    invites: dict[str, bool] = {}  # per group and run: has it an invite link now?
    for signup in store.signups_waiting(
        SignupStatus.CONFIRMED,
        "confirmed_at",
        now - REMIND_COORDINATOR_AFTER,
        limit,
        unflagged="coordinator_reminder_sent",
    ):
        waiting = now - (signup.confirmed_at or now)
        placement = placement_of(signup, deployment)
        group_id = placement.group.id if placement.group else None
        if group_id not in taken:  # counted once per group and run, not once per reminder
            taken[group_id] = places_taken(placement, store)
        if group_id is not None and group_id not in invites:
            invites[group_id] = store.group_invite(group_id) is not None
        invite = group_id is not None and invites[group_id]
        mails = coordinator_mails(
            MailTemplate.COORDINATOR_REMINDER,
            signup,
            placement,
            people,
            taken[group_id],
            now,
            extra={"days_waiting": waiting.days},
            invite=invite,
        )
        if invite and placement.group is not None:
            # The request may never have been sent: one nudge with their /join link, in the
            # same fenced write as the coordinator's reminder, so it goes once too.
            mails.append(join_nudge(signup, placement.group, people, now))
        fields = {"coordinator_reminder_sent": True, "updated_at": now}
        if _once(store, signup, fields, mails, now):
            counts["coordinator_reminders"] += 1

    retention = timedelta(days=deployment.initiative.privacy_retention_days)
    for signup in store.signups_waiting(SignupStatus.PENDING, "created_at", now - retention, limit):
        if erase(
            signup.id,
            reason="expired",
            deployment=deployment,
            store=store,
            clock=clock,
            notify=False,
            # Found pending, but the resident may confirm before the erasure reads or writes.
            only_if=SignupStatus.PENDING,
        ):
            counts["expired"] += 1

    counts.update(
        run_yearly_checks(
            deployment=deployment, store=store, clock=clock, people=people, limit=limit
        )
    )
    counts.update(send_new_rules(deployment=deployment, store=store, clock=clock, limit=limit))
    counts["orphan_seats"] = store.release_orphan_seats(now - ORPHAN_SEAT_AGE, limit)
    log.info("housekeeping done", extra=counts)
    return counts


def _once(
    store: Store,
    signup: Signup,
    fields: dict[str, object],
    mails: list[tuple[str, dict[str, object]]],
    now: datetime,
    slots: Sequence[str] = (),
) -> bool:
    """Record a reminder against the sign-up as read; a sign-up that changed meanwhile (or a
    quota day or slot taken meanwhile) is skipped: the next run sees it as it is now."""
    try:
        store.advance_signup(signup, fields, mails, now, slots)
    except (Conflict, SignupGone):
        return False
    return True
