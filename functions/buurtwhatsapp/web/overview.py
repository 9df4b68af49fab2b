"""GET /overview?token=…: the regiegroep's overview (dekking), behind a signed link.

The link's token is made for a regiegroep member's hashed e-mail key (``model.email_key``) and
works 30 days; every monthly digest brings a fresh one (digest.py makes it at delivery). The
page checks that the key still belongs to someone in the regiegroep as it is now
(``Runtime.people``): the link of someone who left it stops working at once, answered as an
expired link. GET only; it reads and changes nothing, and like every answer it is never
cached (``no-store``). Counts only, never names.
"""

from __future__ import annotations

import flask

from ..bootstrap import Runtime
from ..chart import members_per_street
from ..coverage import dutch_date, read_overview
from ..links import LIFETIMES, Purpose
from ..model import email_key
from .http import page_response
from .links import LinkRefused, link_page


def _show(member_key: str, runtime: Runtime) -> flask.Response:
    if member_key not in {email_key(person.email) for person in runtime.people.regiegroep}:
        raise LinkRefused("expired")
    deployment = runtime.deployment
    overview = read_overview(deployment, runtime.store)
    return page_response(
        runtime.templates,
        "pages/overview.html",
        overview=overview,
        chart=members_per_street(overview),
        today=dutch_date(runtime.clock.now().date()),
        lifetime_days=LIFETIMES[Purpose.OVERVIEW].days,
    )


show = link_page(Purpose.OVERVIEW, _show)
