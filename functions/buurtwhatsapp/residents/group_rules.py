"""New group rules: when the deployment's ``rules_version`` changes, each member who accepted an
older version is sent the rules once, and accepts them with one click.

Which version a member was last sent is a field on the sign-up (``rules_offered``), so
housekeeping finds who still needs the new rules by one indexed query, empty on every run but
those just after a change. Sending sets that field in the write that queues the mail, fenced by
the sign-up's revision (store.py): one mail per member per version, whatever the schedule,
and no more than ``limit`` a run. They are due one after another, SENDS_PER_SECOND apart, not
all at once: a trigger finds a mail not yet due and leaves it, and the sweep sends what is due
one by one, so a hundred of them never hit the transport's sending rate in one burst.

A member who does not accept is not chased: the next yearly check asks them again, and its
"yes" accepts the rules in force (yearly_check.still_taking_part). One decision for both, and
no answer to it ends the membership.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum

from ..common.clock import Clock
from ..deployment.structure import Deployment
from ..mail.catalogue import MailTemplate
from ..mail_ids import step_mail_id
from ..model import Signup, mail_document
from ..store import Conflict, Store
from ..store import SignupGone as DocumentGone
from .membership import ROUNDS, SignupGone, StepRaced, changes, existing_signup, group_of

log = logging.getLogger(__name__)

SENDS_PER_SECOND = 10  # within SES's default 14 a second (a setting for news: news.py)


def send_new_rules(
    *, deployment: Deployment, store: Store, clock: Clock, limit: int = 100
) -> dict[str, int]:
    """Queue the rules mail for up to ``limit`` members not yet sent the version in force."""
    version = deployment.initiative.rules_version
    now = clock.now()
    sent = 0
    for signup in store.members_without_rules(version, limit):
        after = replace(signup, rules_offered=version, updated_at=now)
        due = now + timedelta(seconds=(sent + 1) / SENDS_PER_SECOND)
        # Back to a version the member had accepted already: nothing to ask.
        accepted = signup.accepted.rules == version
        mails = [] if accepted else [_rules_mail(signup, deployment, now, due)]
        try:
            store.advance_signup(signup, changes(signup, after), mails, now)
        except (Conflict, DocumentGone):
            continue  # changed meanwhile: the next run reads it as it is
        sent += len(mails)
    counts = {"rules_sent": sent}
    log.info("new group rules sent", extra=counts)
    return counts


def _rules_mail(
    signup: Signup, deployment: Deployment, now: datetime, due: datetime
) -> tuple[str, dict[str, object]]:
    group = group_of(signup, deployment)
    mail = mail_document(
        template=MailTemplate.RULES_CHANGED,
        to=signup.email,
        data={
            "name": signup.name,
            "group_name": group.name if group else None,
            "old_version": signup.accepted.rules,
            "new_version": deployment.initiative.rules_version,
        },
        signup_id=signup.id,
        now=now,
        not_before=due,
    )
    return step_mail_id(signup.id, signup.revision + 1), mail


class RulesAnswer(StrEnum):
    ACCEPTED = "accepted"  # recorded now
    ALREADY = "already"  # the member had accepted these rules before: nothing changed
    CHANGED = "changed"  # the rules changed since the page was shown: read them again


def rules_to_accept(signup: Signup, deployment: Deployment) -> str | None:
    """The version in force if this member has not accepted it; None if they have."""
    version = deployment.initiative.rules_version
    return None if signup.accepted.rules == version else version


def accept_rules(
    signup_id: str, version: str, *, deployment: Deployment, store: Store, clock: Clock
) -> RulesAnswer:
    """Record that the member accepted the group rules of ``version``, the one their page
    showed, with the time; as the sign-up records its acceptance. SignupGone once they left."""
    if version != deployment.initiative.rules_version:
        return RulesAnswer.CHANGED
    for _round in range(ROUNDS):
        signup = existing_signup(store, signup_id)
        if signup.accepted.rules == version:
            return RulesAnswer.ALREADY
        now = clock.now()
        after = replace(
            signup,
            accepted=signup.accepted.of_rules(version, now),
            rules_offered=version,
            updated_at=now,
        )
        try:
            store.advance_signup(signup, changes(signup, after), [], now, count="rules_accepted")
        except Conflict:
            continue
        except DocumentGone:
            raise SignupGone(signup_id) from None
        log.info("group rules accepted", extra={"signup_id": signup_id})
        return RulesAnswer.ACCEPTED
    raise StepRaced(signup_id)
