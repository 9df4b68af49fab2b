"""What one deployment's configuration describes: the initiative, its areas and streets, its
groups and (in older files) the people, as frozen dataclasses. Reading and checking the file is
loading.py's; matching an address against the areas uses addresses.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from . import DeploymentError
from .addresses import normalise_postcode, normalise_street, parse_house_number

MAX_GROUP_CAPACITY = 1024
"""The most members a WhatsApp group can have; also the default capacity of a group."""

MAX_REGIEGROEP = 3
"""At most this many coordinators form the regiegroep, in contact with the wijkagent."""

Parity = Literal["odd", "even"]


class ConfigError(DeploymentError, ValueError):
    """The deployment file cannot be used; the message lists every problem, one per line."""

    def __init__(self, problems: list[str] | tuple[str, ...]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class StreetRange:
    """A street, or the house numbers ``first`` to ``last`` (inclusive) of it.

    A missing ``first`` or ``last`` leaves that end open; without both the whole street is
    covered. ``parity`` limits the range to the odd or the even side of the street.
    ``households``: how many addresses it has (public counts from the BAG, looked up by the
    maintainer), against which the overview shows participation; None: not given.
    """

    street: str
    first: int | None = None
    last: int | None = None
    parity: Parity | None = None
    households: int | None = None
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
    addresses that also lie in one of the street ranges. ``households``: the area's number of
    addresses, for an area without a street list (or whose streets do not all give theirs).
    """

    id: str
    name: str
    postcodes: tuple[str, ...]
    streets: tuple[StreetRange, ...] = ()
    households: int | None = None

    @property
    def all_households(self) -> int | None:
        """The area's addresses: as given, else the sum of its streets' when every street gives
        one; None when unknown (the overview then guesses nothing)."""
        if self.households is not None:
            return self.households
        counts = [street.households for street in self.streets]
        if counts and all(count is not None for count in counts):
            return sum(count for count in counts if count is not None)
        return None

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
    Firestore (see deployment/people.py) and is never part of the deployed upload.
    """

    id: str
    name: str
    area: str
    capacity: int
    coordinator: Person | None = None


# The group rules pages and mails show when the file lists none of its own (``group_rules``):
# what every Dutch WhatsApp buurtpreventie group asks of its members.
DEFAULT_GROUP_RULES = (
    "De groep is alleen voor het melden van verdachte situaties, niet voor gesprekken, oproepen "
    "of privéberichten.",
    "Ziet u iets verdachts? Bel eerst de politie: 112 bij spoed, 0900-8844 als het geen spoed "
    "heeft. Meld daarna in de groep wat u zag en dat de politie gebeld is.",
    "We werken met de SAAR-methode: Signaleer, Alarmeer, App, Reageer.",
    "Reageer alleen als het veilig en zonder risico kan, bijvoorbeeld door naar buiten te gaan of "
    "de persoon aan te spreken. Kan dat niet, blijf dan opletten en geef door wat u ziet.",
)


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
    # Members are asked once every this many days whether they still take part (the yearly
    # check, residents/yearly_check.py); 0: never.
    reconfirm_after_days: int = 365
    # The share of households taking part at which municipalities hang the "WhatsApp
    # Buurtpreventie" signs: streets at or above it are marked "klaar voor borden".
    sign_threshold_percent: int = 30
    # The group rules of ``rules_version``, one sentence each; when the version changes, members
    # who accepted an older one are sent these (residents/group_rules.py), with ``rules_changes``
    # (what changed, in a sentence or two) and ``rules_url`` (the full text elsewhere), if given.
    group_rules: tuple[str, ...] = DEFAULT_GROUP_RULES
    rules_changes: str | None = None
    rules_url: str | None = None

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> Initiative:
        """From the file's table or its compiled JSON copy: lists become tuples, and no
        ``group_rules`` means the default ones."""
        values: dict[str, Any] = {name: v for name, v in fields.items() if name != "group_rules"}
        if rules := fields.get("group_rules"):
            values["group_rules"] = tuple(rules)
        return cls(**values)

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
