"""GET /overview?token=…: the regiegroep's overview (dekking), behind a signed link.

The link's token is made for a regiegroep member's e-mail key (``PersonalKeys.email``) and
works 30 days; every monthly digest brings a fresh one (digest.py makes it at delivery). The
page checks that the key still belongs to someone in the regiegroep as it is stored now: read
fresh (one read), not from the instance's people cache, so the link of someone who left it
stops working at once, answered as an expired link. GET only; it reads and changes nothing,
and like every answer it is never cached (``no-store``). Counts only, never names.
"""

from __future__ import annotations

import flask

from ..bootstrap import Runtime
from ..common.dutch_dates import dutch_date, month_label
from ..common.signed_links import LIFETIMES, Purpose
from ..overview.chart import members_per_street
from ..overview.reading import read_overview
from .http import page_response
from .link_pages import LinkRefused, link_page


def _show(member_key: str, runtime: Runtime) -> flask.Response:
    deployment = runtime.deployment
    people = runtime.store.current_people(deployment)
    if member_key not in {runtime.keys.email(person.email) for person in people.regiegroep}:
        raise LinkRefused("expired")
    overview = read_overview(deployment, runtime.store, runtime.clock.now())
    return page_response(
        runtime.templates,
        "pages/overview.html",
        overview=overview,
        chart=members_per_street(overview),
        today=dutch_date(runtime.clock.now().date()),
        months=[(month_label(month), counts) for month, counts in overview.monthly.items()],
        lifetime_days=LIFETIMES[Purpose.OVERVIEW].days,
    )


show = link_page(Purpose.OVERVIEW, _show)
