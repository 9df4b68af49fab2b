"""The deployment configuration file: which initiative, areas, groups and coordinators.

One TOML file per deployment (see ``infra/deployments/buitenkaag.toml`` for a commented example)
is read by :func:`load_deployment` into frozen dataclasses. A file that breaks a rule is refused
with a :class:`ConfigError` listing every problem at once, one per line, each naming the file and
the place in it, e.g.::

    buitenkaag.toml: groups[2] (id "buitengebied").coordinators: expected exactly one
    coordinator ([[groups.coordinators]]), found 2

Indexes in those places count from 1, in the order the entries appear in the file.

The module also holds the pure helpers that match a resident's address against the areas:
:func:`normalise_postcode`, :func:`normalise_street`, :func:`parse_house_number`,
:meth:`Area.contains` and :meth:`Deployment.area_for`.
"""

from __future__ import annotations

import datetime
import difflib
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from . import contacts

__all__ = [
    "MAX_GROUP_CAPACITY",
    "MAX_REGIEGROEP",
    "Area",
    "ConfigError",
    "Deployment",
    "Group",
    "Initiative",
    "Person",
    "StreetRange",
    "load_deployment",
    "normalise_postcode",
    "normalise_street",
    "parse_house_number",
]

MAX_GROUP_CAPACITY = 1024
"""The most members a WhatsApp group can have; also the default capacity of a group."""

MAX_REGIEGROEP = 3
"""At most this many coordinators form the regiegroep, in contact with the wijkagent."""

MAX_HOUSE_NUMBER = 99999
"""Dutch house numbers run from 1 to 99999."""

DEFAULT_PHONE_REGION = "NL"

Parity = Literal["odd", "even"]


class ConfigError(ValueError):
    """The deployment file cannot be used; the message lists every problem, one per line."""

    def __init__(self, problems: list[str] | tuple[str, ...]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


# --- Address matching -------------------------------------------------------------------------

_POSTCODE = re.compile(r"[1-9][0-9]{3}[A-Z]{2}")
_POSTCODE_PREFIX = re.compile(r"[1-9][0-9]{3}(?:[A-Z]{1,2})?")
_UNUSED_POSTCODE_LETTERS = frozenset({"SA", "SD", "SS"})
_NON_ALPHANUMERIC = re.compile(r"[\W_]+")
_HOUSE_NUMBER = re.compile(r"\s*([0-9]{1,5})(?![0-9])(.*)", re.DOTALL)
_ADDITION_SEPARATORS = re.compile(r"[\s\-/.,]+")


def _compact_upper(text: str) -> str | None:
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
    compact = _compact_upper(text)
    if compact is None or not _POSTCODE.fullmatch(compact):
        return None
    if compact[4:] in _UNUSED_POSTCODE_LETTERS:
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


@dataclass(frozen=True, slots=True)
class StreetRange:
    """A street, or the house numbers ``first`` to ``last`` (inclusive) of it.

    A missing ``first`` or ``last`` leaves that end open; without both the whole street is
    covered. ``parity`` limits the range to the odd or the even side of the street.
    """

    street: str
    first: int | None = None
    last: int | None = None
    parity: Parity | None = None
    _key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key", normalise_street(self.street))

    def covers(self, street: str, house_number: int) -> bool:
        """Whether the address ``street`` ``house_number`` lies in this range."""
        return self._covers_key(normalise_street(street), house_number)

    def _covers_key(self, street_key: str, house_number: int) -> bool:
        if street_key != self._key:
            return False
        if self.first is not None and house_number < self.first:
            return False
        if self.last is not None and house_number > self.last:
            return False
        if self.parity == "odd":
            return house_number % 2 == 1
        if self.parity == "even":
            return house_number % 2 == 0
        return True


@dataclass(frozen=True, slots=True)
class Area:
    """Where residents live who are placed in this area's groups.

    ``postcodes`` are normalised prefixes of a postcode: ``"2158"``, ``"2158A"`` or ``"2158AB"``.
    Without ``streets`` an area covers every address in those postcodes; with them, only the
    addresses that also lie in one of the street ranges.
    """

    id: str
    name: str
    postcodes: tuple[str, ...]
    streets: tuple[StreetRange, ...] = ()

    def contains(self, postcode: str, street: str, house_number: int) -> bool:
        """Whether the address lies in this area; ``postcode`` is normalised first."""
        normalised = normalise_postcode(postcode)
        if normalised is None or not normalised.startswith(self.postcodes):
            return False
        if not self.streets:
            return True
        street_key = normalise_street(street)
        return any(r._covers_key(street_key, house_number) for r in self.streets)


@dataclass(frozen=True, slots=True)
class Person:
    """A coordinator or regiegroep member; ``phone`` is E.164, ``email`` normalised."""

    name: str
    email: str
    phone: str


@dataclass(frozen=True, slots=True)
class Group:
    """One WhatsApp group: the area it serves, how many members it takes, its coordinator."""

    id: str
    name: str
    area: str
    capacity: int
    coordinator: Person


@dataclass(frozen=True, slots=True)
class Initiative:
    """Who runs the groups, and which versions of the rules and privacy texts are in force.

    ``rules_version`` and ``privacy_version`` identify the texts a resident accepts; they are
    stored with each sign-up. ``privacy_retention_days`` is the period the privacy statement
    promises for keeping personal data that is no longer needed.
    """

    name: str
    place: str
    contact_email: str
    website: str | None
    rules_version: str
    privacy_version: str
    privacy_retention_days: int
    # How texts name the whole area the groups cover ("Buitenkaag en het buitengebied");
    # defaults to ``place``.
    region: str = ""
    # Optional sentence on the coordinator form: where coordinators are wanted most.
    coordinators_wanted: str | None = None

    def __post_init__(self) -> None:
        if not self.region:
            object.__setattr__(self, "region", self.place)


@dataclass(frozen=True, slots=True)
class Deployment:
    """Everything one deployment's configuration file describes."""

    initiative: Initiative
    areas: tuple[Area, ...]
    groups: tuple[Group, ...]
    regiegroep: tuple[Person, ...]

    def area_for(self, postcode: str, street: str, house_number: int) -> Area | None:
        """The first area, in file order, that contains the address; None if none does."""
        for area in self.areas:
            if area.contains(postcode, street, house_number):
                return area
        return None

    def groups_in(self, area_id: str) -> tuple[Group, ...]:
        """The groups serving ``area_id``, in file order (empty for an unknown id)."""
        return tuple(group for group in self.groups if group.area == area_id)

    def area(self, area_id: str) -> Area | None:
        """The area with this id, or None."""
        return next((area for area in self.areas if area.id == area_id), None)

    def group(self, group_id: str) -> Group | None:
        """The group with this id, or None."""
        return next((group for group in self.groups if group.id == group_id), None)

    def group_of(self, signup: Mapping[str, object]) -> Group | None:
        """The group a stored sign-up was placed in; None if none (or no longer configured)."""
        group_id = signup.get("group")
        return self.group(group_id) if isinstance(group_id, str) else None


# --- Loading ----------------------------------------------------------------------------------

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_MAX_SLUG_LENGTH = 63
_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")

_TOP_KEYS = ("initiative", "areas", "groups", "regiegroep")
_INITIATIVE_KEYS = (
    "name",
    "place",
    "contact_email",
    "website",
    "rules_version",
    "privacy_version",
    "privacy_retention_days",
    "region",
    "coordinators_wanted",
)
_AREA_KEYS = ("id", "name", "postcodes", "streets")
_STREET_KEYS = ("street", "first", "last", "parity")
_GROUP_KEYS = ("id", "name", "area", "capacity", "coordinators")
_PERSON_KEYS = ("name", "email", "phone")

_MISSING = object()


def load_deployment(path: str | Path) -> Deployment:
    """Read and check a deployment file; raise ConfigError listing every problem in it."""
    label = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ConfigError([f"{label}: cannot read the file: {error.strerror or error}"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _position(data[: error.start].decode("utf-8", "replace"))
        raise ConfigError(
            [f"{label}: line {line}, column {column}: the file is not valid UTF-8"]
        ) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([_syntax_problem(label, text, error)]) from None
    return _Checker(label).deployment(document)


def _position(text_before: str) -> tuple[int, int]:
    """1-based line and column of the character that follows ``text_before``."""
    lines = text_before.split("\n")
    return len(lines), len(lines[-1]) + 1


def _syntax_problem(label: str, text: str, error: tomllib.TOMLDecodeError) -> str:
    message = str(error)
    line = getattr(error, "lineno", None)
    column = getattr(error, "colno", None)
    found = _TOML_POSITION.search(message)
    if found is not None:
        message = message[: found.start()]
        if line is None:
            if found.group(1) is not None:
                line, column = int(found.group(1)), int(found.group(2))
            else:
                line, column = _position(text)
    where = f"line {line}, column {column}: " if line is not None else ""
    return f"{label}: {where}TOML syntax error: {message}"


def _toml_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime.datetime):
        return "a date-time"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, datetime.time):
        return "a time"
    return type(value).__name__


def _quote(text: str) -> str:
    """``text`` in double quotes, as TOML writes a basic string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _entry_place(array: str, index: int, entry: object) -> str:
    """``areas[2] (id "dorp")``: 1-based index, with the entry's id when it has a usable one."""
    place = f"{array}[{index}]"
    if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"].strip():
        place += f" (id {_quote(entry['id'].strip())})"
    return place


class _Checker:
    """Walks the parsed document, collecting every problem before giving up."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[str] = []
        self.area_ids: set[str] = set()  # every id an [[areas]] entry gives, valid or not

    def report(self, place: str, message: str) -> None:
        self.problems.append(
            f"{self.label}: {place}: {message}" if place else f"{self.label}: {message}"
        )

    # -- generic readers

    def known_keys(self, table: dict, place: str, allowed: tuple[str, ...]) -> None:
        for key in table:
            if key in allowed:
                continue
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f'did you mean "{close[0]}"?' if close else "allowed keys: " + ", ".join(allowed)
            self.report(_join(place, key), f"unknown key ({hint})")

    def string(self, table: dict, key: str, place: str, *, required: bool = True) -> str | None:
        value = table.get(key, _MISSING)
        where = _join(place, key)
        if value is _MISSING:
            if required:
                self.report(place, f'missing required key "{key}"')
            return None
        if not isinstance(value, str):
            self.report(where, f"expected a string, found {_toml_type(value)}")
            return None
        value = value.strip()
        if not value:
            self.report(where, "must not be empty")
            return None
        if any(unicodedata.category(c) == "Cc" for c in value):
            self.report(where, "must be one line without control characters")
            return None
        return value

    def integer(self, table: dict, key: str, place: str, *, required: bool = True) -> int | None:
        value = table.get(key, _MISSING)
        if value is _MISSING:
            if required:
                self.report(place, f'missing required key "{key}"')
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.report(_join(place, key), f"expected an integer, found {_toml_type(value)}")
            return None
        return value

    def tables(self, table: dict, key: str, place: str, header: str) -> list[tuple[str, dict]]:
        """The entries of an array of tables, each with its place; [] if absent or broken."""
        value = table.get(key, _MISSING)
        where = _join(place, key)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.report(where, f"expected an array of tables ({header}), found {_toml_type(value)}")
            return []
        entries = []
        for index, entry in enumerate(value, start=1):
            entry_place = _entry_place(where, index, entry)
            if isinstance(entry, dict):
                entries.append((entry_place, entry))
            else:
                self.report(entry_place, f"expected a table ({header}), found {_toml_type(entry)}")
        return entries

    # -- the document

    def deployment(self, document: dict) -> Deployment:
        self.known_keys(document, "", _TOP_KEYS)
        initiative = self.initiative(document)
        areas = self.areas(document)
        groups = self.groups(document, areas)
        regiegroep = self.regiegroep(document)
        if self.problems or initiative is None:
            raise ConfigError(self.problems)
        return Deployment(
            initiative=initiative,
            areas=tuple(area for _, area in areas),
            groups=groups,
            regiegroep=regiegroep,
        )

    def initiative(self, document: dict) -> Initiative | None:
        table = document.get("initiative", _MISSING)
        if table is _MISSING:
            self.report("initiative", "missing required table [initiative]")
            return None
        if not isinstance(table, dict):
            self.report("initiative", f"expected a table [initiative], found {_toml_type(table)}")
            return None
        place = "initiative"
        self.known_keys(table, place, _INITIATIVE_KEYS)
        name = self.string(table, "name", place)
        town = self.string(table, "place", place)
        contact_email = self.email(table, "contact_email", place)
        website = self.string(table, "website", place, required=False)
        if website is not None:
            parts = urlsplit(website)
            if parts.scheme not in ("https", "http") or not parts.netloc:
                self.report(
                    _join(place, "website"),
                    f"expected a web address starting with https://, found {_quote(website)}",
                )
                website = None
        region = self.string(table, "region", place, required=False)
        coordinators_wanted = self.string(table, "coordinators_wanted", place, required=False)
        rules_version = self.string(table, "rules_version", place)
        privacy_version = self.string(table, "privacy_version", place)
        retention = self.integer(table, "privacy_retention_days", place)
        if retention is not None and retention < 1:
            self.report(
                _join(place, "privacy_retention_days"),
                f"expected a positive number of days, found {retention}",
            )
            retention = None
        values = (name, town, contact_email, rules_version, privacy_version, retention)
        if any(value is None for value in values):
            return None
        return Initiative(
            name=name,
            place=town,
            contact_email=contact_email,
            website=website,
            rules_version=rules_version,
            privacy_version=privacy_version,
            privacy_retention_days=retention,
            region=region or "",
            coordinators_wanted=coordinators_wanted,
        )

    def slug(self, table: dict, place: str, kind: str, seen: dict[str, str]) -> str | None:
        value = self.string(table, "id", place)
        if value is None:
            return None
        where = _join(place, "id")
        if not _SLUG.fullmatch(value) or len(value) > _MAX_SLUG_LENGTH:
            self.report(
                where,
                f"{kind} id {_quote(value)} must be lower-case letters, digits and hyphens, "
                f"starting with a letter or digit, at most {_MAX_SLUG_LENGTH} characters",
            )
            return None
        if value in seen:
            self.report(where, f"duplicate {kind} id {_quote(value)} (first used by {seen[value]})")
            return None
        seen[value] = place.split(" ")[0]
        return value

    def areas(self, document: dict) -> list[tuple[str, Area]]:
        """The valid areas with their places; each broken one is reported and left out."""
        value = document.get("areas", _MISSING)
        entries = self.tables(document, "areas", "", "[[areas]]")
        if value is _MISSING or value == []:
            self.report("areas", "at least one area is required ([[areas]]), found none")
        seen: dict[str, str] = {}
        areas: list[tuple[str, Area]] = []
        for place, table in entries:
            if isinstance(table.get("id"), str) and table["id"].strip():
                self.area_ids.add(table["id"].strip())
            area = self.area(table, place, seen)
            if area is not None:
                areas.append((place, area))
        self.unreachable_areas(areas)
        return areas

    def area(self, table: dict, place: str, seen: dict[str, str]) -> Area | None:
        self.known_keys(table, place, _AREA_KEYS)
        area_id = self.slug(table, place, "area", seen)
        name = self.string(table, "name", place)
        postcodes = self.postcodes(table, place)
        streets = self.streets(table, place)
        if area_id is None or name is None or postcodes is None or streets is None:
            return None
        return Area(id=area_id, name=name, postcodes=postcodes, streets=streets)

    def postcodes(self, table: dict, place: str) -> tuple[str, ...] | None:
        value = table.get("postcodes", _MISSING)
        where = _join(place, "postcodes")
        if value is _MISSING or value == []:
            self.report(
                where if value == [] else place,
                'an area needs at least one postcode, e.g. postcodes = ["2158"]',
            )
            return None
        if not isinstance(value, list):
            self.report(where, f"expected an array of strings, found {_toml_type(value)}")
            return None
        prefixes: list[str] = []
        complete = True
        for index, entry in enumerate(value, start=1):
            entry_place = f"{where}[{index}]"
            if not isinstance(entry, str):
                self.report(entry_place, f"expected a string, found {_toml_type(entry)}")
                complete = False
                continue
            prefix = _compact_upper(entry)
            if prefix is None or not _POSTCODE_PREFIX.fullmatch(prefix):
                self.report(
                    entry_place,
                    f"{_quote(entry)} is not a postcode or the start of one; "
                    'write "2158", "2158A" or "2158AB"',
                )
                complete = False
            elif prefix[4:] in _UNUSED_POSTCODE_LETTERS:
                self.report(
                    entry_place,
                    f"{_quote(entry)} cannot occur: Dutch postcodes never use the letters "
                    "SA, SD or SS",
                )
                complete = False
            else:
                prefixes.append(prefix)
        return tuple(prefixes) if complete else None

    def streets(self, table: dict, place: str) -> tuple[StreetRange, ...] | None:
        value = table.get("streets", _MISSING)
        if value is _MISSING:
            return ()
        if value == []:
            self.report(
                _join(place, "streets"),
                "empty street list; remove the key to cover every street of the postcodes",
            )
            return None
        entries = self.tables(table, "streets", place, "[[areas.streets]]")
        ranges = [self.street_range(entry, entry_place) for entry_place, entry in entries]
        if not isinstance(value, list) or len(ranges) != len(value) or None in ranges:
            return None
        return tuple(ranges)

    def street_range(self, table: dict, place: str) -> StreetRange | None:
        self.known_keys(table, place, _STREET_KEYS)
        street = self.string(table, "street", place)
        if street is not None and not normalise_street(street):
            self.report(_join(place, "street"), f"{_quote(street)} holds no letters or digits")
            street = None
        ok = street is not None
        bounds: dict[str, int | None] = {}
        for key in ("first", "last"):
            number = self.integer(table, key, place, required=False)
            if key in table and number is None:
                ok = False
            elif number is not None and number < 1:
                self.report(_join(place, key), f"house numbers start at 1, found {number}")
                ok = False
                number = None
            bounds[key] = number
        first, last = bounds["first"], bounds["last"]
        if first is not None and last is not None and first > last:
            self.report(place, f"first ({first}) must not be greater than last ({last})")
            ok = False
        parity = table.get("parity")
        if parity is not None and parity not in ("odd", "even"):
            shown = _quote(parity) if isinstance(parity, str) else _toml_type(parity)
            self.report(_join(place, "parity"), f'expected "odd" or "even", found {shown}')
            ok = False
        if not ok:
            return None
        return StreetRange(street=street, first=first, last=last, parity=parity)

    def unreachable_areas(self, areas: list[tuple[str, Area]]) -> None:
        """Refuse an area every address of which an earlier street-less area already takes."""
        for index, (place, area) in enumerate(areas):
            for earlier_place, earlier in areas[:index]:
                if earlier.streets:
                    continue
                if all(code.startswith(earlier.postcodes) for code in area.postcodes):
                    self.report(
                        place,
                        f"can never match: {earlier_place} comes first, lists no streets and "
                        "covers all its postcodes (the first matching area in file order wins; "
                        "put the more specific area first)",
                    )
                    break

    def groups(self, document: dict, areas: list[tuple[str, Area]]) -> tuple[Group, ...]:
        value = document.get("groups", _MISSING)
        entries = self.tables(document, "groups", "", "[[groups]]")
        if value is _MISSING or value == []:
            self.report("groups", "at least one group is required ([[groups]]), found none")
        seen: dict[str, str] = {}
        groups: list[Group] = []
        served: set[str] = set()
        for place, table in entries:
            self.known_keys(table, place, _GROUP_KEYS)
            group_id = self.slug(table, place, "group", seen)
            name = self.string(table, "name", place)
            area_id = self.string(table, "area", place)
            if area_id is not None:
                served.add(area_id)
                if area_id not in self.area_ids:
                    names = ", ".join(_quote(known) for known in sorted(self.area_ids))
                    self.report(
                        _join(place, "area"),
                        f"no area has id {_quote(area_id)} (known: {names or 'none'})",
                    )
                    area_id = None
            capacity = self.capacity(table, place)
            coordinator = self.coordinator(table, place)
            if None in (group_id, name, area_id, capacity, coordinator):
                continue
            groups.append(
                Group(
                    id=group_id,
                    name=name,
                    area=area_id,
                    capacity=capacity,
                    coordinator=coordinator,
                )
            )
        for place, area in areas:
            if area.id not in served:
                self.report(
                    place,
                    "no group serves this area, so its residents could never be placed; add a "
                    f"[[groups]] with area = {_quote(area.id)}",
                )
        return tuple(groups)

    def capacity(self, table: dict, place: str) -> int | None:
        if "capacity" not in table:
            return MAX_GROUP_CAPACITY
        capacity = self.integer(table, "capacity", place)
        if capacity is None:
            return None
        if not 1 <= capacity <= MAX_GROUP_CAPACITY:
            self.report(
                _join(place, "capacity"),
                f"expected 1 to {MAX_GROUP_CAPACITY} members (the most a WhatsApp group can "
                f"have), found {capacity}",
            )
            return None
        return capacity

    def coordinator(self, table: dict, place: str) -> Person | None:
        value = table.get("coordinators", _MISSING)
        entries = self.tables(table, "coordinators", place, "[[groups.coordinators]]")
        people = [self.person(entry, entry_place) for entry_place, entry in entries]
        if value is not _MISSING and not isinstance(value, list):
            return None  # the wrong type is reported already
        count = 0 if value is _MISSING else len(value)
        if count != 1:
            self.report(
                _join(place, "coordinators"),
                f"expected exactly one coordinator ([[groups.coordinators]]), found {count}",
            )
            return None
        return people[0] if people else None

    def regiegroep(self, document: dict) -> tuple[Person, ...]:
        value = document.get("regiegroep", _MISSING)
        entries = self.tables(document, "regiegroep", "", "[[regiegroep]]")
        if value is _MISSING or value == []:
            self.report(
                "regiegroep",
                f"expected 1 to {MAX_REGIEGROEP} coordinators ([[regiegroep]]), found none",
            )
        elif isinstance(value, list) and len(value) > MAX_REGIEGROEP:
            self.report(
                "regiegroep",
                f"at most {MAX_REGIEGROEP} coordinators form the regiegroep (those in contact "
                f"with the wijkagent), found {len(value)}",
            )
        people: list[Person] = []
        first_place: dict[tuple[str, str], str] = {}
        for place, entry in entries:
            person = self.person(entry, place)
            if person is None:
                continue
            for key, contact in (("email", person.email.casefold()), ("phone", person.phone)):
                earlier = first_place.setdefault((key, contact), place)
                if earlier != place:
                    self.report(
                        _join(place, key),
                        f"{_quote(contact)} is already listed at {earlier}; list each person once",
                    )
            people.append(person)
        return tuple(people)

    def person(self, table: dict, place: str) -> Person | None:
        self.known_keys(table, place, _PERSON_KEYS)
        name = self.string(table, "name", place)
        email = self.email(table, "email", place)
        phone = self.phone(table, "phone", place)
        if name is None or email is None or phone is None:
            return None
        return Person(name=name, email=email, phone=phone)

    def email(self, table: dict, key: str, place: str) -> str | None:
        value = self.string(table, key, place)
        if value is None:
            return None
        try:
            return contacts.normalise_email(value)
        except contacts.ContactError as error:
            self.report(
                _join(place, key), f"invalid e-mail address {_quote(value)}: {error.detail}"
            )
            return None

    def phone(self, table: dict, key: str, place: str) -> str | None:
        value = self.string(table, key, place)
        if value is None:
            return None
        try:
            return contacts.normalise_phone(value, region=DEFAULT_PHONE_REGION)
        except contacts.ContactError:
            self.report(_join(place, key), f"invalid phone number {_quote(value)}")
            return None


def _join(place: str, key: str) -> str:
    return f"{place}.{key}" if place else key
