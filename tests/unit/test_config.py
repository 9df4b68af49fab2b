"""The deployment configuration file: loading, every refusal rule, and address matching."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from buurtwhatsapp.deployment.addresses import (
    normalise_postcode,
    normalise_street,
    parse_house_number,
)
from buurtwhatsapp.deployment.loading import load_deployment
from buurtwhatsapp.deployment.schema import place
from buurtwhatsapp.deployment.structure import (
    Area,
    ConfigError,
    Deployment,
    Group,
    Initiative,
    Person,
    StreetRange,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "infra" / "deployments" / "buitenkaag.toml"

INITIATIVE = """
[initiative]
name = "Buurt WhatsApp Testdorp"
place = "Testdorp"
contact_email = "info@example.org"
rules_version = "rules-1"
privacy_version = "privacy-1"
privacy_retention_days = 30
"""

AREAS = """
[[areas]]
id = "dorp"
name = "Dorp"
postcodes = ["2158"]

[[areas.streets]]
street = "Kagerdreef"
first = 10
last = 20
"""


def person(table: str, number: int, *, email: str | None = None, phone: str | None = None) -> str:
    email = email or f"person{number}@example.org"
    phone = phone or f"06-1234{number:04d}"
    return f'\n[[{table}]]\nname = "Persoon {number}"\nemail = "{email}"\nphone = "{phone}"\n'


def group(group_id: str, area: str, *, coordinators: int = 1, extra: str = "") -> str:
    text = f'\n[[groups]]\nid = "{group_id}"\nname = "Groep {group_id}"\narea = "{area}"\n{extra}'
    for number in range(1, coordinators + 1):
        text += person("groups.coordinators", number)
    return text


GROUPS = group("dorp", "dorp")
REGIEGROEP = person("regiegroep", 1)


def document(
    *,
    initiative: str = INITIATIVE,
    areas: str = AREAS,
    groups: str = GROUPS,
    regiegroep: str = REGIEGROEP,
) -> str:
    # Arrays of tables must be whole before the next array starts, so areas come before groups.
    return initiative + areas + groups + regiegroep


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "test.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    """The problems the loader reports, each without its (checked) file-name prefix."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_deployment(path)
    lines = str(caught.value).split("\n")
    assert lines == list(caught.value.problems)
    prefix = f"{path}: "
    assert all(line.startswith(prefix) for line in lines), lines
    return [line.removeprefix(prefix) for line in lines]


def only_problem(tmp_path: Path, text: str) -> str:
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    return found[0]


# --- The Buitenkaag example ------------------------------------------------------------------


def test_example_loads_with_village_first_and_buitengebied_as_catch_all():
    deployment = load_deployment(EXAMPLE)

    assert deployment.initiative.place == "Buitenkaag"
    assert [area.id for area in deployment.areas] == ["dorp", "buitengebied"]
    dorp, buitengebied = deployment.areas
    assert dorp.postcodes == ("2158",) and buitengebied.postcodes == ("2158",)
    assert dorp.streets and buitengebied.streets == ()
    assert any(r.first is not None and r.last is not None for r in dorp.streets)
    assert [g.area for g in deployment.groups] == ["dorp", "buitengebied"]
    assert 2 <= len(deployment.regiegroep) <= 3


def test_example_contact_data_is_placeholder_and_normalised():
    deployment = load_deployment(EXAMPLE)
    people = [g.coordinator for g in deployment.groups] + list(deployment.regiegroep)

    for someone in people:
        assert someone.email.endswith("@example.org")
        assert someone.phone.startswith("+3161234")
    assert deployment.initiative.contact_email.endswith("@example.org")


def test_example_places_village_streets_and_the_rest_of_2158():
    deployment = load_deployment(EXAMPLE)

    assert deployment.area_for("2158 AB", "Kagerdreef", 7).id == "dorp"
    assert deployment.area_for("2158AB", "Lisserweg", 480).id == "dorp"
    assert deployment.area_for("2158AB", "Lisserweg", 479).id == "buitengebied"
    assert deployment.area_for("2158AB", "Een Andere Weg", 1).id == "buitengebied"
    assert deployment.area_for("2159AB", "Kagerdreef", 7) is None


# --- A valid file ----------------------------------------------------------------------------


def test_minimal_file_loads_into_the_dataclasses(tmp_path):
    text = document(
        initiative=INITIATIVE.replace(
            'contact_email = "info@example.org"',
            'contact_email = "Jan.Smit@EXAMPLE.ORG"\nwebsite = "https://example.org/buurt"',
        ),
        areas=AREAS.replace('["2158"]', '["2158 ab", " 2158c", "3011"]'),
        groups=group("dorp", "dorp").replace('phone = "06-12340001"', 'phone = "+31 6 1234 0001"'),
    )
    deployment = load_deployment(write(tmp_path, text))

    assert deployment == Deployment(
        initiative=Initiative(
            name="Buurt WhatsApp Testdorp",
            place="Testdorp",
            contact_email="Jan.Smit@example.org",
            website="https://example.org/buurt",
            rules_version="rules-1",
            privacy_version="privacy-1",
            privacy_retention_days=30,
        ),
        areas=(
            Area(
                id="dorp",
                name="Dorp",
                postcodes=("2158AB", "2158C", "3011"),
                streets=(StreetRange("Kagerdreef", 10, 20, None),),
            ),
        ),
        groups=(
            Group(
                id="dorp",
                name="Groep dorp",
                area="dorp",
                capacity=1024,
                coordinator=Person("Persoon 1", "person1@example.org", "+31612340001"),
            ),
        ),
        regiegroep=(Person("Persoon 1", "person1@example.org", "+31612340001"),),
    )


def test_website_is_optional(tmp_path):
    deployment = load_deployment(write(tmp_path, document()))

    assert deployment.initiative.website is None


def test_capacity_of_exactly_1024_and_of_1_are_accepted(tmp_path):
    text = document(
        groups=group("a", "dorp", extra="capacity = 1024\n")
        + group("b", "dorp", extra="capacity = 1\n")
    )
    deployment = load_deployment(write(tmp_path, text))

    assert [g.capacity for g in deployment.groups] == [1024, 1]


def test_three_people_may_form_the_regiegroep(tmp_path):
    regiegroep = "".join(person("regiegroep", n) for n in (1, 2, 3))
    deployment = load_deployment(write(tmp_path, document(regiegroep=regiegroep)))

    assert len(deployment.regiegroep) == 3


def test_loaded_objects_are_frozen(tmp_path):
    deployment = load_deployment(write(tmp_path, document()))

    with pytest.raises(AttributeError):
        deployment.groups[0].capacity = 5  # type: ignore[misc]


# --- Refusals, each naming the place ---------------------------------------------------------


def test_config_error_is_a_value_error_naming_the_file(tmp_path):
    path = write(tmp_path, document(groups=""))

    with pytest.raises(ValueError, match=r"test\.toml: groups: "):
        load_deployment(path)


def test_missing_file_is_reported_with_its_path(tmp_path):
    path = tmp_path / "absent.toml"

    with pytest.raises(ConfigError, match=r"absent\.toml: cannot read the file"):
        load_deployment(path)


def test_toml_syntax_error_names_line_and_column(tmp_path):
    text = document() + '\n[[regiegroep]]\nname = "Onaf\n'
    line = text.count("\n")

    found = only_problem(tmp_path, text)

    assert found.startswith(f"line {line}, column ")
    assert "TOML syntax error" in found


def test_toml_syntax_error_at_end_of_document_still_names_a_line(tmp_path):
    found = only_problem(tmp_path, "a = 1\nb = [1,\n")

    assert found.startswith("line 3, column 1: TOML syntax error")


def test_duplicate_toml_key_is_a_syntax_error_with_its_line(tmp_path):
    found = only_problem(tmp_path, "a = 1\nb = 2\na = 3\n")

    assert found.startswith("line 3, column ")


def test_file_that_is_not_utf8_is_refused_with_its_line(tmp_path):
    path = tmp_path / "test.toml"
    path.write_bytes(b"a = 1\n# caf\xe9\n")

    with pytest.raises(ConfigError, match=r"line 2, column 6: the file is not valid UTF-8"):
        load_deployment(path)


def test_several_problems_are_all_reported_at_once(tmp_path):
    text = document(
        initiative=INITIATIVE.replace("privacy_retention_days = 30", "privacy_retention_days = 0"),
        groups=group("dorp", "dorp", coordinators=2, extra="capacity = 2000\n"),
        regiegroep="",
    )

    assert problems(tmp_path, text) == [
        "initiative.privacy_retention_days: expected a positive number of days, found 0",
        'groups[1] (id "dorp").capacity: expected 1 to 1024 members '
        "(the most a WhatsApp group can have), found 2000",
        'groups[1] (id "dorp").coordinators: at most one coordinator per group '
        "([[groups.coordinators]]), found 2; change coordinators with "
        "infra/maintain coordinators set",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "colour = 1\n" + document(),
            "colour: unknown key (allowed keys: initiative, areas, groups, regiegroep)",
        ),
        (
            document(initiative=INITIATIVE + "plac = 'x'\n"),
            'initiative.plac: unknown key (did you mean "place"?)',
        ),
        (
            document(areas=AREAS.replace('id = "dorp"', 'id = "dorp"\nnaam = "x"')),
            'areas[1] (id "dorp").naam: unknown key (did you mean "name"?)',
        ),
        (
            document(areas=AREAS + "parity_ = 'odd'\n"),
            'areas[1] (id "dorp").streets[1].parity_: unknown key (did you mean "parity"?)',
        ),
        (
            document(groups=group("dorp", "dorp", extra="capacty = 10\n")),
            'groups[1] (id "dorp").capacty: unknown key (did you mean "capacity"?)',
        ),
        (
            document(groups=GROUPS + "mail = 'x@example.org'\n"),
            'groups[1] (id "dorp").coordinators[1].mail: unknown key (did you mean "email"?)',
        ),
        (
            document(regiegroep=REGIEGROEP + "telefoon = '0612340001'\n"),
            "regiegroep[1].telefoon: unknown key (allowed keys: name, email, phone)",
        ),
    ],
)
def test_unknown_keys_are_refused_naming_their_place(tmp_path, text, expected):
    assert only_problem(tmp_path, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (document(initiative=""), "initiative: missing required table [initiative]"),
        (
            document(initiative=INITIATIVE.replace('place = "Testdorp"\n', "")),
            'initiative: missing required key "place"',
        ),
        (
            document(areas=AREAS.replace('name = "Dorp"\n', "")),
            'areas[1] (id "dorp"): missing required key "name"',
        ),
        (
            document(areas=AREAS.replace('street = "Kagerdreef"\n', "")),
            'areas[1] (id "dorp").streets[1]: missing required key "street"',
        ),
        (
            document(groups=GROUPS + group("extra", "dorp").replace('area = "dorp"\n', "")),
            'groups[2] (id "extra"): missing required key "area"',
        ),
        (
            document(groups=GROUPS.replace('phone = "06-12340001"\n', "")),
            'groups[1] (id "dorp").coordinators[1]: missing required key "phone"',
        ),
        (
            document(regiegroep=REGIEGROEP.replace('email = "person1@example.org"\n', "")),
            'regiegroep[1]: missing required key "email"',
        ),
    ],
)
def test_missing_required_keys_are_named(tmp_path, text, expected):
    assert only_problem(tmp_path, text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", "expected a positive number of days, found 0"),
        ("-7", "expected a positive number of days, found -7"),
        ('"30"', "expected an integer, found a string"),
        ("30.0", "expected an integer, found a float"),
    ],
)
def test_privacy_retention_days_must_be_a_positive_integer(tmp_path, value, expected):
    initiative = INITIATIVE.replace("= 30", f"= {value}")

    found = only_problem(tmp_path, document(initiative=initiative))

    assert found == f"initiative.privacy_retention_days: {expected}"


def test_initiative_contact_email_and_website_are_checked(tmp_path):
    initiative = INITIATIVE.replace('"info@example.org"', '"info.example.org"')
    initiative += 'website = "www.example.org"\n'

    found = problems(tmp_path, document(initiative=initiative))

    assert found[0].startswith(
        'initiative.contact_email: invalid e-mail address "info.example.org"'
    )
    assert found[1] == (
        'initiative.website: expected a web address starting with https://, found "www.example.org"'
    )
    assert len(found) == 2


def test_empty_and_multi_line_strings_are_refused(tmp_path):
    initiative = INITIATIVE.replace('"rules-1"', '"  "').replace('"privacy-1"', '"a\\nb"')

    assert problems(tmp_path, document(initiative=initiative)) == [
        "initiative.rules_version: must not be empty",
        "initiative.privacy_version: must be one line without control characters",
    ]


def test_a_file_without_areas_is_refused(tmp_path):
    found = problems(tmp_path, document(areas="", groups=""))

    assert found == [
        "areas: at least one area is required ([[areas]]), found none",
        "groups: at least one group is required ([[groups]]), found none",
    ]


def test_areas_written_as_a_single_table_are_refused(tmp_path):
    text = document(areas='[areas]\nid = "dorp"\n', groups="")

    assert problems(tmp_path, text)[0] == (
        "areas: expected an array of tables ([[areas]]), found a table"
    )


@pytest.mark.parametrize(
    ("area_id", "expected"),
    [
        ("Dorp", 'areas[1] (id "Dorp").id: area id "Dorp" must be lower-case letters'),
        ("-dorp", 'areas[1] (id "-dorp").id: area id "-dorp" must be lower-case letters'),
        ("dorp noord", 'areas[1] (id "dorp noord").id: area id "dorp noord" must be'),
        ("", "areas[1].id: must not be empty"),
    ],
)
def test_area_ids_must_be_slugs(tmp_path, area_id, expected):
    areas = AREAS.replace('id = "dorp"', f'id = "{area_id}"')

    found = problems(tmp_path, document(areas=areas, groups=group("g", area_id or "x")))

    assert found[0].startswith(expected)


def test_group_ids_must_be_slugs(tmp_path):
    found = only_problem(tmp_path, document(groups=group("Dorp_1", "dorp")))

    assert found.startswith('groups[1] (id "Dorp_1").id: group id "Dorp_1" must be lower-case')


def test_duplicate_area_ids_are_refused(tmp_path):
    areas = AREAS + '\n[[areas]]\nid = "dorp"\nname = "Nogmaals"\npostcodes = ["3011"]\n'

    found = only_problem(tmp_path, document(areas=areas))

    assert found == 'areas[2] (id "dorp").id: duplicate area id "dorp" (first used by areas[1])'


def test_duplicate_group_ids_are_refused(tmp_path):
    groups = group("dorp", "dorp") + group("dorp", "dorp")

    found = only_problem(tmp_path, document(groups=groups))

    assert found == 'groups[2] (id "dorp").id: duplicate group id "dorp" (first used by groups[1])'


def test_area_and_group_may_share_an_id(tmp_path):
    deployment = load_deployment(write(tmp_path, document()))

    assert deployment.areas[0].id == deployment.groups[0].id == "dorp"


@pytest.mark.parametrize(
    ("postcodes", "expected"),
    [
        (None, 'areas[1] (id "dorp"): an area needs at least one postcode'),
        ("[]", 'areas[1] (id "dorp").postcodes: an area needs at least one postcode'),
        ('"2158"', 'areas[1] (id "dorp").postcodes: expected an array of strings, found a string'),
    ],
)
def test_an_area_without_postcodes_is_refused(tmp_path, postcodes, expected):
    replacement = "" if postcodes is None else f"postcodes = {postcodes}\n"
    areas = AREAS.replace('postcodes = ["2158"]\n', replacement)

    assert only_problem(tmp_path, document(areas=areas)).startswith(expected)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('"215"', '"215" is not a postcode or the start of one'),
        ('"0158"', '"0158" is not a postcode or the start of one'),
        ('"2158ABC"', '"2158ABC" is not a postcode or the start of one'),
        ('"2158-AB"', '"2158-AB" is not a postcode or the start of one'),
        ('"2158 ss"', '"2158 ss" cannot occur: Dutch postcodes never use the letters SA, SD or SS'),
        ("2158", "expected a string, found an integer"),
    ],
)
def test_invalid_postcode_entries_are_refused(tmp_path, entry, expected):
    areas = AREAS.replace('["2158"]', f'["3011", {entry}]')

    found = only_problem(tmp_path, document(areas=areas))

    assert found.startswith(f'areas[1] (id "dorp").postcodes[2]: {expected}')


@pytest.mark.parametrize(
    ("bounds", "place", "expected"),
    [
        ("first = 21\nlast = 20\n", "", "first (21) must not be greater than last (20)"),
        ("first = 0\nlast = 20\n", ".first", "house numbers start at 1, found 0"),
        ("first = 1\nlast = -2\n", ".last", "house numbers start at 1, found -2"),
        ('first = "1"\n', ".first", "expected an integer, found a string"),
        ("last = true\n", ".last", "expected an integer, found a boolean"),
    ],
)
def test_street_ranges_must_be_ordered_house_numbers(tmp_path, bounds, place, expected):
    areas = AREAS.replace("first = 10\nlast = 20\n", bounds)

    found = only_problem(tmp_path, document(areas=areas))

    assert found == f'areas[1] (id "dorp").streets[1]{place}: {expected}'


def test_a_range_with_first_equal_to_last_is_one_house(tmp_path):
    areas = AREAS.replace("first = 10\nlast = 20\n", "first = 12\nlast = 12\n")
    area = load_deployment(write(tmp_path, document(areas=areas))).areas[0]

    assert area.contains("2158AB", "Kagerdreef", 12)
    assert not area.contains("2158AB", "Kagerdreef", 11)
    assert not area.contains("2158AB", "Kagerdreef", 13)


@pytest.mark.parametrize(
    ("parity", "expected"),
    [('"oneven"', 'found "oneven"'), ('"Odd"', 'found "Odd"'), ("1", "found an integer")],
)
def test_parity_is_only_odd_or_even(tmp_path, parity, expected):
    areas = AREAS + f"parity = {parity}\n"

    found = only_problem(tmp_path, document(areas=areas))

    assert found == f'areas[1] (id "dorp").streets[1].parity: expected "odd" or "even", {expected}'


def test_a_street_name_without_letters_is_refused(tmp_path):
    areas = AREAS.replace('"Kagerdreef"', '"- . -"')

    found = only_problem(tmp_path, document(areas=areas))

    assert found == 'areas[1] (id "dorp").streets[1].street: "- . -" holds no letters or digits'


def test_an_empty_street_list_is_refused(tmp_path):
    areas = '[[areas]]\nid = "dorp"\nname = "Dorp"\npostcodes = ["2158"]\nstreets = []\n'

    found = only_problem(tmp_path, document(areas=areas))

    assert found.startswith('areas[1] (id "dorp").streets: empty street list')


def test_a_group_must_name_an_existing_area(tmp_path):
    groups = GROUPS + group("elders", "elders")

    found = only_problem(tmp_path, document(groups=groups))

    assert found == 'groups[2] (id "elders").area: no area has id "elders" (known: "dorp")'


def test_an_area_without_a_group_is_refused(tmp_path):
    areas = AREAS + '\n[[areas]]\nid = "buitengebied"\nname = "Buiten"\npostcodes = ["2158"]\n'

    found = only_problem(tmp_path, document(areas=areas))

    assert found.startswith('areas[2] (id "buitengebied"): no group serves this area')
    assert 'area = "buitengebied"' in found


def test_an_area_hidden_behind_an_earlier_catch_all_is_refused(tmp_path):
    areas = (
        '[[areas]]\nid = "alles"\nname = "Alles"\npostcodes = ["2158"]\n'
        '[[areas]]\nid = "straat"\nname = "Straat"\npostcodes = ["2158AB", "2158 C"]\n'
    )
    groups = group("a", "alles") + group("s", "straat")

    found = only_problem(tmp_path, document(areas=areas, groups=groups))

    assert found.startswith(
        'areas[2] (id "straat"): can never match: areas[1] (id "alles") comes first'
    )


def test_an_area_only_partly_covered_by_an_earlier_catch_all_is_accepted(tmp_path):
    areas = (
        '[[areas]]\nid = "alles"\nname = "Alles"\npostcodes = ["2158A"]\n'
        '[[areas]]\nid = "meer"\nname = "Meer"\npostcodes = ["2158AB", "2158B"]\n'
    )
    groups = group("a", "alles") + group("m", "meer")
    deployment = load_deployment(write(tmp_path, document(areas=areas, groups=groups)))

    assert deployment.area_for("2158BC", "X", 1).id == "meer"


@pytest.mark.parametrize(
    ("capacity", "expected"),
    [
        ("0", "expected 1 to 1024 members (the most a WhatsApp group can have), found 0"),
        ("1025", "expected 1 to 1024 members (the most a WhatsApp group can have), found 1025"),
        ('"veel"', "expected an integer, found a string"),
    ],
)
def test_capacity_is_a_positive_integer_up_to_1024(tmp_path, capacity, expected):
    groups = group("dorp", "dorp", extra=f"capacity = {capacity}\n")

    found = only_problem(tmp_path, document(groups=groups))

    assert found == f'groups[1] (id "dorp").capacity: {expected}'


@pytest.mark.parametrize("count", [2, 3])
def test_a_group_names_at_most_one_coordinator(tmp_path, count):
    groups = GROUPS + group("buiten", "dorp", coordinators=count)

    found = only_problem(tmp_path, document(groups=groups))

    assert found == (
        'groups[2] (id "buiten").coordinators: at most one coordinator per group '
        f"([[groups.coordinators]]), found {count}; change coordinators with "
        "infra/maintain coordinators set"
    )


def test_a_file_may_leave_every_person_to_the_maintainer_cli(tmp_path):
    """Coordinators and the regiegroep live in Firestore; the file keeps the structure."""
    path = tmp_path / "structure.toml"
    path.write_text(document(groups=group("dorp", "dorp", coordinators=0), regiegroep=""))

    deployment = load_deployment(path)

    assert [g.coordinator for g in deployment.groups] == [None]
    assert deployment.regiegroep == ()


def test_a_coordinator_written_as_a_single_table_is_refused(tmp_path):
    groups = group("dorp", "dorp", coordinators=0) + (
        '[groups.coordinators]\nname = "A"\nemail = "a@example.org"\nphone = "0612340001"\n'
    )

    found = only_problem(tmp_path, document(groups=groups))

    assert found == (
        'groups[1] (id "dorp").coordinators: expected an array of tables '
        "([[groups.coordinators]]), found a table"
    )


def test_a_regiegroep_of_four_is_refused_naming_the_limit(tmp_path):
    regiegroep = "".join(person("regiegroep", n) for n in (1, 2, 3, 4))

    found = only_problem(tmp_path, document(regiegroep=regiegroep))

    assert found == (
        "regiegroep: at most 3 coordinators form the regiegroep "
        "(those in contact with the wijkagent), found 4"
    )


def test_the_same_person_twice_in_the_regiegroep_is_refused(tmp_path):
    regiegroep = person("regiegroep", 1) + person("regiegroep", 2, email="PERSON1@example.org")

    found = only_problem(tmp_path, document(regiegroep=regiegroep))

    assert found == (
        'regiegroep[2].email: "person1@example.org" is already listed at regiegroep[1]; '
        "list each person once"
    )


@pytest.mark.parametrize(
    ("table", "place"),
    [
        ("groups.coordinators", 'groups[2] (id "extra").coordinators[1]'),
        ("regiegroep", "regiegroep[1]"),
    ],
)
@pytest.mark.parametrize(
    ("email", "phone", "key", "expected"),
    [
        ("geen-adres", "0612340001", "email", 'invalid e-mail address "geen-adres"'),
        ("a@example.org", "12345", "phone", 'invalid phone number "12345"'),
        ("a@example.org", "06-1234", "phone", 'invalid phone number "06-1234"'),
    ],
)
def test_persons_need_a_valid_email_and_phone(tmp_path, table, place, email, phone, key, expected):
    entry = person(table, 1, email=email, phone=phone)
    if table == "regiegroep":
        text = document(regiegroep=entry)
    else:
        extra = '\n[[groups]]\nid = "extra"\nname = "Extra"\narea = "dorp"\n' + entry
        text = document(groups=GROUPS + extra)

    found = only_problem(tmp_path, text)

    assert found.startswith(f"{place}.{key}: {expected}")


def test_a_landline_coordinator_phone_is_accepted_and_normalised(tmp_path):
    groups = group("dorp", "dorp").replace('"06-12340001"', '"0252 123 456"')

    deployment = load_deployment(write(tmp_path, document(groups=groups)))

    assert deployment.groups[0].coordinator.phone == "+31252123456"


# --- Every problem at once, each in its place -----------------------------------------------


def test_problems_inside_entries_hide_none_of_the_rules_across_them(tmp_path):
    areas = AREAS.replace('["2158"]', '["21"]') + (
        '\n[[areas]]\nid = "dorp"\nname = "Tweede"\npostcodes = ["3011"]\n'
    )
    groups = group("dorp", "dorp").replace('"06-12340001"', '"1"')
    regiegroep = "".join(person("regiegroep", n) for n in (1, 2, 3)) + person(
        "regiegroep", 4, phone="123"
    )

    found = problems(tmp_path, document(areas=areas, groups=groups, regiegroep=regiegroep))

    assert found == [
        'areas[1] (id "dorp").postcodes[1]: "21" is not a postcode or the start of one; '
        'write "2158", "2158A" or "2158AB"',
        'groups[1] (id "dorp").coordinators[1].phone: invalid phone number "1"',
        'regiegroep[4].phone: invalid phone number "123"',
        'areas[2] (id "dorp").id: duplicate area id "dorp" (first used by areas[1])',
        "regiegroep: at most 3 coordinators form the regiegroep "
        "(those in contact with the wijkagent), found 4",
    ]


def test_a_group_with_a_broken_coordinator_still_serves_its_area(tmp_path):
    groups = group("dorp", "dorp").replace('"person1@example.org"', '"geen-adres"')

    found = only_problem(tmp_path, document(groups=groups))

    assert found.startswith('groups[1] (id "dorp").coordinators[1].email: invalid e-mail address')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            document(initiative="initiative = 1\n"),
            "initiative: expected a table [initiative], found an integer",
        ),
        (
            "areas = [1]\n" + document(areas="", groups=""),
            "areas[1]: expected a table ([[areas]]), found an integer",
        ),
        (
            document(regiegroep=REGIEGROEP.replace('"Persoon 1"', "2026-11-01")),
            "regiegroep[1].name: expected a string, found a date",
        ),
        (
            document(areas=AREAS.replace("first = 10", "first = 10.5")),
            'areas[1] (id "dorp").streets[1].first: expected an integer, found a float',
        ),
        (
            document(regiegroep=REGIEGROEP.replace('"06-12340001"', '{ nummer = "06" }')),
            "regiegroep[1].phone: expected a string, found a table",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_named_by_its_toml_type(tmp_path, text, expected):
    assert problems(tmp_path, text)[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            document(initiative=INITIATIVE + "kleur = 'x'\n"),
            "initiative.kleur: unknown key (allowed keys: name, place, contact_email, website, "
            "rules_version, privacy_version, privacy_retention_days, region, "
            "coordinators_wanted)",
        ),
        (
            document(areas=AREAS + "zijde = 'oneven'\n"),
            'areas[1] (id "dorp").streets[1].zijde: unknown key '
            "(allowed keys: street, first, last, parity)",
        ),
        (
            document(groups=group("dorp", "dorp", extra="leden = 10\n")),
            'groups[1] (id "dorp").leden: unknown key '
            "(allowed keys: id, name, area, capacity, coordinators)",
        ),
    ],
)
def test_an_unknown_key_without_a_close_match_lists_the_allowed_keys(tmp_path, text, expected):
    assert only_problem(tmp_path, text) == expected


def test_each_problem_stays_on_one_line_whatever_the_values_hold(tmp_path):
    areas = AREAS.replace('id = "dorp"', 'id = "dorp\\nnoord"')

    found = problems(tmp_path, document(areas=areas, groups=group("g", "x")))

    assert (
        found[0] == 'areas[1] (id "dorp\\nnoord").id: must be one line without control characters'
    )


def test_a_place_names_each_entry_by_index_and_id(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8").replace('"06-12340002"', '"06-1234"', 1)

    found = only_problem(tmp_path, text)

    assert (
        found
        == 'groups[2] (id "buitengebied").coordinators[1].phone: invalid phone number "06-1234"'
    )


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        (("initiative", "name"), "initiative.name"),
        (
            ("groups", 1, "coordinators", 0, "phone"),
            'groups[2] (id "buitengebied").coordinators[1].phone',
        ),
        (("areas", 0, "streets", 2, "parity"), 'areas[1] (id "dorp").streets[3].parity'),
        (("regiegroep", 0), "regiegroep[1]"),
        (("areas", 5, "name"), "areas[6].name"),
    ],
)
def test_the_formatter_turns_pydantic_locations_into_places_in_the_file(loc, expected):
    parsed = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))

    assert place(parsed, loc) == expected


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
