"""The yearly check ("doet u nog mee?"): a member is asked once every ``reconfirm_after_days``
whether they still take part, reminded once after 30 days, and erased as by leaving after 60
days without an answer.

Each member's next step is a date on the sign-up (``check_due_at``), so housekeeping reads only
the members whose step is due, by one indexed query, never all of them. Every step is a write
fenced by the sign-up's revision (see store.py), so it happens once whatever the schedule, and
a "yes" racing the lapse ends in exactly one of them: the lapse decides on each fresh read.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from ..common.clock import Clock
from ..common.dutch_dates import dutch_date
from ..deployment.people import People
from ..deployment.structure import Deployment
from ..mail.catalogue import MailTemplate
from ..mail_ids import step_mail_id
from ..model import Signup, SignupStatus, mail_document
from ..store import Conflict, Store
from ..store import SignupGone as DocumentGone
from .group_rules import rules_to_accept
from .membership import (
    ROUNDS,
    SignupGone,
    StepRaced,
    changes,
    erase,
    existing_signup,
    group_of,
    next_check,
)

log = logging.getLogger(__name__)

REMIND_AFTER = timedelta(days=30)  # after the question, one reminder
LAPSE_AFTER = timedelta(days=60)  # after the question, without an answer: erased
ASKED = "asked"
REMINDED = "reminded"


def run_yearly_checks(
    *, deployment: Deployment, store: Store, clock: Clock, people: People, limit: int = 100
) -> dict[str, int]:
    """Take each due step, at most ``limit`` members per call; the next call does the rest."""
    counts = {"checks_asked": 0, "checks_reminded": 0, "checks_lapsed": 0}
    if deployment.initiative.reconfirm_after_days <= 0:
        return counts
    now = clock.now()
    for signup in store.signups_due_for_check(now, limit):
        if signup.check_stage == REMINDED:
            if _lapse(signup, deployment=deployment, store=store, clock=clock, people=people):
                counts["checks_lapsed"] += 1
            continue
        reminding = signup.check_stage == ASKED
        asked_at = signup.check_asked_at if reminding and signup.check_asked_at else now
        after = replace(
            signup,
            check_stage=REMINDED if reminding else ASKED,
            check_asked_at=asked_at,
            # The next step: the reminder 30 days after the question, the lapse after 60.
            check_due_at=asked_at + (LAPSE_AFTER if reminding else REMIND_AFTER),
            updated_at=now,
        )
        template = MailTemplate.YEARLY_CHECK_REMINDER if reminding else MailTemplate.YEARLY_CHECK
        mail = mail_document(
            template=template,
            to=signup.email,
            data={
                "name": signup.name,
                "group_name": group.name if (group := group_of(signup, deployment)) else None,
                "lapse_on": dutch_date((asked_at + LAPSE_AFTER).date()),
                # New group rules not yet accepted: the "yes" accepts them (group_rules.py).
                "rules_version": rules_to_accept(signup, deployment),
            },
            signup_id=signup.id,
            now=now,
        )
        try:
            store.advance_signup(
                signup,
                changes(signup, after),
                [(step_mail_id(signup.id, signup.revision + 1), mail)],
                now,
                count="checks_reminded" if reminding else "checks_asked",
            )
        except (Conflict, DocumentGone):
            continue  # changed meanwhile (a "yes", a leave): the next run sees it as it is
        counts["checks_reminded" if reminding else "checks_asked"] += 1
    log.info("yearly checks done", extra=counts)
    return counts


def _lapse(
    signup: Signup, *, deployment: Deployment, store: Store, clock: Clock, people: People
) -> bool:
    def still_lapsing(fresh: Signup) -> bool:
        due = fresh.check_due_at
        return fresh.check_stage == REMINDED and due is not None and due <= clock.now()

    return erase(
        signup.id,
        reason="lapsed",
        deployment=deployment,
        store=store,
        clock=clock,
        people=people,
        only_if=SignupStatus.ACTIVE,
        only_while=still_lapsing,
        count="checks_lapsed",
    )


def still_taking_part(
    signup_id: str,
    *,
    deployment: Deployment,
    store: Store,
    clock: Clock,
    rules_shown: str | None = None,
) -> bool:
    """ "Ja, ik doe nog mee": the next check a year on. False when the member had not been asked
    (nothing to answer; an old link). SignupGone once they left or lapsed.

    ``rules_shown``: the group rules version the page showed with the question, which the
    "yes" accepts too, if it is still the one in force (else the rules mail asks anew)."""
    for _round in range(ROUNDS):
        signup = existing_signup(store, signup_id)
        if signup.status is not SignupStatus.ACTIVE or not signup.check_stage:
            return False
        now = clock.now()
        after = replace(
            signup,
            check_stage="",
            check_asked_at=None,
            checked_at=now,
            check_due_at=next_check(deployment, now),
            updated_at=now,
        )
        events: tuple[str, ...] = ("checks_yes",)
        if rules_shown is not None and rules_shown == rules_to_accept(signup, deployment):
            accepted = signup.accepted.of_rules(rules_shown, now)
            after = replace(after, accepted=accepted, rules_offered=rules_shown)
            events += ("rules_accepted",)
        try:
            store.advance_signup(signup, changes(signup, after), [], now, count=events)
        except Conflict:
            continue
        except DocumentGone:
            raise SignupGone(signup_id) from None
        log.info("member still takes part", extra={"signup_id": signup_id})
        return True
    raise StepRaced(signup_id)


# Members who joined before the yearly check existed and are due at once are asked over this
# many days, not all on the same hour: the regiegroep's mailbox and the sending rate thank us.
SPREAD_DAYS = 30


def plan_first_checks(
    *, deployment: Deployment, store: Store, clock: Clock, dry_run: bool = False
) -> tuple[int, int]:
    """A one-off for members from before the yearly check and before new group rules were sent
    by version, whose documents lack what later members get when added:

    - a planned check (``check_due_at``), while the check is on: a year after they were added,
      or, if that has passed, a day within the next SPREAD_DAYS;
    - the rules version they were sent (``rules_offered``, the one they accepted), without which
      group_rules.py's query cannot see them.

    Each write is fenced by the revision, so a member who leaves meanwhile is skipped.
    (planned, had both already)."""
    checks_on = deployment.initiative.reconfirm_after_days > 0
    now = clock.now()
    planned = already = 0
    for number, signup in enumerate(store.signups(status=SignupStatus.ACTIVE.value)):
        after = signup
        if checks_on and signup.check_due_at is None and not signup.check_stage:
            due = next_check(deployment, signup.added_at or signup.created_at)
            if due is None or due < now:
                due = now + timedelta(days=number % SPREAD_DAYS, hours=1)
            after = replace(after, check_due_at=due)
        if not signup.rules_offered:
            after = replace(after, rules_offered=signup.accepted.rules)
        if after is signup:
            already += 1
            continue
        if not dry_run:
            try:
                after = replace(after, updated_at=now)
                store.advance_signup(signup, changes(signup, after), [], now)
            except (Conflict, DocumentGone):
                continue
        planned += 1
    log.info("members from before planned", extra={"sent": planned})
    return planned, already
