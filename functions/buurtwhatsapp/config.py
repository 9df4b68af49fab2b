"""The deployment configuration file: which initiative, areas, groups and coordinators.

One TOML file per deployment (see ``infra/deployments/buitenkaag.toml`` for a commented example)
is read by :func:`load_deployment` into frozen dataclasses. A file that breaks a rule is refused
with a :class:`ConfigError` listing every problem at once, one per line, each naming the file and
the place in it, e.g.::

    buitenkaag.toml: groups[2] (id "buitengebied").coordinators: at most one coordinator
    per group ([[groups.coordinators]]), found 2

Indexes in those places count from 1, in the order the entries appear in the file. The schema
and its rules live in :mod:`buurtwhatsapp.deployment_file` (pydantic), imported only by
:func:`load_deployment`.

The module also holds the pure helpers that match a resident's address against the areas:
:func:`normalise_postcode`, :func:`normalise_street`, :func:`parse_house_number`,
:meth:`Area.contains` and :meth:`Deployment.area_for`.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

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

Parity = Literal["odd", "even"]


class ConfigError(ValueError):
    """The deployment file cannot be used; the message lists every problem, one per line."""

    def __init__(self, problems: list[str] | tuple[str, ...]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


# --- Address matching -------------------------------------------------------------------------

_POSTCODE = re.compile(r"[1-9][0-9]{3}[A-Z]{2}")
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
    """One WhatsApp group: the area it serves, how many members it takes.

    ``coordinator`` is who the file names, if it still does: it only seeds the people kept in
    Firestore (see people.py) and is never part of the deployed upload.
    """

    id: str
    name: str
    area: str
    capacity: int
    coordinator: Person | None = None


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

    def area_at(self, postcode: str, street: str, house_number: str) -> Area | None:
        """The area of an address as a resident typed its house number ("12a"); None if no
        area contains it (or the number has no digits)."""
        parsed = parse_house_number(house_number)
        return self.area_for(postcode, street, parsed[0]) if parsed else None

    def groups_in(self, area_id: str) -> tuple[Group, ...]:
        """The groups serving ``area_id``, in file order (empty for an unknown id)."""
        return tuple(group for group in self.groups if group.area == area_id)

    def area(self, area_id: str) -> Area | None:
        """The area with this id, or None."""
        return next((area for area in self.areas if area.id == area_id), None)

    def group(self, group_id: str) -> Group | None:
        """The group with this id, or None."""
        return next((group for group in self.groups if group.id == group_id), None)


# --- Loading ----------------------------------------------------------------------------------

_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


# The deploy checks the deployment file when it stages the upload and writes what it read next
# to it, with the file's hash: a function's first request then reads that (about 1 ms) instead of
# checking the file again with pydantic and the contact libraries (about 100 ms of cold start).
COMPILED_SUFFIX = ".checked.json"


def load_deployment(path: str | Path) -> Deployment:
    """Read and check a deployment file; raise ConfigError listing every problem in it.

    A compiled copy written by ``compile_deployment`` is used instead when it was made from
    exactly these bytes.
    """
    label = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ConfigError([f"{label}: cannot read the file: {error.strerror or error}"]) from None
    compiled = _compiled(Path(path), data)
    if compiled is not None:
        return compiled
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
    # Here, not at the top: pydantic and the models cost some 60 ms of import, which reading the
    # file should pay (once per instance), not every module that uses the dataclasses above.
    from . import deployment_file

    return deployment_file.check(document, label)


def compile_deployment(path: str | Path) -> Path:
    """Check the deployment file and write what it holds next to it, for load_deployment."""
    source = Path(path)
    deployment = load_deployment(source)
    target = source.with_name(source.name + COMPILED_SUFFIX)
    target.write_text(
        json.dumps(
            {"source_sha256": _sha256(source.read_bytes()), "deployment": asdict(deployment)}
        )
    )
    return target


def _compiled(path: Path, data: bytes) -> Deployment | None:
    """The compiled copy of the file at ``path``, if there is one made from ``data``."""
    try:
        compiled = json.loads(path.with_name(path.name + COMPILED_SUFFIX).read_text())
    except (OSError, ValueError):
        return None
    if compiled.get("source_sha256") != _sha256(data):
        return None  # the file changed since it was compiled: check it again
    return _deployment_from_dict(compiled["deployment"])


def _deployment_from_dict(data: dict) -> Deployment:
    def person(entry: dict) -> Person:
        return Person(**entry)

    return Deployment(
        initiative=Initiative(**data["initiative"]),
        areas=tuple(
            Area(
                id=area["id"],
                name=area["name"],
                postcodes=tuple(area["postcodes"]),
                streets=tuple(
                    StreetRange(**{k: v for k, v in street.items() if k != "_key"})
                    for street in area["streets"]
                ),
            )
            for area in data["areas"]
        ),
        groups=tuple(
            Group(
                **{
                    **group,
                    "coordinator": person(group["coordinator"]) if group["coordinator"] else None,
                }
            )
            for group in data["groups"]
        ),
        regiegroep=tuple(person(entry) for entry in data["regiegroep"]),
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
