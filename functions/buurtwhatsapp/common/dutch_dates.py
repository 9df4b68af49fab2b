"""Dates as a Dutch reader writes them: "26 november 2026", "november 2026"."""

from __future__ import annotations

from datetime import date

DUTCH_MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def dutch_date(day: date) -> str:
    """ "26 november 2026" """
    return f"{day.day} {DUTCH_MONTHS[day.month - 1]} {day.year}"


def dutch_month(day: date) -> str:
    """ "november 2026" """
    return f"{DUTCH_MONTHS[day.month - 1]} {day.year}"


def month_label(month: str) -> str:
    """ "2026-11" (a month's key) as "november 2026"."""
    year, number = month.split("-")
    return f"{DUTCH_MONTHS[int(number) - 1]} {year}"
