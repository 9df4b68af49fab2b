"""Deployment files for the tests: a small valid one, its parts to vary, and the problems the
loader reports for one that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from buurtwhatsapp.deployment.loading import load_deployment
from buurtwhatsapp.deployment.structure import ConfigError

EXAMPLE = Path(__file__).resolve().parents[3] / "infra" / "deployments" / "buitenkaag.toml"

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
