"""Every mail id scheme, in one place.

A mail that may be queued twice (a double click, two instances, a retried run) has a fixed id,
so that the second create fails: the id is the fence (store.py), and costs no write of its
own. The ids carry no personal data: sign-up and application ids are random, mailbox keys are
HMACs (common/personal_keys.py), the rest are group ids, versions and dates.
"""

from __future__ import annotations

from datetime import date


def step_mail_id(signup_id: str, revision: int) -> str:
    """The mail a step on a sign-up queues first is named for the revision the step makes:
    creating it is what fences the step (store.py), and a step happens once."""
    return f"step-{signup_id}-r{revision}"


def step_copy_id(step: str, number: int) -> str:
    """The same step's mail to its ``number``-th recipient (0 is the step's own mail)."""
    return step if number == 0 else f"{step}-{number}"


def welcome_mail_id(step: str) -> str:
    """A confirm's mail to the resident of an invite-mode group: their way in."""
    return f"{step}-welcome"


def join_nudge_id(step: str) -> str:
    """A coordinator reminder's nudge to the resident of an invite-mode group: ask to join."""
    return f"{step}-join"


def removal_notice_id(step: str, number: int) -> str:
    """A leave's request to the ``number``-th coordinator to take the resident out."""
    return f"{step}-remove-{number}"


def form_mail_id(mailbox_key: str, day: date) -> str:
    """The one mail a day the public forms may send to a mailbox (``PersonalKeys.mailbox``):
    its id is the day's quota (forms/mail_quota.py)."""
    return f"form-{mailbox_key}-{day.isoformat()}"


def application_alert_ids(application_id: str, regiegroep_size: int) -> tuple[str, ...]:
    """One alert per regiegroep member (the acknowledgement is a form mail: form_mail_id). The
    first is also the marker an hourly digest creates for the application it names."""
    return tuple(f"application-{application_id}-alert-{n}" for n in range(regiegroep_size))


def application_digest_id(hour: str, number: int) -> str:
    """The regiegroep's hourly digest of applications to its ``number``-th member."""
    return f"application-{hour}-{number}"


def monthly_digest_id(month: str, number: int) -> str:
    """The regiegroep's monthly digest (``month``: "2026-11") to its ``number``-th member."""
    return f"digest-{month}-{number}"


def handover_mail_id(group_id: str, version: int, part: str) -> str:
    """A handover of ``group_id`` at people version ``version``: ``part`` is "new" (to the new
    coordinator) or "thanks" (to the one before)."""
    return f"handover-{group_id}-v{version}-{part}"
