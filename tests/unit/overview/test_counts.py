"""The regiegroep's overview (coverage.py), built from plain inputs against the example
deployment: Buitenkaag dorp lists Kagerdreef, Lisserweg 480–530 and the odd numbers 1–49 of
Dorpsstraat; the buitengebied takes every other address of 2158 and has no street list."""

from __future__ import annotations

from datetime import date

import pytest

from buurtwhatsapp.common.dutch_dates import dutch_date, dutch_month
from buurtwhatsapp.deployment.structure import StreetRange
from buurtwhatsapp.model import OverviewInputs, SignupRow
from buurtwhatsapp.overview.counts import (
    Counts,
    GroupFill,
    build_overview,
    street_label,
)

DORP_STREETS = ("Kagerdreef", "Lisserweg 480–530", "Dorpsstraat 1–49 (oneven nummers)")


def row(status: str, street: str, number: str, group: str | None = None, postcode: str = "2158AB"):
    return SignupRow(status, street, number, postcode, group)


def inputs(*rows: SignupRow, seats=None, applications=0, failed=0) -> OverviewInputs:
    return OverviewInputs(tuple(rows), seats or {}, applications, failed)


@pytest.fixture
def overview(deployment):
    return build_overview(
        deployment,
        inputs(
            row("active", "Kagerdreef", "12a", "dorp"),
            row("active", "kager-dreef", "14", "dorp"),  # the same street, written otherwise
            row("confirmed", "Kagerdreef", "3", "dorp"),
            row("pending", "Kagerdreef", "5"),
            row("active", "Lisserweg", "500", "dorp"),
            # Outside the dorp's part of Lisserweg and on the even side of Dorpsstraat: the
            # buitengebied, which counts the streets it sees, however they are spelled.
            row("active", "Lisserweg", "12", "buitengebied"),
            row("pending", "lisserweg", "14"),
            row("confirmed", "Dorpsstraat", "4", None),  # confirmed while no group had room
            row("pending", "Zandslootweg", "1"),
            row("active", "Kerkstraat", "1", "dorp", postcode="1012AB"),  # no area takes it now
            seats={"dorp": 4, "buitengebied": 1},
            applications=2,
            failed=3,
        ),
    )


def test_a_listed_area_shows_every_listed_street_with_its_counts(overview):
    dorp = overview.areas[0]
    assert (dorp.id, dorp.has_street_list) == ("dorp", True)
    assert [(s.label, s.counts, s.listed) for s in dorp.streets] == [
        ("Kagerdreef", Counts(active=2, confirmed=1, pending=1), True),
        ("Lisserweg 480–530", Counts(active=1), True),
        ("Dorpsstraat 1–49 (oneven nummers)", Counts(), True),
    ]
    assert dorp.counts == Counts(active=3, confirmed=1, pending=1)


def test_a_listed_street_nobody_signed_up_from_is_a_street_without_members(overview):
    assert overview.areas[0].streets_without_members == ("Dorpsstraat 1–49 (oneven nummers)",)
    assert overview.streets_without_members == 1


def test_an_area_without_a_street_list_shows_the_streets_seen_in_its_signups(overview):
    buitengebied = overview.areas[1]
    assert buitengebied.has_street_list is False
    assert [(s.label, s.counts, s.listed) for s in buitengebied.streets] == [
        ("Dorpsstraat", Counts(confirmed=1), False),
        ("Lisserweg", Counts(active=1, pending=1), False),  # "lisserweg" is the same street
        ("Zandslootweg", Counts(pending=1), False),
    ]
    assert buitengebied.streets_without_members == ()  # it cannot know them


def test_totals_groups_and_the_other_figures(overview):
    assert overview.totals == Counts(active=5, confirmed=2, pending=3)
    assert overview.elsewhere == Counts(active=1)
    assert overview.without_group == 1
    assert (overview.open_applications, overview.failed_mail) == (2, 3)
    assert [(g.id, g.area, g.taken, g.capacity) for g in overview.groups] == [
        ("dorp", "Buitenkaag dorp", 4, 1024),
        ("buitengebied", "Buitengebied Buitenkaag", 1, 1024),
    ]


def test_the_figures_a_digest_keeps_are_counts_only(overview):
    assert overview.figures() == {
        "active": 5,
        "confirmed": 2,
        "pending": 3,
        "without_group": 1,
        "streets_without_members": 1,
        "open_applications": 2,
        "failed_mail": 3,
        "areas": {"dorp": 5, "buitengebied": 4},
        "groups": {"dorp": 4, "buitengebied": 1},
        "waiting": {"dorp": 1, "buitengebied": 0},
    }


def test_an_empty_project_counts_zero_everywhere(deployment):
    overview = build_overview(deployment, inputs())
    assert overview.totals == Counts()
    assert overview.areas[1].streets == ()
    assert overview.streets_without_members == 3
    assert [g.taken for g in overview.groups] == [0, 0]


@pytest.mark.parametrize(
    ("street", "label"),
    [
        (StreetRange("Kagerdreef"), "Kagerdreef"),
        (StreetRange("Lisserweg", 480, 530), "Lisserweg 480–530"),
        (StreetRange("Lisserweg", 480), "Lisserweg vanaf 480"),
        (StreetRange("Lisserweg", None, 530), "Lisserweg tot en met 530"),
        (StreetRange("Dorpsstraat", 1, 49, "odd"), "Dorpsstraat 1–49 (oneven nummers)"),
        (StreetRange("Dorpsstraat", parity="even"), "Dorpsstraat (even nummers)"),
    ],
)
def test_a_listed_street_is_labelled_as_the_regiegroep_knows_it(street, label):
    assert street_label(street) == label


@pytest.mark.parametrize(
    ("taken", "capacity", "percent", "full"),
    [(0, 1024, 0, False), (1, 1024, 1, False), (512, 1024, 50, False), (3, 3, 100, True)],
)
def test_a_groups_fill(taken, capacity, percent, full):
    group = GroupFill("g", "G", "A", capacity, taken)
    assert (group.percent, group.full, group.free) == (percent, full, capacity - taken)


def test_dates_in_dutch():
    assert dutch_date(date(2026, 11, 26)) == "26 november 2026"
    assert dutch_month(date(2027, 3, 1)) == "maart 2027"


@pytest.mark.parametrize(
    ("active", "households", "percent", "ready"),
    [(0, 10, 0, False), (1, 300, 1, False), (3, 10, 30, True), (296, 1000, 29, False),
     (300, 1000, 30, True), (7, 20, 35, True), (12, 10, 100, True)],
)  # fmt: skip
def test_participation_in_whole_percents_rounded_down_and_the_threshold_compared_exactly(
    active, households, percent, ready
):
    from buurtwhatsapp.overview.counts import Participation

    shares = Participation(active, households, threshold=30)
    assert (shares.percent, shares.ready_for_signs) == (percent, ready)


def test_an_areas_households_are_its_own_or_the_sum_of_all_its_streets(deployment):
    from dataclasses import replace

    dorp = deployment.areas[0]
    counted = tuple(
        replace(street, households=10 * (n + 1)) for n, street in enumerate(dorp.streets)
    )
    assert replace(dorp, streets=counted).all_households == 60
    unknown = replace(dorp.streets[2], households=None)
    assert replace(dorp, streets=(*counted[:2], unknown)).all_households is None
    assert replace(dorp, households=250).all_households == 250
    outside = replace(deployment.areas[1], households=None)
    assert outside.all_households is None  # no street list, no count: unknown

    rows = [row("active", "Kagerdreef", str(n), "dorp") for n in range(1, 4)]
    village = replace(deployment, areas=(replace(dorp, streets=counted), outside))
    village = replace(village, initiative=replace(village.initiative, sign_threshold_percent=25))
    overview = build_overview(village, inputs(*rows))
    area = overview.areas[0]
    assert area.participation is not None and area.participation.percent == 5  # 3 of 60
    assert area.streets_ready_for_signs == ("Kagerdreef",)  # 3 of 10 >= 25%
    assert overview.has_households and not overview.areas[1].has_households


def test_members_at_one_address_are_one_household(deployment):
    from dataclasses import replace

    dorp = deployment.areas[0]
    counted = (replace(dorp.streets[0], households=10), *dorp.streets[1:])
    village = replace(deployment, areas=(replace(dorp, streets=counted),))
    rows = [
        row("active", "Kagerdreef", "1", "dorp", postcode="2158AB"),
        row("active", "Kagerdreef", " 1 ", "dorp", postcode="2158 ab"),  # the same address
        row("active", "Kagerdreef", "1a", "dorp", postcode="2158AB"),  # another one
        row("confirmed", "Kagerdreef", "3", "dorp"),  # not (yet) taking part
    ]
    [kagerdreef, *_] = build_overview(village, inputs(*rows)).areas[0].streets
    assert kagerdreef.counts.active == 3 and kagerdreef.taking_part == 2
    assert kagerdreef.participation is not None and kagerdreef.participation.percent == 20
