"""The overview's counters: what each street holds, kept in the same batch as every step.

One document per slot (a street; deployment/layout.py), ``tallies/<layout>.<slot>``:

- ``m_<status>_<group>``: the sign-ups of that street, by status and group (``~`` none);
- ``households``: the households (addresses) of that street with an active member;
- ``w_<day>_<group>``: its members confirmed on that day and still waiting to be added (the
  overview shows how long the longest waiting has waited, in days);
- ``s_<hash>`` and ``t_<hash>``: for a street of an area without a street list, how many
  typed it so, and how (the overview names the street by its most frequent spelling).

Every field is top-level with a plain name: the npm emulator applies ``Increment`` to no other.

Why counters: the overview, the digest and the report read these few hundred documents
instead of every sign-up. Why exact: a sign-up records what it is counted as (``Signup.tally``),
and every change to it is a fenced step (store.py), so each step takes exactly its old share out
and puts its new one in, by ``Increment``, once; two steps at once both count.

A household is counted by the presence of ``households/<hash>``, created by the first of its
members to become active and deleted by the last to stop. Those two moments are fenced like
steps: the document's create fails for the second of two first members, and a step that finds
other active members at the address claims their next revision too (store.py), so no two
steps at one address can both believe they are the last.

Pure apart from ``Increment``: the store applies what this module computes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore

from .deployment.layout import Layout, household_key, spelling_key
from .model import Signup, SignupRow, SignupStatus, Tally

NO_GROUP = "~"
MEMBERS = "m_"
HOUSEHOLDS_FIELD = "households"
SPELLING_COUNT = "s_"
SPELLING_TEXT = "t_"
WAITING = "w_"
STATUSES = tuple(status.value for status in SignupStatus)


def slot_document_id(layout: str, slot: str) -> str:
    return f"{layout}.{slot}"


def share(
    layout: Layout,
    postcode: str,
    street: str,
    house_number: str,
    status: str,
    group: str | None,
    confirmed_at: datetime | None = None,
) -> Tally:
    """What a sign-up with this address, status and group counts as under ``layout``."""
    slot, _area = layout.slot_of(postcode, street, house_number)
    waiting = status == SignupStatus.CONFIRMED.value
    return Tally(
        layout=layout.key,
        slot=slot,
        group=group or "",
        status=status,
        household=household_key(postcode, house_number),
        spelling=spelling_key(street) if Layout.is_seen_street(slot) else "",
        waiting_since=waiting_day(confirmed_at) if waiting and confirmed_at is not None else "",
    )


def share_of(layout: Layout, signup: Signup) -> Tally:
    """What a sign-up counts as under ``layout`` as it is stored now."""
    address = signup.address
    return share(
        layout,
        address.postcode,
        address.street,
        address.house_number,
        signup.status.value,
        signup.group,
        signup.confirmed_at,
    )


def waiting_day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d")


def day_start(day: str) -> datetime:
    return datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class HouseholdMove:
    """A household starts (+1) or stops (-1) taking part, counted in ``layout``'s ``slot``."""

    layout: str
    slot: str
    change: int


@dataclass(frozen=True, slots=True)
class Move:
    """One sign-up's share taken out (``old``) and put in (``new``); ``street`` as typed."""

    old: Tally | None
    new: Tally | None
    street: str = ""


def slot_changes(
    moves: Iterable[Move], households: Iterable[HouseholdMove] = ()
) -> dict[str, dict[str, Any]]:
    """The merge-writes (document id -> fields) that make ``moves`` and ``households``:
    nothing for a step that changes neither its slot, group nor status."""
    deltas: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    spellings: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for move in moves:
        for tally, sign in ((move.old, -1), (move.new, 1)):
            if tally is None:
                continue
            fields = deltas[(tally.layout, tally.slot)]
            fields[member_field(tally.status, tally.group or NO_GROUP)] += sign
            if tally.spelling:
                fields[f"{SPELLING_COUNT}{tally.spelling}"] += sign
                if sign > 0 and move.street:
                    named = spellings[(tally.layout, tally.slot)]
                    named[f"{SPELLING_TEXT}{tally.spelling}"] = move.street
            if tally.waiting_since:
                fields[waiting_field(tally.waiting_since, tally.group or NO_GROUP)] += sign
    for household in households:
        deltas[(household.layout, household.slot)][HOUSEHOLDS_FIELD] += household.change
    writes: dict[str, dict[str, Any]] = {}
    for (layout, slot), fields in deltas.items():
        document: dict[str, Any] = {
            name: firestore.Increment(delta) for name, delta in fields.items() if delta
        }
        if not document:
            continue
        document.update(spellings.get((layout, slot), {}), layout=layout, slot=slot)
        writes[slot_document_id(layout, slot)] = document
    return writes


def member_field(status: str, group: str) -> str:
    """``m_<status>_<group>``, the group id spelled in letters, digits and ``_xx`` escapes."""
    escaped = "".join(c if c.isascii() and c.isalnum() else f"_{ord(c):02x}" for c in group)
    return f"{MEMBERS}{status}_{escaped}"


def waiting_field(day: str, group: str) -> str:
    """``w_<day>_<group>``: the members of a group confirmed that day and still waiting."""
    return WAITING + member_field(day, group).removeprefix(MEMBERS)


def _group_of(escaped: str) -> str:
    return re.sub(r"_([0-9a-f]{2})", lambda found: chr(int(found.group(1), 16)), escaped)


@dataclass
class SlotCount:
    """What one slot holds, read back (or counted from every sign-up)."""

    members: dict[str, dict[str, int]] = field(default_factory=dict)  # group -> status -> n
    households: int = 0
    spellings: dict[str, int] = field(default_factory=dict)  # street as typed -> members
    waiting: dict[str, dict[str, int]] = field(default_factory=dict)  # group -> day -> n

    def by_status(self, groups: Iterable[str] | None = None) -> dict[str, int]:
        """Members by status, of all groups or of ``groups`` only."""
        wanted = None if groups is None else set(groups)
        totals = dict.fromkeys(STATUSES, 0)
        for group, counts in self.members.items():
            if wanted is None or group in wanted:
                for status, count in counts.items():
                    totals[status] = totals.get(status, 0) + count
        return totals

    @property
    def total(self) -> int:
        return sum(self.by_status().values())

    def label(self) -> str:
        """The most frequent spelling, ties broken alphabetically ("" if none)."""
        counted = [(-count, text) for text, count in self.spellings.items() if count > 0]
        return min(counted)[1] if counted else ""

    def add(self, other: SlotCount) -> None:
        for group, counts in other.members.items():
            mine = self.members.setdefault(group, {})
            for status, count in counts.items():
                mine[status] = mine.get(status, 0) + count
        self.households += other.households
        for text, count in other.spellings.items():
            self.spellings[text] = self.spellings.get(text, 0) + count
        for group, days in other.waiting.items():
            mine = self.waiting.setdefault(group, {})
            for day, count in days.items():
                mine[day] = mine.get(day, 0) + count

    def waiting_since(self, group: str) -> str | None:
        """The first day a member of ``group`` still waiting was confirmed on, if any."""
        days = [day for day, count in self.waiting.get(group, {}).items() if count > 0]
        return min(days) if days else None

    def comparable(self) -> tuple[object, ...]:
        """Its figures without zero entries (a counter taken back to 0 stays as 0)."""
        members = {
            (group, status): count
            for group, counts in self.members.items()
            for status, count in counts.items()
            if count
        }
        spellings = {text: count for text, count in self.spellings.items() if count}
        waiting = {
            (group, day): count
            for group, days in self.waiting.items()
            for day, count in days.items()
            if count
        }
        return (
            sorted(members.items()),
            self.households,
            sorted(spellings.items()),
            sorted(waiting.items()),
        )


def read_slot(document: Mapping[str, Any]) -> SlotCount:
    members: dict[str, dict[str, int]] = {}
    waiting: dict[str, dict[str, int]] = {}
    spellings: dict[str, int] = defaultdict(int)
    for name, value in document.items():
        if name.startswith(MEMBERS):
            status, _, escaped = name[len(MEMBERS) :].partition("_")
            members.setdefault(_group_of(escaped), {})[status] = int(value or 0)
        elif name.startswith(WAITING):
            day, _, escaped = name[len(WAITING) :].partition("_")
            waiting.setdefault(_group_of(escaped), {})[day] = int(value or 0)
        elif name.startswith(SPELLING_COUNT):
            street = document.get(f"{SPELLING_TEXT}{name[len(SPELLING_COUNT) :]}")
            if street:
                spellings[str(street)] += int(value or 0)
    households = int(document.get(HOUSEHOLDS_FIELD) or 0)
    return SlotCount(members, households, dict(spellings), waiting)


def count_rows(layout: Layout, rows: Iterable[SignupRow]) -> dict[str, SlotCount]:
    """The same figures counted from every sign-up: what the counters must agree with, and
    what the overview shows while they are incomplete. A household with active members in two
    slots (typed with two street names) counts once, in the first slot by name."""
    slots: dict[str, SlotCount] = defaultdict(SlotCount)
    household_slots: dict[str, set[str]] = defaultdict(set)
    active = SignupStatus.ACTIVE.value
    for row in rows:
        tally = share(
            layout,
            row.postcode,
            row.street,
            row.house_number,
            row.status,
            row.group,
            row.confirmed_at,
        )
        count = slots[tally.slot]
        group = count.members.setdefault(tally.group or NO_GROUP, {})
        group[row.status] = group.get(row.status, 0) + 1
        if tally.waiting_since:
            days = count.waiting.setdefault(tally.group or NO_GROUP, {})
            days[tally.waiting_since] = days.get(tally.waiting_since, 0) + 1
        if tally.spelling:
            count.spellings[row.street] = count.spellings.get(row.street, 0) + 1
        if row.status == active:
            household_slots[tally.household].add(tally.slot)
    for found in household_slots.values():
        slots[min(found)].households += 1
    return dict(slots)
