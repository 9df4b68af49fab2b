"""Where the overview counts an address: the deployment's areas and streets as *slots*.

Pure. A slot is one listed street (or part of one) of an area, a street seen in an area
without a street list, or ``elsewhere`` for an address no area takes. The layout key hashes
what decides the slots (areas, postcodes, street ranges, in file order), so that counters
kept under one layout are never read as another's: when the file's streets change, the
counters start anew under the new key (``infra/maintain tallies`` moves every sign-up over).
Households and group capacities are not part of it: they change no slot.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from .addresses import normalise_postcode, normalise_street, parse_house_number
from .structure import Deployment

ELSEWHERE = "elsewhere"
_SEEN = "~"  # a slot of a street seen in an area without a street list: "<area>~<hash>"


def _digest(*parts: str, length: int = 16) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:length]


def household_key(postcode: str, house_number: str) -> str:
    """An address as one household, hashed: its postcode and house number written alike
    ("2158 ab", "12 A" and "2158AB", "12a" are one). The same key as the overview's full count
    (overview/counts.py ``household``)."""
    code = normalise_postcode(postcode) or postcode.strip().upper()
    return _digest("household", code, "".join(house_number.split()).lower(), length=24)


def spelling_key(street: str) -> str:
    """A street exactly as typed, hashed (a field name for its count)."""
    return _digest("spelling", street, length=12)


@dataclass(frozen=True)
class Layout:
    """A deployment's slots; built once per instance (``bootstrap.Runtime.layout``)."""

    deployment: Deployment
    key: str = field(init=False)

    def __post_init__(self) -> None:
        shape = [
            [
                area.id,
                list(area.postcodes),
                [[s.street, s.first, s.last, s.parity] for s in area.streets],
            ]
            for area in self.deployment.areas
        ]
        object.__setattr__(self, "key", _digest("layout", json.dumps(shape), length=12))

    def slot_of(self, postcode: str, street: str, house_number: str) -> tuple[str, str]:
        """The slot of an address and its area's id ("" for elsewhere). A listed street's slot
        is its place in the area's list: the first range covering the address, the one that
        put it in the area (``Area.contains``)."""
        area = self.deployment.area_at(postcode, street, house_number)
        if area is None:
            return ELSEWHERE, ""
        if not area.streets:
            return f"{area.id}{_SEEN}{_digest('street', normalise_street(street))}", area.id
        parsed = parse_house_number(house_number)
        number = parsed[0] if parsed else 0
        index = next(i for i, r in enumerate(area.streets) if r.covers(street, number))
        return f"{area.id}.{index:04d}", area.id

    @staticmethod
    def listed_slot(area_id: str, index: int) -> str:
        return f"{area_id}.{index:04d}"

    @staticmethod
    def is_seen_street(slot: str) -> bool:
        return _SEEN in slot
