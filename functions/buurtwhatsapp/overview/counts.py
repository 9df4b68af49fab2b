"""The regiegroep's overview (*dekking*): how well the groups cover each area and street.

Pure: built from the deployment's structure and the plain figures the store reads
(``Store.overview_inputs``, read once in reading.py), so that the page, the monthly digest
and the maintainer's report show the same numbers, and tests need no Firestore. Counts only:
a sign-up comes in as its status and address (street, house number, postcode) and group,
never as a person.

What counts where:

- A sign-up counts under its status: *active* (in the WhatsApp group), *confirmed* (address
  confirmed, waiting for the coordinator to add them) or *pending* (not confirmed yet).
- Its area is worked out from its address against the deployment as it is now, as a confirm
  places a resident; an address that no area takes any more counts as *elsewhere*.
- An area with a street list shows each listed street (or part of one), also those nobody
  signed up from: those are its streets without members. An area without a list covers every
  street of its postcodes, so it shows the streets seen in its sign-ups and cannot name the
  ones without.
- A street *without members* has no sign-up at all, of any status.
- A group's fill is its places taken (``group_seats``: the count a confirm checks against the
  capacity), against its capacity. Sign-ups that were confirmed while no group of their area
  had room wait *without a group* for the regiegroep.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..deployment.addresses import normalise_street, parse_house_number
from ..deployment.structure import Area, Deployment, StreetRange
from ..model import OverviewInputs, SignupRow, SignupStatus


@dataclass(frozen=True, slots=True)
class Counts:
    active: int = 0
    confirmed: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        return self.active + self.confirmed + self.pending

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.active + other.active,
            self.confirmed + other.confirmed,
            self.pending + other.pending,
        )

    @classmethod
    def of(cls, statuses: Iterable[str]) -> Counts:
        counted = Counter(statuses)
        return cls(
            active=counted[SignupStatus.ACTIVE.value],
            confirmed=counted[SignupStatus.CONFIRMED.value],
            pending=counted[SignupStatus.PENDING.value],
        )


@dataclass(frozen=True, slots=True)
class StreetCoverage:
    label: str  # as the regiegroep reads it: "Lisserweg 480–530 (even nummers)"
    counts: Counts
    listed: bool  # in the area's street list (False: seen in sign-ups only)


@dataclass(frozen=True, slots=True)
class AreaCoverage:
    id: str
    name: str
    has_street_list: bool
    streets: tuple[StreetCoverage, ...]

    @property
    def counts(self) -> Counts:
        total = Counts()
        for street in self.streets:
            total = total + street.counts
        return total

    @property
    def streets_without_members(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.streets if s.listed and s.counts.total == 0)


@dataclass(frozen=True, slots=True)
class GroupFill:
    id: str
    name: str
    area: str  # the area's name
    capacity: int
    taken: int
    # The group's way in: "invite" (its invite link; residents ask to join) or "add".
    mode: str = "add"
    waiting: int = 0  # confirmed, not yet added
    oldest_wait_days: int | None = None  # how long the longest waiting has waited, in days

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.taken)

    @property
    def percent(self) -> int:
        """How full, in whole percents; a group with any place taken shows at least 1%."""
        if self.capacity <= 0:
            return 100
        share = 100 * self.taken / self.capacity
        return max(1, round(share)) if self.taken else 0

    @property
    def full(self) -> bool:
        return self.taken >= self.capacity


@dataclass(frozen=True, slots=True)
class Overview:
    areas: tuple[AreaCoverage, ...]
    groups: tuple[GroupFill, ...]
    elsewhere: Counts  # addresses no area takes any more
    without_group: int  # confirmed or active, but no group could take them
    open_applications: int
    failed_mail: int
    # What happened per month ("2026-11" -> event -> count; model.MONTHLY_EVENTS), no names.
    monthly: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @property
    def totals(self) -> Counts:
        total = self.elsewhere
        for area in self.areas:
            total = total + area.counts
        return total

    @property
    def streets_without_members(self) -> int:
        return sum(len(area.streets_without_members) for area in self.areas)

    def figures(self) -> dict[str, Any]:
        """The main figures, as the monthly digest keeps them (no names, no streets typed by
        residents) and compares them with the previous month's."""
        totals = self.totals
        return {
            "active": totals.active,
            "confirmed": totals.confirmed,
            "pending": totals.pending,
            "without_group": self.without_group,
            "streets_without_members": self.streets_without_members,
            "open_applications": self.open_applications,
            "failed_mail": self.failed_mail,
            "areas": {area.id: area.counts.total for area in self.areas},
            "groups": {group.id: group.taken for group in self.groups},
            "waiting": {group.id: group.waiting for group in self.groups},
        }


def build_overview(
    deployment: Deployment, inputs: OverviewInputs, now: datetime | None = None
) -> Overview:
    """The figures; ``now`` is when waiting is measured up to (none: no waiting times)."""
    by_area: dict[str, list[SignupRow]] = defaultdict(list)
    elsewhere: list[str] = []
    for row in inputs.signups:
        area = deployment.area_at(row.postcode, row.street, row.house_number)
        if area is None:
            elsewhere.append(row.status)
        else:
            by_area[area.id].append(row)
    placed = {SignupStatus.CONFIRMED.value, SignupStatus.ACTIVE.value}
    known_groups = {group.id for group in deployment.groups}
    without_group = sum(
        1 for row in inputs.signups if row.status in placed and row.group not in known_groups
    )
    area_names = {area.id: area.name for area in deployment.areas}
    waiting_since: dict[str, list[datetime | None]] = defaultdict(list)
    for row in inputs.signups:
        if row.status == SignupStatus.CONFIRMED.value and row.group in known_groups:
            waiting_since[str(row.group)].append(row.confirmed_at)
    return Overview(
        areas=tuple(_area_coverage(area, by_area[area.id]) for area in deployment.areas),
        groups=tuple(
            GroupFill(
                id=group.id,
                name=group.name,
                area=area_names.get(group.area, group.area),
                capacity=group.capacity,
                taken=int(inputs.seats.get(group.id, 0)),
                mode="invite" if group.id in inputs.invite_groups else "add",
                waiting=len(waiting_since[group.id]),
                oldest_wait_days=_longest_wait(waiting_since[group.id], now),
            )
            for group in deployment.groups
        ),
        elsewhere=Counts.of(elsewhere),
        without_group=without_group,
        open_applications=inputs.open_applications,
        failed_mail=inputs.failed_mail,
        monthly={month: dict(counts) for month, counts in inputs.monthly.items()},
    )


def _area_coverage(area: Area, rows: list[SignupRow]) -> AreaCoverage:
    if area.streets:
        return AreaCoverage(area.id, area.name, True, _listed_streets(area.streets, rows))
    return AreaCoverage(area.id, area.name, False, _seen_streets(rows))


def _listed_streets(
    ranges: tuple[StreetRange, ...], rows: list[SignupRow]
) -> tuple[StreetCoverage, ...]:
    """Each sign-up under the first listed street that covers its address: the one that put it
    in the area (``Area.contains``), since its area was worked out from the same address."""
    statuses: list[list[str]] = [[] for _ in ranges]
    for row in rows:
        parsed = parse_house_number(row.house_number)
        number = parsed[0] if parsed else 0
        index = next(i for i, r in enumerate(ranges) if r.covers(row.street, number))
        statuses[index].append(row.status)
    return tuple(
        StreetCoverage(street_label(r), Counts.of(s), listed=True)
        for r, s in zip(ranges, statuses, strict=True)
    )


def _seen_streets(rows: list[SignupRow]) -> tuple[StreetCoverage, ...]:
    """One row per street seen (spellings that normalise_street takes as one street are one),
    named by its most frequent spelling, in alphabetical order."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    statuses: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        key = normalise_street(row.street)
        spellings[key][row.street] += 1
        statuses[key].append(row.status)
    streets = []
    for key in sorted(spellings):
        [(label, _)] = sorted(spellings[key].items(), key=lambda item: (-item[1], item[0]))[:1]
        streets.append(StreetCoverage(label, Counts.of(statuses[key]), listed=False))
    return tuple(streets)


def _longest_wait(since: list[datetime | None], now: datetime | None) -> int | None:
    known = [moment for moment in since if moment is not None]
    if now is None or not known:
        return None
    return max(0, (now - min(known)).days)


def street_label(street: StreetRange) -> str:
    """A listed street as the regiegroep knows it: "Kagerdreef", "Lisserweg 480–530",
    "Dorpsstraat 1–49 (oneven nummers)"."""
    label = street.street
    if street.first is not None and street.last is not None:
        label += f" {street.first}–{street.last}"
    elif street.first is not None:
        label += f" vanaf {street.first}"
    elif street.last is not None:
        label += f" tot en met {street.last}"
    if street.parity is not None:
        label += " (oneven nummers)" if street.parity == "odd" else " (even nummers)"
    return label
