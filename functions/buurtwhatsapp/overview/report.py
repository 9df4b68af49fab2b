"""The regiegroep's overview (dekking) for a maintainer: ``infra/maintain report``.

The same figures as the overview page and the monthly digest (coverage.py), as a table for a
terminal, or as CSV (``--csv FILE``, or ``--csv -`` for standard output) that is safe to open
in a spreadsheet: every cell goes through ``spreadsheet_cells.neutralise``, since street names
of areas without a street list are as residents typed them. Counts only, never names.

The CSV has one row per street, area total, group, and overall figure::

    kind,area,name,active,confirmed,pending,total,seats_taken,capacity,households,participation_percent,ready_for_signs
    street,Buitenkaag dorp,Kagerdreef,3,1,0,4,,,10,30,yes
    area,Buitenkaag dorp,,3,1,0,4,,,,,
    group,Buitenkaag dorp,Buurt WhatsApp Buitenkaag Dorp,,,,,4,1024,,,
    total,,,3,1,0,4,,,,,
    without_group,,,,,,0,,,,,
    open_applications,,,,,,1,,,,,
    failed_mail,,,,,,0,,,,,

The last three columns are filled for a street or area whose households the deployment file
gives: active members per household in whole percents, and ``yes`` or ``no`` for the
municipality's threshold for signs (``sign_threshold_percent``).

``street`` rows carry the listed streets of the deployment file and, for an area without a
street list, the streets seen in its sign-ups; a street without members is a ``street`` row
with a total of 0 whose area has a street list. ``elsewhere`` (sign-ups
whose address no area takes any more) appears only when there are any.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import TextIO

from ..common.spreadsheet_cells import neutralise
from .counts import Counts, Overview, Participation

CSV_FIELDS = (
    "kind",
    "area",
    "name",
    "active",
    "confirmed",
    "pending",
    "total",
    "seats_taken",
    "capacity",
    "households",
    "participation_percent",
    "ready_for_signs",
)
LABEL_WIDTH = 42


def csv_rows(overview: Overview) -> Iterator[tuple[object, ...]]:
    """The overview as rows of ``CSV_FIELDS``, before neutralising."""

    def counts(c: Counts) -> tuple[int, int, int, int]:
        return (c.active, c.confirmed, c.pending, c.total)

    def shares(p: Participation | None) -> tuple[object, ...]:
        if p is None:
            return (None, None, None)
        return (p.households, p.percent, "yes" if p.ready_for_signs else "no")

    nothing = (None, None, None)
    for area in overview.areas:
        for street in area.streets:
            figures = (*counts(street.counts), None, None, *shares(street.participation))
            yield ("street", area.name, street.label, *figures)
        yield (
            "area",
            area.name,
            None,
            *counts(area.counts),
            None,
            None,
            *shares(area.participation),
        )
    for group in overview.groups:
        seats = (group.taken, group.capacity)
        yield ("group", group.area, group.name, None, None, None, None, *seats, *nothing)
    if overview.elsewhere.total:
        yield ("elsewhere", None, None, *counts(overview.elsewhere), None, None, *nothing)
    yield ("total", None, None, *counts(overview.totals), None, None, *nothing)
    for kind, value in (
        ("without_group", overview.without_group),
        ("open_applications", overview.open_applications),
        ("failed_mail", overview.failed_mail),
    ):
        yield (kind, None, None, None, None, None, value, None, None, *nothing)


def write_csv(overview: Overview, target: TextIO) -> int:
    """Write the overview as CSV; how many rows (without the header)."""
    writer = csv.writer(target)
    writer.writerow(CSV_FIELDS)
    written = 0
    for row in csv_rows(overview):
        writer.writerow([neutralise(value) for value in row])
        written += 1
    return written


def write_table(overview: Overview, out: TextIO, *, title: str, at: datetime) -> None:
    """The overview as a readable table for a terminal."""

    def line(text: str = "") -> None:
        print(text.rstrip(), file=out)

    def row(label: str, counts: Counts, note: str = "") -> None:
        values = f"{counts.active:>7}{counts.confirmed:>11}{counts.pending:>9}{counts.total:>7}"
        line(f"  {_fit(label, LABEL_WIDTH - 2)}{values}  {note}")

    header = f"{'active':>7}{'confirmed':>11}{'pending':>9}{'total':>7}"
    line(f"{title}: overview (dekking) at {at:%Y-%m-%d %H:%M} UTC; counts only")
    for area in overview.areas:
        line()
        line(f"{_fit(_printable(area.name), LABEL_WIDTH)}{header}")
        if not area.has_street_list:
            line("  (no street list: every street of its postcodes; those seen in sign-ups)")
        for street in area.streets:
            empty = street.listed and street.counts.total == 0
            notes = ["no members"] if empty else []
            notes += _shares(street.participation)
            row(_printable(street.label), street.counts, "; ".join(notes))
        row("area total", area.counts, "; ".join(_shares(area.participation)))
    line()
    line(f"{'Totals':<{LABEL_WIDTH}}{header}")
    if overview.elsewhere.total:
        row("address in no area now", overview.elsewhere)
    row("all areas", overview.totals)
    line()
    line(
        f"{'Groups':<{LABEL_WIDTH}}{'taken':>7}{'capacity':>11}{'full':>9}"
        f"{'way in':>8}{'waiting':>9}{'longest':>9}"
    )
    for group in overview.groups:
        label = _fit(_printable(group.name), LABEL_WIDTH - 2)
        longest = "" if group.oldest_wait_days is None else f"{group.oldest_wait_days} d"
        line(
            f"  {label}{group.taken:>7}{group.capacity:>11}{group.percent:>8}%"
            f"{group.mode:>8}{group.waiting:>9}{longest:>9}"
        )
    line()
    empty_streets = [(area.name, area.streets_without_members) for area in overview.areas]
    line(f"Streets without members: {overview.streets_without_members}")
    for area_name, streets in empty_streets:
        if streets:
            line(f"  {_printable(area_name)}: {', '.join(_printable(s) for s in streets)}")
    line(f"Confirmed, but no group could take them: {overview.without_group}")
    line(f"Open coordinator applications: {overview.open_applications}")
    failed = overview.failed_mail
    line(f"Failed mail: {failed}" + ("  (infra/maintain mail failed)" if failed else ""))


def _shares(participation: Participation | None) -> list[str]:
    if participation is None:
        return []
    note = f"{participation.percent}% of {participation.households} households"
    return [note + (", ready for signs" if participation.ready_for_signs else "")]


def _printable(text: str) -> str:
    """Text typed by residents, without what a terminal would take as a command."""
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text)


def _fit(text: str, width: int) -> str:
    """``text`` in ``width`` columns: padded, or cut with "…"."""
    if len(text) > width - 1:
        text = text[: width - 2] + "…"
    return f"{text:<{width}}"
