"""The one read of the overview: the store's plain figures, counted (counts.py). The page, the
monthly digest and the maintainer's report all read it here."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..deployment.structure import Deployment
from ..model import month_key
from ..store import Store
from .counts import Overview, build_overview


def read_overview(deployment: Deployment, store: Store, now: datetime | None = None) -> Overview:
    """The overview as Firestore holds it now (the page, the digest and the report); ``now``
    measures how long members have waited to be added, and names the months whose counts are
    read (this one and the one before)."""
    months = recent_months(now) if now is not None else ()
    inputs = store.overview_inputs([group.id for group in deployment.groups], months)
    return build_overview(deployment, inputs, now)


def recent_months(now: datetime) -> tuple[str, str]:
    """This month and the one before, as the monthly counts are named."""
    before = now.replace(day=1) - timedelta(days=1)
    return month_key(now), month_key(before)
