"""``infra/maintain tallies``: count every sign-up and household into the counters of the
deployment's current layout, and check them against a full count.

Needed once after the upgrade that brought the counters (sign-ups from before are counted by
no step), and after every change of the deployment file's areas or streets (a new layout: its
counters start empty). Until then the overview counts every sign-up itself, correctly but at a
read per sign-up. Each move is fenced like a step (store.py), so the command runs safely while
residents sign up and leave, and a rerun moves only what is left.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from ..common.clock import Clock
from ..deployment.layout import Layout
from ..model import Signup, SignupRow, SignupStatus
from ..store import Conflict, HouseholdFix, Store
from ..tallies import SlotCount, count_rows, share_of
from .counts import slot_names

# Writes per batch, under Firestore's 500: a sign-up moved is at most four (its revision's
# marker, itself, the counters it leaves and joins), a household three and two per member.
BATCH_WRITES = 400
T = TypeVar("T")
# How often one sign-up or household is tried again after a step changed it meanwhile.
ROUNDS = 5


@dataclass
class Recount:
    signups: int = 0  # sign-ups counted anew
    households: int = 0  # households counted anew
    left: list[str] = field(default_factory=list)  # changed at every try: run again


def recount(*, layout: Layout, store: Store, clock: Clock) -> Recount:
    result = Recount()
    stale = [signup for signup in store.signups() if signup.tally != share_of(layout, signup)]
    result.signups = _in_batches(
        stale,
        lambda _signup: 4,
        lambda chunk: store.retally(chunk, clock.now()),
        lambda signup: _retally_one(signup.id, layout, store, clock, result),
    )
    result.households = _in_batches(
        _household_fixes(layout, store),
        lambda fix: 3 + 2 * len(fix.members),
        lambda chunk: store.fix_households(chunk, clock.now()),
        lambda fix: _fix_one(fix.key, layout, store, clock, result),
    )
    return result


def _in_batches(
    items: list[T],
    writes: Callable[[T], int],
    commit: Callable[[list[T]], None],
    one_by_one: Callable[[T], int],
) -> int:
    """Move ``items`` a batch at a time; a batch that lost a race to a step is moved again one
    item at a time, on fresh reads. How many were moved."""
    moved = 0
    for chunk in _batches(items, writes):
        try:
            commit(chunk)
            moved += len(chunk)
        except Conflict:
            moved += sum(one_by_one(item) for item in chunk)
    return moved


def _batches(items: list[T], writes: Callable[[T], int]) -> Iterator[list[T]]:
    batch: list[T] = []
    weight = 0
    for item in items:
        if batch and weight + writes(item) > BATCH_WRITES:
            yield batch
            batch, weight = [], 0
        batch.append(item)
        weight += writes(item)
    if batch:
        yield batch


def count_stragglers(*, layout: Layout, store: Store, clock: Clock, limit: int = 100) -> int:
    """Housekeeping's share: count under ``layout`` what is still counted under another (a
    step of an old instance during a deploy, a recount cut short); at most ``limit`` of each.
    How many sign-ups and households it moved."""
    signups, households = store.counted_elsewhere(layout.key, limit)
    result = Recount()
    for signup in signups:
        result.signups += _retally_one(signup.id, layout, store, clock, result)
    for key in households:
        result.households += _fix_one(key, layout, store, clock, result)
    return result.signups + result.households


def _retally_one(
    signup_id: str, layout: Layout, store: Store, clock: Clock, result: Recount
) -> int:
    for _round in range(ROUNDS):
        signup = store.get_signup(signup_id)
        if signup is None or signup.tally == share_of(layout, signup):
            return 0  # gone, or a step counted it meanwhile
        try:
            store.retally([signup], clock.now())
        except Conflict:
            continue
        return 1
    result.left.append("a sign-up")
    return 0


def _household_fixes(layout: Layout, store: Store, only: str | None = None) -> list[HouseholdFix]:
    """The households whose active members are counted (under ``layout``) where the household
    is not: each in the first of its members' slots, by name. ``only``: that household."""
    members: dict[str, list[Signup]] = defaultdict(list)
    if only is None:
        signups = store.signups(status=SignupStatus.ACTIVE.value)
        documents = store.household_documents()
    else:
        signups = store.members_at(only)
        found = store.household_document(only)
        documents = {} if found is None else {only: found}
    for signup in signups:
        tally = signup.tally
        if (
            signup.status is SignupStatus.ACTIVE
            and tally is not None
            and tally.layout == layout.key
            and only in (None, tally.household)
        ):
            members[tally.household].append(signup)
    fixes = []
    for key, active in sorted(members.items()):
        slot = min(str(member.tally.slot) for member in active if member.tally)
        document = documents.get(key)
        if document is not None and (document.get("layout"), document.get("slot")) == (
            layout.key,
            slot,
        ):
            continue
        fixes.append(HouseholdFix(key, document, layout.key, slot, tuple(active)))
    return fixes


def _fix_one(key: str, layout: Layout, store: Store, clock: Clock, result: Recount) -> int:
    for _round in range(ROUNDS):
        fixes = _household_fixes(layout, store, only=key)
        if not fixes:
            return 0
        try:
            store.fix_households(fixes, clock.now())
        except Conflict:
            continue
        return 1
    result.left.append("a household")
    return 0


def differences(*, layout: Layout, store: Store) -> list[str]:
    """Where the counters differ from a full count of every sign-up, one line per street (as
    the overview names it), in figures only; empty when they agree."""
    street_names = slot_names(layout.deployment)
    rows = [
        SignupRow(
            status=signup.status.value,
            street=signup.address.street,
            house_number=signup.address.house_number,
            postcode=signup.address.postcode,
            group=signup.group,
            confirmed_at=signup.confirmed_at,
        )
        for signup in store.signups()
    ]
    counted = count_rows(layout, rows)
    kept = store.tallies(layout.key)
    lines = []
    for slot in sorted(set(counted) | set(kept)):
        full, tally = counted.get(slot, SlotCount()), kept.get(slot, SlotCount())
        if full.comparable() != tally.comparable():
            name = street_names.get(slot) or full.label() or slot
            lines.append(f"{name}: counted {_say(full)}; kept {_say(tally)}")
    households = store.count_households()
    in_layout = sum(slot.households for slot in kept.values())
    if households != in_layout:
        lines.append(f"households taking part: {households} documents, {in_layout} counted")
    return lines


def _say(slot: SlotCount) -> str:
    statuses = ", ".join(f"{status} {count}" for status, count in slot.by_status().items())
    waiting = sum(count for days in slot.waiting.values() for count in days.values())
    first = min(filter(None, (slot.waiting_since(group) for group in slot.waiting)), default="-")
    return f"{statuses}, households {slot.households}, waiting {waiting} since {first}"
