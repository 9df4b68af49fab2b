"""The deployment file's rules (deployment/schema.py): every refusal, each naming its place in
the file, and all of them at once."""

from __future__ import annotations

import tomllib

import pytest

from buurtwhatsapp.deployment.loading import load_deployment
from buurtwhatsapp.deployment.schema import place
from buurtwhatsapp.deployment.structure import DEFAULT_GROUP_RULES
from tests.unit.deployment.deployment_files import (
    AREAS,
    EXAMPLE,
    GROUPS,
    INITIATIVE,
    REGIEGROEP,
    document,
    group,
    only_problem,
    person,
    problems,
    write,
)


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
            "reconfirm_after_days, sign_threshold_percent, coordinators_wanted, group_rules, "
            "rules_changes, rules_url)",
        ),
        (
            document(areas=AREAS + "zijde = 'oneven'\n"),
            'areas[1] (id "dorp").streets[1].zijde: unknown key '
            "(allowed keys: street, first, last, parity, households)",
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


def test_the_group_rules_come_from_the_file_or_are_the_default_ones(tmp_path):
    default = load_deployment(write(tmp_path, document()))
    assert default.initiative.group_rules == DEFAULT_GROUP_RULES
    assert default.initiative.rules_changes is None and default.initiative.rules_url is None

    initiative = INITIATIVE + (
        'group_rules = ["Alleen meldingen.", "Bel eerst 112."]\n'
        'rules_changes = "Nieuw: bel eerst 112."\n'
        'rules_url = "https://www.example.org/groepsregels"\n'
    )
    own = load_deployment(write(tmp_path, document(initiative=initiative)))
    assert own.initiative.group_rules == ("Alleen meldingen.", "Bel eerst 112.")
    assert own.initiative.rules_changes == "Nieuw: bel eerst 112."
    assert own.initiative.rules_url == "https://www.example.org/groepsregels"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("group_rules = []", "initiative.group_rules: expected 1 to 12 rules (one sentence each)"),
        (
            'group_rules = ["Eén.", 3]',
            "initiative.group_rules[2]: expected a string, found an integer",
        ),
        (
            'rules_url = "www.example.org/regels"',
            "initiative.rules_url: expected a web address starting with https://, "
            'found "www.example.org/regels"',
        ),
    ],
)
def test_the_group_rules_settings_are_checked(tmp_path, line, expected):
    assert only_problem(tmp_path, document(initiative=INITIATIVE + line + "\n")) == expected


def test_households_per_street_or_area_and_the_sign_threshold_are_read(tmp_path):
    areas = AREAS.replace('street = "Kagerdreef"', 'street = "Kagerdreef"\nhouseholds = 120', 1)
    initiative = INITIATIVE + "sign_threshold_percent = 25\n"
    loaded = load_deployment(write(tmp_path, document(initiative=initiative, areas=areas)))
    assert loaded.initiative.sign_threshold_percent == 25
    assert loaded.areas[0].streets[0].households == 120
    default = load_deployment(write(tmp_path, document()))
    assert default.initiative.sign_threshold_percent == 30
    assert default.areas[0].streets[0].households is None


@pytest.mark.parametrize(
    ("initiative", "areas", "expected"),
    [
        ("sign_threshold_percent = 0\n", "", "initiative.sign_threshold_percent: expected a "
         "percentage from 1 to 100, found 0"),
        ("", "households = 0\n", 'areas[1] (id "dorp").streets[1].households: expected a number '
         "of addresses from 1 to 100000, found 0"),
    ],
)  # fmt: skip
def test_households_and_the_threshold_are_checked(tmp_path, initiative, areas, expected):
    text = document(initiative=INITIATIVE + initiative, areas=AREAS + areas)
    assert only_problem(tmp_path, text) == expected
