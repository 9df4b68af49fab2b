"""One chart for the regiegroep's overview: members per street, grouped by area, as SVG; and,
where the deployment file gives a street's households, its participation on a scale of 0 to
100% below its bar, with the threshold for signs as a dashed line across it.

Drawn on the server, with no JavaScript, as inline SVG the page embeds (the Content-Security-
Policy allows no script, and an inline ``<svg>`` is markup, not a resource). It scales to the
width of the page through its viewBox, so it reads on a 360 px phone as on a desktop: every
street's label sits on a line of its own above its bar, never beside it.

Accessible: ``role="img"``, named by its ``<title>`` and described by a ``<desc>`` that says
every figure in words
(the page's tables say it too); the three kinds of member differ in form as well as colour
(solid, hatched, outlined), each colour has at least 3:1 against the white around it (WCAG
1.4.11) and text at least 4.5:1. All text is escaped: street names may be as residents typed
them.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from .counts import Counts, Overview, Participation

WIDTH = 360
BAR_WIDTH = 300  # the longest bar; its number follows it
LEGEND_HEIGHT = 34
AREA_HEIGHT = 32
STREET_HEIGHT = 44  # a label's line, its bar below, some room
EMPTY_HEIGHT = 26
BAR_TOP = 21  # below the top of a street's row
BAR_HEIGHT = 15
SEGMENT_GAP = 2  # white between segments, so that each keeps its contrast with white
MAX_LABEL = 40  # characters of a street's label; longer ones end in "…" (the title has all)
SHARE_HEIGHT = 24  # the participation line below a street's bar, when its households are known
SHARE_BAR = 7

TEXT = "#1a1a1a"  # 17:1 on white
MUTED = "#555555"  # 7.5:1
ACTIVE = "#0b6e4f"  # 6.3:1, solid
CONFIRMED = "#b35900"  # 4.8:1, hatched
PENDING = "#555555"  # an outline
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

TITLE_ID = "dekking-grafiek-titel"
DESC_ID = "dekking-grafiek-uitleg"
HATCH_ID = "dekking-grafiek-arcering"


def members_per_street(overview: Overview) -> Markup:
    """The chart as an ``<svg>`` element, ready to put in a page."""
    rows = overview.areas
    largest = max((street.counts.total for area in rows for street in area.streets), default=0)
    scale = BAR_WIDTH / max(largest, 1)
    threshold = overview.sign_threshold_percent if overview.has_street_households else None
    parts: list[str] = [_legend(threshold)]
    y = LEGEND_HEIGHT + (LEGEND_HEIGHT - 10 if threshold is not None else 0)
    for area in rows:
        parts.append(_text(0, y + 23, area.name, size=16, weight="bold"))
        y += AREA_HEIGHT
        if not area.streets:
            parts.append(_text(0, y + 16, "Nog geen aanmeldingen", fill=MUTED))
            y += EMPTY_HEIGHT
            continue
        for street in area.streets:
            parts.append(_street(y, street.label, street.counts, scale, street.participation))
            y += STREET_HEIGHT + (SHARE_HEIGHT if street.participation else 0)
    height = y + 4
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{TITLE_ID}" aria-describedby="{DESC_ID}" '
        f'viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" font-family="{escape(FONT)}" font-size="14">'
        f'<title id="{TITLE_ID}">Deelnemers per straat, per gebied</title>'
        f'<desc id="{DESC_ID}">{escape(describe(overview))}</desc>'
        f"<defs>{_hatch()}</defs>" + "".join(parts) + "</svg>"
    )
    return Markup(svg)


def describe(overview: Overview) -> str:
    """The chart in words, for whoever cannot see it."""
    sentences = [
        "Staafdiagram. Per straat het aantal deelnemers: actief in de groep, bevestigd maar "
        "nog niet toegevoegd, en aangemeld maar nog niet bevestigd."
    ]
    for area in overview.areas:
        if not area.streets:
            sentences.append(f"{area.name}: nog geen aanmeldingen.")
            continue
        streets = "; ".join(
            f"{s.label}: {_in_words(s.counts)}{_share_in_words(s.participation)}"
            for s in area.streets
        )
        sentences.append(f"{area.name}. {streets}.")
    if overview.has_street_households:
        sentences.append(
            f"Waar het aantal huishoudens bekend is, staat onder de staaf welk deel van de "
            f"huishoudens actief meedoet; de stippellijn is de drempel voor borden, "
            f"{overview.sign_threshold_percent}%."
        )
    return " ".join(sentences)


def _share_in_words(participation: Participation | None) -> str:
    if participation is None:
        return ""
    ready = ", klaar voor borden" if participation.ready_for_signs else ""
    return f", {participation.percent}% van {participation.households} huishoudens{ready}"


def _in_words(counts: Counts) -> str:
    if counts.total == 0:
        return "geen deelnemers"
    return (
        f"{counts.total} ({counts.active} actief, {counts.confirmed} bevestigd, "
        f"{counts.pending} aangemeld)"
    )


def _street(
    y: int, label: str, counts: Counts, scale: float, participation: Participation | None
) -> str:
    shown = label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"
    bar_y = y + BAR_TOP
    said = _in_words(counts) + _share_in_words(participation)
    parts = [f"<title>{escape(label)}: {escape(said)}</title>"]
    parts.append(_text(0, y + 15, shown))
    x = 0.0
    for value, style in (
        (counts.active, f'fill="{ACTIVE}"'),
        (counts.confirmed, f'fill="url(#{HATCH_ID})" stroke="{CONFIRMED}" stroke-width="1.5"'),
        (counts.pending, f'fill="#ffffff" stroke="{PENDING}" stroke-width="1.5"'),
    ):
        if value == 0:
            continue
        width = max(value * scale - SEGMENT_GAP, 3.0)
        parts.append(
            f'<rect x="{x + 0.75:.2f}" y="{bar_y + 0.75:.2f}" width="{width - 1.5:.2f}" '
            f'height="{BAR_HEIGHT - 1.5:.2f}" {style}/>'
        )
        x += width + SEGMENT_GAP
    if counts.total == 0:
        parts.append(_text(0, bar_y + 12, "0 · geen deelnemers", fill=MUTED))
    else:
        parts.append(_text(x + 4, bar_y + 12, str(counts.total), weight="bold"))
    if participation is not None:
        parts.append(_share(bar_y + BAR_HEIGHT + 6, participation))
    return "<g>" + "".join(parts) + "</g>"


def _share(top: float, participation: Participation) -> str:
    """The participation on 0 to 100% of BAR_WIDTH: an outlined track, its filled part, the
    threshold as a dashed line across it, and the percentage after it."""
    filled = BAR_WIDTH * min(participation.percent, 100) / 100
    line_x = BAR_WIDTH * participation.threshold / 100
    ready = " · klaar voor borden" if participation.ready_for_signs else ""
    parts = [
        f'<rect x="0.5" y="{top + 0.5:.2f}" width="{BAR_WIDTH - 1}" height="{SHARE_BAR - 1}" '
        f'fill="#ffffff" stroke="{MUTED}" stroke-width="1"/>',
        f'<rect x="0" y="{top:.2f}" width="{filled:.2f}" height="{SHARE_BAR}" fill="{TEXT}"/>'
        if filled
        else "",
        f'<line x1="{line_x:.2f}" y1="{top - 3:.2f}" x2="{line_x:.2f}" '
        f'y2="{top + SHARE_BAR + 3:.2f}" stroke="{CONFIRMED}" stroke-width="2" '
        'stroke-dasharray="3 2" class="threshold"/>',
        _text(0, top + SHARE_BAR + 14, f"{participation.percent}% van de huishoudens{ready}",
              fill=MUTED),
    ]  # fmt: skip
    return '<g class="share">' + "".join(parts) + "</g>"


def _legend(threshold: int | None) -> str:
    swatches = (
        (0, f'fill="{ACTIVE}"', "Actief"),
        (100, f'fill="url(#{HATCH_ID})" stroke="{CONFIRMED}" stroke-width="1.5"', "Bevestigd"),
        (215, f'fill="#ffffff" stroke="{PENDING}" stroke-width="1.5"', "Aangemeld"),
    )
    parts = []
    for x, style, label in swatches:
        parts.append(f'<rect x="{x + 0.75}" y="4.75" width="16.5" height="13.5" {style}/>')
        parts.append(_text(x + 24, 17, label))
    if threshold is not None:
        parts.append(
            f'<line x1="8" y1="27" x2="8" y2="43" stroke="{CONFIRMED}" stroke-width="2" '
            'stroke-dasharray="3 2"/>'
        )
        parts.append(_text(24, 40, f"Drempel voor borden: {threshold}% van de huishoudens"))
    return "<g>" + "".join(parts) + "</g>"


def _hatch() -> str:
    """Diagonal stripes in the colour of confirmed members, on white."""
    return (
        f'<pattern id="{HATCH_ID}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#ffffff"/>'
        f'<rect width="3" height="6" fill="{CONFIRMED}"/></pattern>'
    )


def _text(
    x: float, y: float, text: str, *, size: int | None = None, weight: str | None = None,
    fill: str = TEXT,
) -> str:  # fmt: skip
    attributes = f'x="{x:.2f}" y="{y:.2f}" fill="{fill}"'
    if size is not None:
        attributes += f' font-size="{size}"'
    if weight is not None:
        attributes += f' font-weight="{weight}"'
    return f"<text {attributes}>{escape(text)}</text>"
