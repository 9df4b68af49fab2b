"""Loading a deployment file: the example, a valid file into frozen dataclasses, and what
stops loading before any rule is checked (a missing file, TOML syntax, encoding)."""

from __future__ import annotations

import pytest

from buurtwhatsapp.deployment.loading import load_deployment
from buurtwhatsapp.deployment.structure import (
    Area,
    ConfigError,
    Deployment,
    Group,
    Initiative,
    Person,
    StreetRange,
)
from tests.unit.deployment.deployment_files import (
    AREAS,
    EXAMPLE,
    INITIATIVE,
    document,
    group,
    only_problem,
    person,
    write,
)

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
