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
- *Participation* is the share of households taking part: the addresses (postcode and house
  number) with an active member, against the households the deployment file gives for a
  street or an area (public BAG counts); two members at one address are one household. A
  street or area at or above the initiative's ``sign_threshold_percent`` is *ready for signs*
  ("klaar voor borden"). Without household counts nothing is guessed: there is none.
- A group's fill is its places taken (``group_seats``: the count a confirm checks against the
  capacity), against its capacity. Sign-ups that were confirmed while no group of their area
  had room wait *without a group* for the regiegroep.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..deployment.addresses import normalise_street
from ..deployment.layout import ELSEWHERE, Layout
from ..deployment.structure import Area, Deployment, StreetRange
from ..model import OverviewInputs, SignupRow, SignupStatus
from ..tallies import SlotCount, count_rows, day_start, waiting_day


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
class Participation:
    """The households of a street or area that take part (an active member at the address),
    against all its households."""

    taking_part: int
    households: int
    threshold: int  # percent at which signs are hung

    @property
    def percent(self) -> int:
        """In whole percents, rounded down (so that "30%" is never short of the threshold of
        30), at most 100 (an outdated count), and any household at all shows at least 1%."""
        if not self.taking_part:
            return 0
        return min(100, max(1, 100 * self.taking_part // self.households))

    @property
    def ready_for_signs(self) -> bool:
        """At or above the threshold, compared exactly (29.6% is not 30%)."""
        return 100 * self.taking_part >= self.threshold * self.households


def participation(taking_part: int, households: int | None, threshold: int) -> Participation | None:
    return None if households is None else Participation(taking_part, households, threshold)


@dataclass(frozen=True, slots=True)
class StreetCoverage:
    label: str  # as the regiegroep reads it: "Lisserweg 480–530 (even nummers)"
    counts: Counts
    listed: bool  # in the area's street list (False: seen in sign-ups only)
    participation: Participation | None = None  # None: no household count given
    taking_part: int = 0  # households with an active member


@dataclass(frozen=True, slots=True)
class AreaCoverage:
    id: str
    name: str
    has_street_list: bool
    streets: tuple[StreetCoverage, ...]
    households: int | None = None  # Area.all_households
    threshold: int = 30  # the initiative's sign_threshold_percent

    @property
    def participation(self) -> Participation | None:
        # Streets split an area's addresses: their households add up.
        taking_part = sum(street.taking_part for street in self.streets)
        return participation(taking_part, self.households, self.threshold)

    @property
    def streets_ready_for_signs(self) -> tuple[str, ...]:
        return tuple(
            s.label for s in self.streets if s.participation and s.participation.ready_for_signs
        )

    @property
    def has_households(self) -> bool:
        """Whether any participation can be shown for this area."""
        return self.households is not None or any(s.participation for s in self.streets)

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
    sign_threshold_percent: int = 30

    @property
    def has_households(self) -> bool:
        return any(area.has_households for area in self.areas)

    @property
    def has_street_households(self) -> bool:
        """Whether any street shows its share (and the chart its threshold line)."""
        return any(street.participation for area in self.areas for street in area.streets)

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
    """The figures; ``now`` is when waiting is measured up to (none: no waiting times).

    From the counters (``inputs.slots``) when the store could read them complete, else counted
    from every sign-up (``inputs.signups``) the same way (tallies.count_rows)."""
    layout = Layout(deployment)
    known_groups = {group.id for group in deployment.groups}
    if inputs.slots is None:
        slots = count_rows(layout, inputs.signups)
        oldest = _oldest_waiting(inputs.signups, known_groups)
    else:
        slots = dict(inputs.slots)
        oldest = dict(inputs.oldest_waiting)
    placed = (SignupStatus.CONFIRMED.value, SignupStatus.ACTIVE.value)
    without_group = sum(
        counts.get(status, 0)
        for slot in slots.values()
        for group, counts in slot.members.items()
        if group not in known_groups
        for status in placed
    )
    waiting = {
        group: sum(
            slot.members.get(group, {}).get(SignupStatus.CONFIRMED.value, 0)
            for slot in slots.values()
        )
        for group in known_groups
    }
    area_names = {area.id: area.name for area in deployment.areas}
    threshold = deployment.initiative.sign_threshold_percent
    return Overview(
        areas=tuple(_area_coverage(area, slots, threshold) for area in deployment.areas),
        groups=tuple(
            GroupFill(
                id=group.id,
                name=group.name,
                area=area_names.get(group.area, group.area),
                capacity=group.capacity,
                taken=int(inputs.seats.get(group.id, 0)),
                mode="invite" if group.id in inputs.invite_groups else "add",
                waiting=waiting[group.id],
                oldest_wait_days=_days_since(oldest.get(group.id), now),
            )
            for group in deployment.groups
        ),
        elsewhere=_counts(slots.get(ELSEWHERE)),
        without_group=without_group,
        open_applications=inputs.open_applications,
        failed_mail=inputs.failed_mail,
        monthly={month: dict(counts) for month, counts in inputs.monthly.items()},
        sign_threshold_percent=threshold,
    )


def _counts(slot: SlotCount | None) -> Counts:
    if slot is None:
        return Counts()
    totals = slot.by_status()
    return Counts(
        active=totals[SignupStatus.ACTIVE.value],
        confirmed=totals[SignupStatus.CONFIRMED.value],
        pending=totals[SignupStatus.PENDING.value],
    )


def _area_coverage(area: Area, slots: Mapping[str, SlotCount], threshold: int) -> AreaCoverage:
    listed = bool(area.streets)
    if listed:
        streets = tuple(
            _street(
                street_label(street),
                slots.get(Layout.listed_slot(area.id, index)),
                True,
                street.households,
                threshold,
            )
            for index, street in enumerate(area.streets)
        )
    else:
        seen = [slot for key, slot in slots.items() if key.startswith(f"{area.id}~") and slot.total]
        streets = tuple(
            sorted(
                (_street(slot.label(), slot, False, None, threshold) for slot in seen),
                key=lambda street: normalise_street(street.label),
            )
        )
    return AreaCoverage(
        area.id, area.name, listed, streets, households=area.all_households, threshold=threshold
    )


def _street(
    label: str, slot: SlotCount | None, listed: bool, households: int | None, threshold: int
) -> StreetCoverage:
    taking_part = slot.households if slot else 0
    shares = participation(taking_part, households, threshold) if listed else None
    return StreetCoverage(label, _counts(slot), listed, shares, taking_part)


def _oldest_waiting(rows: Iterable[SignupRow], groups: set[str]) -> dict[str, datetime]:
    """The day (its start, UTC) the longest waiting member of each group was confirmed on
    (confirmed, not yet added): waiting is counted in days, as the counters keep it."""
    oldest: dict[str, datetime] = {}
    for row in rows:
        if row.status != SignupStatus.CONFIRMED.value or row.group not in groups:
            continue
        if row.confirmed_at is not None:
            day = day_start(waiting_day(row.confirmed_at))
            if row.group not in oldest or day < oldest[row.group]:
                oldest[row.group] = day
    return oldest


def _days_since(moment: datetime | None, now: datetime | None) -> int | None:
    if now is None or moment is None:
        return None
    return max(0, (now - moment).days)


def slot_names(deployment: Deployment) -> dict[str, str]:
    """The slots of the deployment's listed streets, and elsewhere, as the overview names
    them ("Buitenkaag dorp: Kagerdreef"); a seen street is named by its spelling."""
    names = {ELSEWHERE: "elsewhere (no area)"}
    for area in deployment.areas:
        for index, street in enumerate(area.streets):
            names[Layout.listed_slot(area.id, index)] = f"{area.name}: {street_label(street)}"
    return names


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
