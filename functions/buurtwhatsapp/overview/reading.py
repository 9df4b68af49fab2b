"""The one read of the overview: the store's plain figures, counted (counts.py). The page, the
monthly digest and the maintainer's report all read it here."""

from __future__ import annotations

from datetime import datetime

from ..deployment.structure import Deployment
from ..store import Store
from .counts import Overview, build_overview


def read_overview(deployment: Deployment, store: Store, now: datetime | None = None) -> Overview:
    """The overview as Firestore holds it now (the page, the digest and the report); ``now``
    measures how long members have waited to be added."""
    return build_overview(
        deployment, store.overview_inputs([group.id for group in deployment.groups]), now
    )
