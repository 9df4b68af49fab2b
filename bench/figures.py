"""Order statistics and the one table the bench prints.

Every line of the table is ``name: value`` with optional details in parentheses, the name free
of colons, so that a script can split each line at its first ": ".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field


def quantile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile by linear interpolation between order statistics (numpy's
    default), so that p99 of 300 values lies between the third and fourth largest."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def iqr(values: Sequence[float]) -> tuple[float, float]:
    return quantile(values, 0.25), quantile(values, 0.75)


def seconds(value: float) -> str:
    return f"{value:.2f} s"


def milliseconds(value: float) -> str:
    return f"{value * 1000:.1f} ms"


def ratio(value: float) -> str:
    return f"{value:.2f}×"


def mebibytes(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


def spread(low: float, high: float, unit: str = "×") -> str:
    return f"{low:.2f}–{high:.2f}{unit}"


@dataclass
class Line:
    name: str
    value: str
    details: str = ""

    def __str__(self) -> str:
        return f"{self.name}: {self.value}" + (f" ({self.details})" if self.details else "")


@dataclass
class Table:
    """Lines in the order they were added; ``#`` lines say what was measured and how."""

    heading: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    def add(self, name: str, value: str, details: str = "") -> None:
        if ":" in name:
            raise ValueError(f"a line's name must hold no colon: {name!r}")
        self.lines.append(Line(name, value, details))

    def note(self, text: str) -> None:
        self.heading.append(text)

    def render(self) -> str:
        return "\n".join([*(f"# {text}" for text in self.heading), *map(str, self.lines)])
