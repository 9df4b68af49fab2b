"""How the forms' raw values read, shared by validation (is it ticked?) and rendering (show it
ticked again), so that neither imports the other."""

from __future__ import annotations

TRUE_VALUES = frozenset({"on", "true", "1"})


def is_checked(value: object) -> bool:
    """A checkbox is ticked as ``on``, ``true`` or ``1`` (forms) or JSON ``true``."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().casefold() in TRUE_VALUES
