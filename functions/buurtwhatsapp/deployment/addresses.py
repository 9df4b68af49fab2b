"""Matching a resident's address: postcodes, street names and house numbers as typed, made
comparable. Pure; the form, the deployment file and the overview all use these."""

from __future__ import annotations

import re
import unicodedata

MAX_HOUSE_NUMBER = 99999
"""Dutch house numbers run from 1 to 99999."""

_POSTCODE = re.compile(r"[1-9][0-9]{3}[A-Z]{2}")
UNUSED_POSTCODE_LETTERS = frozenset({"SA", "SD", "SS"})
_NON_ALPHANUMERIC = re.compile(r"[\W_]+")
_HOUSE_NUMBER = re.compile(r"\s*([0-9]{1,5})(?![0-9])(.*)", re.DOTALL)
_ADDITION_SEPARATORS = re.compile(r"[\s\-/.,]+")


def compact_upper(text: str) -> str | None:
    """``text`` without any whitespace, upper-cased; None if it holds non-ASCII characters."""
    compact = "".join(text.split())
    if not compact.isascii():
        return None
    return compact.upper()


def normalise_postcode(text: str) -> str | None:
    """A Dutch postcode written any way (``"2158 ab"``, ``" 2158AB "``) as ``"2158AB"``.

    None if ``text`` is not a valid Dutch postcode: four digits not starting with 0, then two
    letters, where the letter pairs SA, SD and SS are never used.
    """
    compact = compact_upper(text)
    if compact is None or not _POSTCODE.fullmatch(compact):
        return None
    if compact[4:] in UNUSED_POSTCODE_LETTERS:
        return None
    return compact


def normalise_street(text: str) -> str:
    """A comparison key for a street name; equal keys mean the same street.

    Case, accents, whitespace, hyphens, periods, apostrophes and other punctuation are ignored,
    and a word ending in the abbreviation "str" (as in "Kerkstr." or "Kerk str") counts as ending
    in "straat". So " kagerdreef ", "KAGERDREEF" and "Kager-dreef" all give ``"kagerdreef"``, and
    "'s-Gravenweg" equals "s Gravenweg". The key is for matching only, not for display.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = [word for word in _NON_ALPHANUMERIC.split(without_accents.casefold()) if word]
    return "".join(word[:-3] + "straat" if word.endswith("str") else word for word in words)


def parse_house_number(text: str) -> tuple[int, str] | None:
    """Split a house number into its number and its upper-cased addition.

    ``"12"`` gives ``(12, "")``; ``"12a"``, ``"12-A"`` and ``"12 a"`` give ``(12, "A")``;
    ``"12 bis"`` gives ``(12, "BIS")``; ``"12-1"`` gives ``(12, "1")``. Separators (space, hyphen,
    slash, period, comma) between parts of the addition become one space. None if the text does
    not start with a number from 1 to 99999, or if the addition holds anything but ASCII letters,
    digits and those separators.
    """
    match = _HOUSE_NUMBER.fullmatch(text)
    if match is None:
        return None
    number = int(match.group(1))
    if not 1 <= number <= MAX_HOUSE_NUMBER:
        return None
    parts = [part for part in _ADDITION_SEPARATORS.split(match.group(2)) if part]
    if not all(part.isascii() and part.isalnum() for part in parts):
        return None
    return number, " ".join(parts).upper()
