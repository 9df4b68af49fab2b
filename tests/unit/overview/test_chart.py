"""The overview's chart (chart.py): well-formed SVG with its text escaped, named for assistive
technology, bars that measure what they show, colours with enough contrast. How it looks in a
real browser at 360 and 1280 px: tests/e2e/test_overview_browser.py."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from buurtwhatsapp.model import OverviewInputs, SignupRow
from buurtwhatsapp.overview import chart
from buurtwhatsapp.overview.counts import build_overview

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE_STREET = 'Laan <script>alert("x")</script> & Co'


def row(status: str, street: str, number: str) -> SignupRow:
    return SignupRow(status, street, number, "2158AB", None)


@pytest.fixture
def overview(deployment):
    rows = [row("active", "Kagerdreef", str(n)) for n in range(1, 7)]
    rows += [row("confirmed", "Kagerdreef", "8"), row("pending", "Kagerdreef", "9")]
    rows += [row("active", "Lisserweg", "500"), row("pending", HOSTILE_STREET, "2")]
    rows += [row("active", "Een heel lange straatnaam in het buitengebied van het dorp", "301")]
    return build_overview(deployment, OverviewInputs(tuple(rows), {}, 0, 0))


@pytest.fixture
def svg(overview) -> ET.Element:
    return ET.fromstring(str(chart.members_per_street(overview)))


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def test_it_is_an_image_named_by_its_title_and_description(svg, overview):
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert svg.get("aria-labelledby") == title.get("id")
    assert svg.get("aria-describedby") == desc.get("id")
    assert title.text == "Deelnemers per straat, per gebied"
    assert desc.text == chart.describe(overview)
    assert "Kagerdreef: 8 (6 actief, 1 bevestigd, 1 aangemeld)" in desc.text
    assert "Dorpsstraat 1–49 (oneven nummers): geen deelnemers" in desc.text


def test_it_scales_to_the_page_through_its_viewbox(svg):
    x, y, width, height = (float(n) for n in svg.get("viewBox").split())
    assert (x, y, width) == (0, 0, chart.WIDTH) and height > 0
    assert svg.get("width") == "100%" and svg.get("height") is None


def test_text_typed_by_a_resident_is_escaped_not_markup(overview):
    markup = str(chart.members_per_street(overview))
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    svg = ET.fromstring(markup)  # would fail on a stray & or <
    assert HOSTILE_STREET in texts(svg)


def test_every_area_and_street_has_a_label_and_each_street_its_total(svg, overview):
    shown = texts(svg)
    for area in overview.areas:
        assert area.name in shown
        for street in area.streets:
            assert any(t.startswith(street.label[:30]) for t in shown), street.label
    assert "8" in shown and "0 · geen deelnemers" in shown


def test_a_long_street_name_is_cut_in_the_bar_label_but_whole_in_its_title(svg):
    long = "Een heel lange straatnaam in het buitengebied van het dorp"
    shown = [t for t in texts(svg) if t.startswith("Een heel lange")]
    assert shown and shown[0].endswith("…") and len(shown[0]) <= chart.MAX_LABEL
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert f"{long}: 1 (1 actief, 0 bevestigd, 0 aangemeld)" in titles


def bars(svg: ET.Element, label: str) -> list[ET.Element]:
    """The segments of one street's bar (its group holds the street's title)."""
    for group in svg.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        if title is not None and title.text.startswith(f"{label}:"):
            return group.findall(f"{SVG}rect")
    raise AssertionError(f"no bar for {label}")


def test_bars_measure_the_counts_with_one_segment_per_kind(svg):
    kagerdreef = bars(svg, "Kagerdreef")  # 6 active, 1 confirmed, 1 pending: the largest
    lisserweg = bars(svg, "Lisserweg 480–530")  # 1 active
    # Each segment spans its count times the scale: its width, a white gap and its outline.
    spans = [float(r.get("width")) + chart.SEGMENT_GAP + 1.5 for r in kagerdreef]
    assert len(spans) == 3
    assert spans[0] == pytest.approx(6 * spans[1]) and spans[1] == pytest.approx(spans[2])
    assert sum(spans) == pytest.approx(chart.BAR_WIDTH)  # the largest street fills the width
    [active] = lisserweg
    assert float(active.get("width")) + chart.SEGMENT_GAP + 1.5 == pytest.approx(spans[1])
    fills = [r.get("fill") for r in kagerdreef]
    assert fills[0] == chart.ACTIVE and fills[1].startswith("url(#") and fills[2] == "#ffffff"
    assert bars(svg, "Dorpsstraat 1–49 (oneven nummers)") == []


def contrast(foreground: str, background: str = "#ffffff") -> float:
    def luminance(colour: str) -> float:
        r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_colours_have_enough_contrast_with_the_white_around_them(overview):
    for colour in (chart.ACTIVE, chart.CONFIRMED, chart.PENDING):
        assert contrast(colour) >= 3, colour  # WCAG 1.4.11, graphical objects
    for colour in (chart.TEXT, chart.MUTED):
        assert contrast(colour) >= 4.5, colour  # WCAG 1.4.3, text
    markup = str(chart.members_per_street(overview))
    used = set(re.findall(r'(?:fill|stroke)="(#[0-9a-f]{6})"', markup))
    assert used <= {
        chart.ACTIVE,
        chart.CONFIRMED,
        chart.PENDING,
        chart.TEXT,
        chart.MUTED,
        "#ffffff",
    }


def test_an_area_without_signups_says_so(deployment):
    empty = build_overview(deployment, OverviewInputs((), {}, 0, 0))
    svg = ET.fromstring(str(chart.members_per_street(empty)))
    assert "Nog geen aanmeldingen" in texts(svg)
    for street in empty.areas[0].streets:
        assert bars(svg, street.label) == []


def test_participation_and_the_threshold_for_signs_are_drawn_where_households_are_known(svg):
    # The example file gives Kagerdreef 40 households: 6 active is 15%, below 30%.
    [kagerdreef] = [
        g for g in svg.iter(f"{SVG}g") if g.findtext(f"{SVG}title", "").startswith("Kagerdreef:")
    ]
    [share] = [g for g in kagerdreef.iter(f"{SVG}g") if g.get("class") == "share"]
    track, filled = share.findall(f"{SVG}rect")
    assert float(track.get("width")) == chart.BAR_WIDTH - 1  # 100%
    assert float(filled.get("width")) == pytest.approx(chart.BAR_WIDTH * 15 / 100)
    [line] = share.findall(f"{SVG}line")
    assert float(line.get("x1")) == pytest.approx(chart.BAR_WIDTH * 30 / 100)
    assert texts(share) == ["15% van de huishoudens"]
    assert "Drempel voor borden: 30% van de huishoudens" in texts(svg)
    assert "Kagerdreef: 8 (6 actief, 1 bevestigd, 1 aangemeld), 15% van 40 huishoudens" in (
        svg.findtext(f"{SVG}desc")
    )


def test_without_households_no_participation_is_drawn(deployment):
    from dataclasses import replace

    def uncounted(area):
        streets = tuple(replace(street, households=None) for street in area.streets)
        return replace(area, streets=streets, households=None)

    village = replace(deployment, areas=tuple(uncounted(a) for a in deployment.areas))
    rows = (row("active", "Kagerdreef", "1"),)
    markup = str(chart.members_per_street(build_overview(village, OverviewInputs(rows, {}, 0, 0))))
    assert 'class="share"' not in markup and "Drempel" not in markup
