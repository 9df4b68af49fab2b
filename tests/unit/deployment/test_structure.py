"""Matching an address against the areas, and finding areas and groups (deployment/structure.py)."""

from __future__ import annotations

import pytest

from buurtwhatsapp.deployment.loading import load_deployment
from buurtwhatsapp.deployment.structure import (
    Area,
    Deployment,
    Group,
    Initiative,
    Person,
    StreetRange,
)
from tests.unit.deployment.deployment_files import (
    AREAS,
    GROUPS,
    document,
    group,
    write,
)

# --- Matching addresses to areas -------------------------------------------------------------

RANGE_AREA = Area(
    id="dorp",
    name="Dorp",
    postcodes=("2158",),
    streets=(StreetRange("Kagerdreef", 10, 20),),
)


@pytest.mark.parametrize(
    ("number", "inside"),
    [(9, False), (10, True), (11, True), (19, True), (20, True), (21, False)],
)
def test_area_contains_the_inclusive_house_number_range(number, inside):
    assert RANGE_AREA.contains("2158AB", "Kagerdreef", number) is inside


@pytest.mark.parametrize(
    ("parity", "number", "inside"),
    [
        ("odd", 9, False),
        ("odd", 10, False),
        ("odd", 11, True),
        ("odd", 19, True),
        ("odd", 20, False),
        ("odd", 21, False),
        ("even", 8, False),
        ("even", 10, True),
        ("even", 11, False),
        ("even", 20, True),
        ("even", 22, False),
    ],
)
def test_area_contains_only_the_given_side_of_the_street(parity, number, inside):
    area = Area("dorp", "Dorp", ("2158",), (StreetRange("Kagerdreef", 10, 20, parity),))

    assert area.contains("2158AB", "Kagerdreef", number) is inside


def test_a_street_range_without_bounds_covers_the_whole_street():
    area = Area("dorp", "Dorp", ("2158",), (StreetRange("Kagerdreef"),))

    assert area.contains("2158AB", "Kagerdreef", 1)
    assert area.contains("2158AB", "Kagerdreef", 99999)
    assert not area.contains("2158AB", "Lisserweg", 1)


def test_a_street_range_with_one_bound_is_open_at_the_other_end():
    from_ten = Area("a", "A", ("2158",), (StreetRange("Kagerdreef", first=10),))
    up_to_ten = Area("b", "B", ("2158",), (StreetRange("Kagerdreef", last=10),))

    assert [from_ten.contains("2158AB", "Kagerdreef", n) for n in (9, 10, 5000)] == [
        False,
        True,
        True,
    ]
    assert [up_to_ten.contains("2158AB", "Kagerdreef", n) for n in (1, 10, 11)] == [
        True,
        True,
        False,
    ]


def test_area_contains_matches_the_street_however_it_is_written():
    assert RANGE_AREA.contains("2158AB", "  KAGER-dreef ", 10)
    assert not RANGE_AREA.contains("2158AB", "Kagerweg", 10)


def test_area_contains_normalises_the_postcode_and_refuses_invalid_ones():
    assert RANGE_AREA.contains("2158 ab", "Kagerdreef", 10)
    assert not RANGE_AREA.contains("2158", "Kagerdreef", 10)
    assert not RANGE_AREA.contains("2158 SA", "Kagerdreef", 10)
    assert not RANGE_AREA.contains("2159AB", "Kagerdreef", 10)


def test_area_contains_matches_postcode_prefixes_of_every_length():
    area = Area("a", "A", ("2158A", "3011BC"), ())

    assert area.contains("2158AA", "Wat dan ook", 1)
    assert area.contains("2158AZ", "Wat dan ook", 1)
    assert not area.contains("2158BA", "Wat dan ook", 1)
    assert area.contains("3011BC", "Wat dan ook", 1)
    assert not area.contains("3011BD", "Wat dan ook", 1)


def test_an_area_without_streets_contains_every_street_of_its_postcodes():
    area = Area("buiten", "Buiten", ("2158",), ())

    assert area.contains("2158XY", "Welke straat dan ook", 12345)


def overlapping(first: Area, second: Area) -> Deployment:
    initiative = Initiative("I", "P", "i@example.org", None, "r", "p", 30)
    coordinator = Person("C", "c@example.org", "+31612340001")
    groups = tuple(Group(a.id, a.name, a.id, 10, coordinator) for a in (first, second))
    return Deployment(initiative, (first, second), groups, (coordinator,))


def test_area_for_takes_the_first_matching_area_in_file_order():
    low = Area("laag", "Laag", ("2158",), (StreetRange("Kagerdreef", 1, 20),))
    high = Area("hoog", "Hoog", ("2158",), (StreetRange("Kagerdreef", 10, 40),))

    assert overlapping(low, high).area_for("2158AB", "Kagerdreef", 15).id == "laag"
    assert overlapping(high, low).area_for("2158AB", "Kagerdreef", 15).id == "hoog"
    assert overlapping(low, high).area_for("2158AB", "Kagerdreef", 30).id == "hoog"
    assert overlapping(low, high).area_for("2158AB", "Kagerdreef", 41) is None


def test_area_for_falls_through_to_the_catch_all_area(tmp_path):
    areas = AREAS + '\n[[areas]]\nid = "rest"\nname = "Rest"\npostcodes = ["2158"]\n'
    groups = GROUPS + group("rest", "rest")
    deployment = load_deployment(write(tmp_path, document(areas=areas, groups=groups)))

    assert deployment.area_for("2158AB", "Kagerdreef", 20).id == "dorp"
    assert deployment.area_for("2158AB", "Kagerdreef", 21).id == "rest"
    assert deployment.area_for("3011AB", "Kagerdreef", 20) is None


def test_groups_in_keeps_file_order_and_knows_no_unknown_area(tmp_path):
    areas = AREAS + '\n[[areas]]\nid = "rest"\nname = "Rest"\npostcodes = ["3011"]\n'
    groups = group("zuid", "dorp") + group("rest", "rest") + group("noord", "dorp")
    deployment = load_deployment(write(tmp_path, document(areas=areas, groups=groups)))

    assert [g.id for g in deployment.groups_in("dorp")] == ["zuid", "noord"]
    assert [g.id for g in deployment.groups_in("rest")] == ["rest"]
    assert deployment.groups_in("elders") == ()


def test_lookup_of_areas_and_groups_by_id(tmp_path):
    deployment = load_deployment(write(tmp_path, document()))

    assert deployment.area("dorp") is deployment.areas[0]
    assert deployment.group("dorp") is deployment.groups[0]
    assert deployment.area("elders") is None
    assert deployment.group("elders") is None
