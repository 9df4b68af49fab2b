"""The poster and the door letter: one A4 page each, in Dutch, readable in black and white,
with a QR code to the sign-up form with the area pre-selected (``/signup?area=ID``).

They are printable pages (``templates/print/``, ``@media print`` and ``@page``): the
maintainer's command writes one as HTML, or as a PDF that Chromium prints from it (pdf.py).
Nothing here is personal: the letter names the regiegroep by its role, never by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode, urlsplit

import jinja2
from markupsafe import Markup

from ..deployment.structure import Area, Deployment, Group
from . import ReachError


class Printed(StrEnum):
    POSTER = "poster"
    LETTER = "letter"


class UnknownPlace(ReachError):
    """The area or group asked for is not in the deployment file (or not together)."""


@dataclass(frozen=True, slots=True)
class PrintPlan:
    kind: Printed
    area: Area
    group: Group | None
    signup_url: str  # what the QR code holds
    short_url: str  # what a resident can type


def plan_print(
    kind: Printed, *, deployment: Deployment, base_url: str, area_id: str, group_id: str | None
) -> PrintPlan:
    """What to print for ``area_id`` (and its group ``group_id``); UnknownPlace if the file
    has no such area, or no such group in that area."""
    area = deployment.area(area_id)
    if area is None:
        known = ", ".join(a.id for a in deployment.areas)
        raise UnknownPlace(f"no area {area_id!r} in the deployment file (areas: {known})")
    group = None
    if group_id is not None:
        group = deployment.group(group_id)
        if group is None or group.area != area.id:
            known = ", ".join(g.id for g in deployment.groups_in(area.id))
            raise UnknownPlace(f"no group {group_id!r} in area {area.id!r} (its groups: {known})")
    signup_url = f"{base_url.rstrip('/')}/signup?{urlencode({'area': area.id})}"
    website = deployment.initiative.website
    return PrintPlan(kind, area, group, signup_url, _typeable(website or signup_url))


def _typeable(url: str) -> str:
    """An address as people type it: no scheme, no query, no trailing slash."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/")


def qr_code(url: str) -> Markup:
    """``url`` as an inline SVG QR code (error correction M, its quiet zone included), named
    for assistive technology. segno is imported here: only the print command needs it."""
    import segno

    svg = segno.make(url, error="m").svg_inline(
        scale=4, svgclass="qr", lineclass=None, omitsize=True, title=None
    )
    label = 'role="img" aria-label="QR-code naar het aanmeldformulier"'
    return Markup(svg.replace("<svg ", f"<svg {label} ", 1))


def render_print(plan: PrintPlan, templates: jinja2.Environment) -> str:
    """The printable page, as HTML."""
    return templates.get_template(f"print/{plan.kind.value}.html").render(
        area=plan.area,
        group=plan.group,
        signup_url=plan.signup_url,
        short_url=plan.short_url,
        qr=qr_code(plan.signup_url),
    )
