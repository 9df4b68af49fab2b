"""The deployment file's schema: pydantic models of its tables, the rules across them, and the
one formatter that names each problem's place in the file.

Only :func:`..loading.load_deployment` imports this module, when it reads the file:
pydantic and these models cost some 60 ms of import, which the modules that merely use the
dataclasses (and so every request path) must not pay.

Pydantic checks each table on its own: its keys, the types TOML gave and every value. What no
single table shows (how many entries an array of tables has, unique ids, the area a group
names, areas no group serves or no address can reach, a person listed twice) is checked by
:func:`_rules` on the parsed document, so that those problems are reported together with the
ones inside the entries.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from ..common import contacts
from .addresses import UNUSED_POSTCODE_LETTERS, compact_upper, normalise_street
from .structure import (
    MAX_GROUP_CAPACITY,
    MAX_REGIEGROEP,
    Area,
    ConfigError,
    Deployment,
    Group,
    Initiative,
    Person,
    StreetRange,
)

Loc = tuple[int | str, ...]
"""A place in the document: keys of tables and 0-based indexes into arrays, as pydantic gives."""

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_MAX_SLUG_LENGTH = 63
_POSTCODE_PREFIX = re.compile(r"[1-9][0-9]{3}(?:[A-Z]{1,2})?")
_ABSENT = object()
_T = TypeVar("_T", bound="_Table")


def _problem(message: str) -> PydanticCustomError:
    # Without a context pydantic takes the template as it is: a brace in a value is safe.
    return PydanticCustomError("deployment_file", message)


def _quote(text: str) -> str:
    """``text`` in double quotes, escaped as in a TOML basic string, so that it stays one line."""
    return json.dumps(text, ensure_ascii=False)


# --- One value ----------------------------------------------------------------------------------


def _must(holds: Callable[[Any], bool], message: str) -> AfterValidator:
    """A rule for one value; ``{}`` in ``message`` shows the value (a string quoted)."""

    def check(value: Any) -> Any:
        if not holds(value):
            raise _problem(message.format(_quote(value) if isinstance(value, str) else value))
        return value

    return AfterValidator(check)


def _one_line(value: str) -> str:
    value = value.strip()
    if not value:
        raise _problem("must not be empty")
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise _problem("must be one line without control characters")
    return value


def _is_slug(value: str) -> bool:
    return bool(_SLUG.fullmatch(value)) and len(value) <= _MAX_SLUG_LENGTH


def _slug(kind: str) -> AfterValidator:
    return _must(
        _is_slug,
        kind + " id {} must be lower-case letters, digits and hyphens, starting with a letter "
        f"or digit, at most {_MAX_SLUG_LENGTH} characters",
    )


def _is_web_address(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def _name(value: str) -> str:
    """A person's name, by the rule the form applies (contacts.normalise_name)."""
    try:
        return contacts.normalise_name(value)
    except contacts.ContactError as error:
        if error.reason is contacts.Reason.NAME_EMPTY:
            raise _problem("must not be empty") from None
        raise _problem(f"invalid name: {error.detail}") from None


def _email(value: str) -> str:
    try:
        return contacts.normalise_email(value)
    except contacts.ContactError as error:
        raise _problem(f"invalid e-mail address {_quote(value)}: {error.detail}") from None


def _phone(value: str) -> str:
    try:
        # Any valid number: a coordinator's landline will do, only members need WhatsApp.
        return contacts.normalise_phone(value, mobile=False)
    except contacts.ContactError:
        raise _problem(f"invalid phone number {_quote(value)}") from None


def _postcode_prefix(value: str) -> str:
    prefix = compact_upper(value)
    if prefix is None or not _POSTCODE_PREFIX.fullmatch(prefix):
        raise _problem(
            f'{_quote(value)} is not a postcode or the start of one; write "2158", "2158A" or '
            '"2158AB"'
        )
    if prefix[4:] in UNUSED_POSTCODE_LETTERS:
        raise _problem(
            f"{_quote(value)} cannot occur: Dutch postcodes never use the letters SA, SD or SS"
        )
    return prefix


Text = Annotated[str, AfterValidator(_one_line)]
Name = Annotated[str, AfterValidator(_name)]
Email = Annotated[Text, AfterValidator(_email)]
Phone = Annotated[Text, AfterValidator(_phone)]
WebAddress = Annotated[
    Text, _must(_is_web_address, "expected a web address starting with https://, found {}")
]
GroupRules = Annotated[
    list[Text],
    _must(lambda rules: 1 <= len(rules) <= 12, "expected 1 to 12 rules (one sentence each)"),
]
Households = Annotated[
    int,
    _must(lambda n: 1 <= n <= 100_000, "expected a number of addresses from 1 to 100000, found {}"),
]
Percent = Annotated[
    int, _must(lambda n: 1 <= n <= 100, "expected a percentage from 1 to 100, found {}")
]
Days = Annotated[int, _must(lambda n: n >= 1, "expected a positive number of days, found {}")]
DaysOrOff = Annotated[
    int, _must(lambda n: 0 <= n <= 3650, "expected 0 (off) or 1 to 3650 days, found {}")
]
Capacity = Annotated[
    int,
    _must(
        lambda n: 1 <= n <= MAX_GROUP_CAPACITY,
        f"expected 1 to {MAX_GROUP_CAPACITY} members (the most a WhatsApp group can have), "
        "found {}",
    ),
]
PostcodePrefix = Annotated[str, AfterValidator(_postcode_prefix)]
StreetName = Annotated[Text, _must(normalise_street, "{} holds no letters or digits")]
HouseNumber = Annotated[int, _must(lambda n: n >= 1, "house numbers start at 1, found {}")]


# --- The tables ---------------------------------------------------------------------------------


class _Table(BaseModel):
    # strict: TOML says what type a value is, so "30" is no number of days; forbid: a typo in a
    # key must not pass silently. The order of the fields is the order of "allowed keys".
    model_config = ConfigDict(extra="forbid", strict=True)


class InitiativeTable(_Table):
    name: Text
    place: Text
    contact_email: Email
    website: WebAddress | None = None
    rules_version: Text
    privacy_version: Text
    privacy_retention_days: Days
    region: Text = ""  # Initiative takes "" for "the same as place"
    reconfirm_after_days: DaysOrOff = 365
    sign_threshold_percent: Percent = 30
    coordinators_wanted: Text | None = None
    group_rules: GroupRules | None = None  # None: structure.DEFAULT_GROUP_RULES
    rules_changes: Text | None = None
    rules_url: WebAddress | None = None


class StreetTable(_Table):
    street: StreetName
    first: HouseNumber | None = None
    last: HouseNumber | None = None
    parity: Literal["odd", "even"] | None = None
    households: Households | None = None

    @model_validator(mode="after")
    def _ordered(self) -> StreetTable:
        if self.first is not None and self.last is not None and self.first > self.last:
            raise _problem(f"first ({self.first}) must not be greater than last ({self.last})")
        return self


class AreaTable(_Table):
    id: Annotated[Text, _slug("area")]
    name: Text
    postcodes: Annotated[
        list[PostcodePrefix],
        _must(bool, 'an area needs at least one postcode, e.g. postcodes = ["2158"]'),
        Field(validate_default=True),  # an absent key is told the same as an empty array
    ] = []
    streets: Annotated[
        list[StreetTable],
        _must(bool, "empty street list; remove the key to cover every street of the postcodes"),
    ] = []
    households: Households | None = None


class PersonTable(_Table):
    name: Name
    email: Email
    phone: Phone


class GroupTable(_Table):
    id: Annotated[Text, _slug("group")]
    name: Text
    area: Text
    capacity: Capacity = MAX_GROUP_CAPACITY
    # At most one, counted by _rules; the file may name none (see people.py).
    coordinators: list[PersonTable] = []


class DeploymentFile(_Table):
    initiative: InitiativeTable
    areas: list[AreaTable] = []  # absent arrays are empty: _rules counts the entries
    groups: list[GroupTable] = []
    regiegroep: list[PersonTable] = []

    def deployment(self) -> Deployment:
        """The dataclasses the rest of the code uses; only for a file without problems."""
        return Deployment(
            initiative=Initiative.from_fields(self.initiative.model_dump()),
            areas=tuple(
                Area(
                    a.id,
                    a.name,
                    tuple(a.postcodes),
                    tuple(_street_range(s) for s in a.streets),
                    a.households,
                )
                for a in self.areas
            ),
            groups=tuple(
                Group(
                    g.id,
                    g.name,
                    g.area,
                    g.capacity,
                    Person(**g.coordinators[0].model_dump()) if g.coordinators else None,
                )
                for g in self.groups
            ),
            regiegroep=tuple(Person(**p.model_dump()) for p in self.regiegroep),
        )


def _street_range(table: StreetTable) -> StreetRange:
    return StreetRange(**table.model_dump())


class _PeopleInput(_Table):
    """Coordinators and the regiegroep as the maintainer's command line gives them."""

    coordinator: PersonTable | None = None
    regiegroep: list[PersonTable] = []


def check_people(document: dict[str, Any]) -> tuple[Person | None, tuple[Person, ...]]:
    """A coordinator (``{"coordinator": {...}}``) or a regiegroep (``{"regiegroep": [...]}``)
    typed on the command line, checked with the file's rules and worded as for the file:
    ``regiegroep[2].email: invalid e-mail address ...``. ConfigError lists every problem."""
    problems: list[tuple[Loc, str]] = []
    try:
        given = _PeopleInput.model_validate(document)
    except ValidationError as error:
        given = None
        problems += (_explain(document, e) for e in error.errors(include_url=False))
    problems += _regiegroep_rules(document, _array(document, "regiegroep"))
    if problems or given is None:
        raise ConfigError([f"{place(document, loc)}: {text}" for loc, text in problems])

    def person(table: PersonTable) -> Person:
        return Person(**table.model_dump())

    coordinator = person(given.coordinator) if given.coordinator else None
    return coordinator, tuple(person(p) for p in given.regiegroep)


def check(document: dict[str, Any], label: str) -> Deployment:
    """The deployment a parsed file describes; ConfigError naming every problem, one a line."""
    problems: list[tuple[Loc, str]] = []
    try:
        file = DeploymentFile.model_validate(document)
    except ValidationError as error:
        file = None
        problems += (_explain(document, e) for e in error.errors(include_url=False))
    problems += _rules(document)
    if problems or file is None:
        raise ConfigError([_line(label, place(document, loc), text) for loc, text in problems])
    return file.deployment()


# --- The rules across entries -------------------------------------------------------------------


def _rules(document: dict[str, Any]) -> list[tuple[Loc, str]]:
    """What no single table shows. Read from the parsed document rather than from validated
    models, so that a broken entry hides nothing: a group with a bad phone number still serves
    its area, an area with a bad postcode still holds its id."""
    problems: list[tuple[Loc, str]] = []

    def report(loc: Loc, message: str) -> None:
        problems.append((loc, message))

    areas, groups, regiegroep = (_array(document, key) for key in ("areas", "groups", "regiegroep"))
    if areas == []:
        report(("areas",), "at least one area is required ([[areas]]), found none")
    problems += _unique_ids(document, "areas", "area")
    valid_areas = _valid(areas, AreaTable)
    for later, (index, area) in enumerate(valid_areas):
        for earlier_index, earlier in valid_areas[:later]:
            prefixes = tuple(earlier.postcodes)
            if not earlier.streets and all(code.startswith(prefixes) for code in area.postcodes):
                report(
                    ("areas", index),
                    f"can never match: {place(document, ('areas', earlier_index))} comes first, "
                    "lists no streets and covers all its postcodes (the first matching area in "
                    "file order wins; put the more specific area first)",
                )
                break

    if groups == []:
        report(("groups",), "at least one group is required ([[groups]]), found none")
    problems += _unique_ids(document, "groups", "group")
    known = {i for area in areas or () if (i := _stripped(area, "id")) is not None}
    served = set()
    for index, group in enumerate(groups or ()):
        coordinators = _array(group, "coordinators")
        if coordinators is not None and len(coordinators) > 1:
            report(
                ("groups", index, "coordinators"),
                "at most one coordinator per group ([[groups.coordinators]]), "
                f"found {len(coordinators)}; change coordinators with "
                "infra/maintain coordinators set",
            )
        area_id = _stripped(group, "area")
        if area_id is not None:
            served.add(area_id)
            if area_id not in known:
                names = ", ".join(_quote(known_id) for known_id in sorted(known)) or "none"
                message = f"no area has id {_quote(area_id)} (known: {names})"
                report(("groups", index, "area"), message)
    for index, area in valid_areas:
        if area.id not in served:
            report(
                ("areas", index),
                "no group serves this area, so its residents could never be placed; add a "
                f"[[groups]] with area = {_quote(area.id)}",
            )

    problems += _regiegroep_rules(document, regiegroep)
    return problems


def _regiegroep_rules(
    document: dict[str, Any], regiegroep: list[Any] | None
) -> list[tuple[Loc, str]]:
    """At most MAX_REGIEGROEP members, each listed once: in the file and on the command line."""
    problems: list[tuple[Loc, str]] = []

    def report(loc: Loc, message: str) -> None:
        problems.append((loc, message))

    if regiegroep is not None and len(regiegroep) > MAX_REGIEGROEP:
        report(
            ("regiegroep",),
            f"at most {MAX_REGIEGROEP} coordinators form the regiegroep (those in contact with "
            f"the wijkagent), found {len(regiegroep)}",
        )
    first_at: dict[tuple[str, str], int] = {}
    for index, person in _valid(regiegroep, PersonTable):
        for key, contact in (("email", person.email.casefold()), ("phone", person.phone)):
            earlier = first_at.setdefault((key, contact), index)
            if earlier != index:
                report(
                    ("regiegroep", index, key),
                    f"{_quote(contact)} is already listed at "
                    f"{place(document, ('regiegroep', earlier))}; list each person once",
                )
    return problems


def _array(table: object, key: str) -> list[Any] | None:
    """The array under ``key``, [] when absent; None when it is no array (pydantic says so)."""
    value = table.get(key, []) if isinstance(table, dict) else None
    return value if isinstance(value, list) else None


def _stripped(table: object, key: str) -> str | None:
    value = table.get(key) if isinstance(table, dict) else None
    return (value.strip() or None) if isinstance(value, str) else None


def _unique_ids(document: dict[str, Any], key: str, kind: str) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    first_at: dict[str, int] = {}
    for index, entry in enumerate(_array(document, key) or ()):
        value = _stripped(entry, "id")
        if value is not None and _is_slug(value):
            earlier = first_at.setdefault(value, index)
            if earlier != index:
                message = (
                    f"duplicate {kind} id {_quote(value)} (first used by {key}[{earlier + 1}])"
                )
                problems.append(((key, index, "id"), message))
    return problems


def _valid(entries: list[Any] | None, model: type[_T]) -> list[tuple[int, _T]]:
    """The entries that are valid on their own, with their indexes."""
    valid = []
    for index, entry in enumerate(entries or ()):
        try:
            valid.append((index, model.model_validate(entry)))
        except ValidationError:
            continue  # reported by the validation of the whole file
    return valid


# --- Where and what -----------------------------------------------------------------------------


def place(document: dict[str, Any], loc: Loc) -> str:
    """Where ``loc`` is in the file, as a maintainer finds it: ``groups[2] (id "buitengebied")
    .coordinators[1].phone``, indexes from 1 in file order, an entry's id where it has one."""
    text = ""
    for depth, step in enumerate(loc, start=1):
        if isinstance(step, str):
            text = f"{text}.{step}" if text else step
            continue
        text += f"[{step + 1}]"
        entry_id = _stripped(_at(document, loc[:depth]), "id")
        if entry_id is not None:
            text += f" (id {_quote(entry_id)})"
    return text


def _explain(document: dict[str, Any], error: ErrorDetails) -> tuple[Loc, str]:
    """One pydantic error as the place it concerns and the message a maintainer reads."""
    loc, kind, found = tuple(error["loc"]), error["type"], error["input"]
    path = ".".join(step for step in loc if isinstance(step, str))
    if kind == "missing":
        table = _table_model(loc) is not None
        message = (
            f"missing required table [{path}]" if table else f'missing required key "{loc[-1]}"'
        )
    elif kind == "extra_forbidden":
        model = _table_model(loc[:-1])
        allowed = list(model.model_fields) if model is not None else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f'did you mean "{close[0]}"?' if close else "allowed keys: " + ", ".join(allowed)
        message = f"unknown key ({hint})"
    elif kind == "model_type":
        header = f"([[{path}]])" if isinstance(loc[-1], int) else f"[{path}]"
        message = f"expected a table {header}, found {_toml_type(found)}"
    elif kind == "list_type":
        what = f"tables ([[{path}]])" if _table_model(loc) is not None else "strings"
        message = f"expected an array of {what}, found {_toml_type(found)}"
    elif kind in ("string_type", "int_type"):
        expected = "a string" if kind == "string_type" else "an integer"
        message = f"expected {expected}, found {_toml_type(found)}"
    elif kind == "literal_error":
        expected = error["ctx"]["expected"].replace("'", '"')
        shown = _quote(found) if isinstance(found, str) else _toml_type(found)
        message = f"expected {expected}, found {shown}"
    else:  # one of ours (_problem), worded already
        message = error["msg"]
    if _at(document, loc) is _ABSENT:
        # A key the file lacks is its table's problem; at the top level, name the key itself.
        loc = loc[:-1] or loc
    return loc, message


def _table_model(loc: Loc) -> type[_Table] | None:
    """The model of the table (or array of tables) at ``loc``; None where there is no table."""
    model: type[_Table] | None = DeploymentFile
    for step in (step for step in loc if isinstance(step, str)):
        field = model.model_fields.get(step) if model is not None else None
        candidates = (field.annotation, *get_args(field.annotation)) if field else ()
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, _Table)), None)
    return model


def _at(document: dict[str, Any], loc: Loc) -> object:
    """The parsed value at ``loc``; _ABSENT where the file has none."""
    node: Any = document
    for step in loc:
        if isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
            continue
        if isinstance(node, dict) and isinstance(step, str) and step in node:
            node = node[step]
            continue
        return _ABSENT
    return node


def _line(label: str, where: str, message: str) -> str:
    return f"{label}: {where}: {message}" if where else f"{label}: {message}"


_TOML_TYPES = (
    (bool, "a boolean"),  # before int: a bool is an int
    (int, "an integer"),
    (float, "a float"),
    (str, "a string"),
    (list, "an array"),
    (dict, "a table"),
    (datetime.datetime, "a date-time"),  # before date: a datetime is a date
    (datetime.date, "a date"),
    (datetime.time, "a time"),
)


def _toml_type(value: object) -> str:
    """What TOML calls the type of a parsed value."""
    return next((name for kind, name in _TOML_TYPES if isinstance(value, kind)), "a value")
