"""The regiegroep's monthly digest: the overview's main figures, what changed since the last
digest, and the link to the overview page, to each member of the regiegroep.

The scheduled housekeeping calls it after its own work (web/scheduled.py), every hour; it sends
at most once per calendar month (UTC) whatever the schedule. The fence is the document
``digests/<YYYY-MM>``, created in the same batch as the month's mails: of any number of runs
(two instances at once, a retried run) exactly one commits. That document keeps the month's
figures, no names, so the next digest can say what changed. An idle run costs one read: the
newest digest, which says whether this month's went out.

The mail carries no link of its own: the overview link is signed for the recipient's hashed
e-mail key when the mail is delivered (``MailTemplate.recipient_links``), so it works its whole
30 days from arrival, and the page checks that its holder is still in the regiegroep.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..common.clock import Clock
from ..common.dutch_dates import dutch_month, month_label
from ..common.signed_links import LIFETIMES, Purpose
from ..deployment.people import People
from ..deployment.structure import Deployment
from ..mail.catalogue import MailTemplate
from ..mail_ids import monthly_digest_id
from ..model import MONTHLY_EVENTS, mail_document
from ..store import Store
from .counts import Overview
from .reading import read_overview, recent_months

log = logging.getLogger(__name__)

# The figures each digest shows, and compares with the previous digest's.
MAIN_FIGURES = (
    "active",
    "confirmed",
    "pending",
    "without_group",
    "streets_without_members",
    "open_applications",
    "failed_mail",
)


def month_of(moment: datetime) -> str:
    """The calendar month (UTC) a digest sent at ``moment`` belongs to: ``"2026-11"``."""
    return f"{moment.year:04d}-{moment.month:02d}"


def send_monthly_digest(
    *, deployment: Deployment, people: People, store: Store, clock: Clock
) -> int:
    """Queue this month's digest to every regiegroep member, unless it went out already this
    month; how many mails were queued (0: nothing to do, or another run was first)."""
    if not people.regiegroep:
        return 0
    now = clock.now()
    month = month_of(now)
    latest = store.latest_digest()
    if latest is not None and latest[0] >= month:
        return 0
    overview = read_overview(deployment, store, now)
    figures = overview.figures()
    previous = (latest[0], latest[1].get("figures") or {}) if latest else None
    content = digest_content(overview, figures, previous, now)
    mails = [
        (
            monthly_digest_id(month, number),
            mail_document(
                template=MailTemplate.REGIEGROEP_DIGEST,
                to=person.email,
                data={**content, "recipient_name": person.name},
                now=now,
            ),
        )
        for number, person in enumerate(people.regiegroep)
    ]
    document = {"month": month, "figures": figures, "mails": len(mails), "created_at": now}
    if not store.create_digest(month, document, mails):
        log.info("monthly digest already sent", extra={"month": month})
        return 0
    log.info("monthly digest queued", extra={"month": month, "mails": len(mails)})
    return len(mails)


def digest_content(
    overview: Overview,
    figures: Mapping[str, Any],
    previous: tuple[str, Mapping[str, Any]] | None,
    now: datetime,
) -> dict[str, object]:
    """What the digest's templates show (besides the recipient's name and the link): counts,
    changes since ``previous`` (its month and figures; None for the first digest), and the
    listed streets without members (names from the deployment file, never typed by anyone)."""
    before = previous[1] if previous else None

    def change(now_value: int, then_value: object) -> int | None:
        return now_value - int(then_value) if isinstance(then_value, int) else None

    areas_before = (before or {}).get("areas") or {}
    groups_before = (before or {}).get("groups") or {}
    return {
        "month_label": dutch_month(now.date()),
        # The month just ended: how the yearly check went (counts only).
        "checks": _last_month_checks(overview, now),
        "lifetime_days": LIFETIMES[Purpose.OVERVIEW].days,  # of the link made at delivery
        "since_label": month_label(previous[0]) if previous else None,
        "figures": {key: figures[key] for key in MAIN_FIGURES},
        "changes": (
            {key: change(figures[key], before.get(key)) for key in MAIN_FIGURES}
            if before is not None
            else None
        ),
        "areas": [
            {
                "name": area.name,
                "members": area.counts.total,
                "active": area.counts.active,
                "change": change(area.counts.total, areas_before.get(area.id))
                if before is not None
                else None,
            }
            for area in overview.areas
        ],
        "groups": [
            {
                "name": group.name,
                "taken": group.taken,
                "capacity": group.capacity,
                "percent": group.percent,
                "mode": group.mode,
                "waiting": group.waiting,
                "oldest_wait_days": group.oldest_wait_days,
                "change": change(group.taken, groups_before.get(group.id))
                if before is not None
                else None,
            }
            for group in overview.groups
        ],
        "streets_without_members": [
            {"area": area.name, "streets": list(area.streets_without_members)}
            for area in overview.areas
            if area.streets_without_members
        ],
        "signs": _signs(overview),
    }


def _signs(overview: Overview) -> dict[str, object] | None:
    """Participation against the households the deployment file gives, and the streets at the
    municipality's threshold for signs; None when the file gives no households at all."""
    if not overview.has_households:
        return None
    return {
        "threshold": overview.sign_threshold_percent,
        "areas": [
            {
                "name": area.name,
                "percent": area.participation.percent if area.participation else None,
                "ready": list(area.streets_ready_for_signs),
            }
            for area in overview.areas
            if area.has_households
        ],
    }


def _last_month_checks(overview: Overview, now: datetime) -> dict[str, object] | None:
    """The counts of keeping the groups current (the yearly check, new group rules, news) of
    the month before ``now``, with its name; None when nothing happened then."""
    month = recent_months(now)[1]
    counts = overview.monthly.get(month) or {}
    if not any(counts.values()):
        return None
    return {"label": month_label(month), **{e: int(counts.get(e, 0)) for e in MONTHLY_EVENTS}}
