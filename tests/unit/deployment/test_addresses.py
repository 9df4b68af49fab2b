"""Postcodes, street names and house numbers, however they are typed (deployment/addresses.py)."""

from __future__ import annotations

import pytest

from buurtwhatsapp.deployment.addresses import (
    normalise_postcode,
    normalise_street,
    parse_house_number,
)

# --- Postcodes, streets and house numbers ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2158AB", "2158AB"),
        ("2158 ab", "2158AB"),
        ("  2158   Ab ", "2158AB"),
        ("2 1 5 8 a b", "2158AB"),
        ("2158\tAB", "2158AB"),
        ("9999ZZ", "9999ZZ"),
        ("1000AA", "1000AA"),
    ],
)
def test_normalise_postcode_accepts_any_spacing_and_case(text, expected):
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2158",
        "2158A",
        "0158AB",
        "2158ABC",
        "21580AB",
        "2158-AB",
        "AB2158",
        "2158SA",
        "2158 sd",
        "2158ss",
        "２１５８AB",  # full-width digits
        "2158ÅB",
    ],
)
def test_normalise_postcode_refuses_what_is_not_a_dutch_postcode(text):
    assert normalise_postcode(text) is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kagerdreef", " kagerdreef "),
        ("Kagerdreef", "KAGERDREEF"),
        ("Kagerdreef", "Kager-dreef"),
        ("Kerkstraat", "Kerkstr."),
        ("Kerkstraat", "kerkstr"),
        ("Kerkstraat", "Kerk str."),
        ("Jan van Goyenkade", "Jan-van-Goyenkade"),
        ("Dr. Lelylaan", "dr lelylaan"),
        ("'s-Gravenweg", "s Gravenweg"),
        ("Hoofdstraat", "  Hoofd   straat  "),
        ("Rue de l'Église", "rue de l eglise"),
        ("Pieter Cloppenburgstraat", "Pieter  Cloppenburgstraat"),
    ],
)
def test_normalise_street_equal_spellings(a, b):
    assert normalise_street(a) == normalise_street(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kagerdreef", "Kagerweg"),
        ("Kerkstraat", "Kerkweg"),
        ("Kerkstraat", "Kerklaan"),
        ("1e Dwarsstraat", "2e Dwarsstraat"),
    ],
)
def test_normalise_street_keeps_different_streets_apart(a, b):
    assert normalise_street(a) != normalise_street(b)


def test_normalise_street_result_is_lower_case_without_spaces_or_accents():
    assert normalise_street("  Émile  Zolá-Straat ") == "emilezolastraat"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", (12, "")),
        (" 12 ", (12, "")),
        ("12a", (12, "A")),
        ("12A", (12, "A")),
        ("12-A", (12, "A")),
        ("12 a", (12, "A")),
        ("12 bis", (12, "BIS")),
        ("12-1", (12, "1")),
        ("12 - II", (12, "II")),
        ("12 a 1", (12, "A 1")),
        ("007", (7, "")),
        ("1", (1, "")),
        ("99999", (99999, "")),
    ],
)
def test_parse_house_number(text, expected):
    assert parse_house_number(text) == expected


@pytest.mark.parametrize(
    "text", ["", "a12", "twaalf", "-12", "0", "0a", "100000", "12 (achter)", "12 ä", "١٢"]
)
def test_parse_house_number_refuses_text_without_a_leading_number(text):
    assert parse_house_number(text) is None
