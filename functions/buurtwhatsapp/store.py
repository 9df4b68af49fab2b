"""The Firestore adapter: every read and write of documents goes through here.

Race safety is built only on what every Firestore (and both local emulators) enforces: a
``create()`` of an existing document fails. Update-time preconditions and transaction conflicts
are not relied on, because the npm emulator enforces neither and tests against it would then
pass for logic that is wrong. The npm emulator package also applies a batch write by write and
keeps the writes before a failing one (devstack's wrapper mends that); every batch here puts the
creates that may fail first all the same, so that no store can keep half a batch.

Every change to a sign-up after its creation is fenced by a revision: the batch that makes
change n creates a document named for n and sets ``revision`` to n. That document is the mail the
step queues (``mail_ids.step_mail_id``: the alert of a confirm, the goodbye of a leave), so the
fence costs no write of its own; a step without mail creates a bare marker under that name. Of
any writers that read the same revision (a confirm and an erasure, say) exactly one commits; the
others get ``Conflict`` and decide again on a fresh read. So an erasure never misses a place or a
mail that a confirm added meanwhile, and housekeeping never expires a sign-up confirmed a moment
ago.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from google.api_core.exceptions import AlreadyExists, FailedPrecondition, NotFound
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from .common.errors import BuurtWhatsAppError
from .deployment.layout import Layout, household_key
from .deployment.people import People
from .deployment.structure import Deployment
from .mail_ids import application_alert_ids, step_mail_id
from .model import (
    APPLICATION_KEYS,
    APPLICATIONS,
    CURRENT,
    DIGESTS,
    ERASURES,
    GROUP_INVITES,
    GROUP_SEATS,
    HOUSEHOLDS,
    MAIL,
    MAIL_CLAIMS,
    MAIL_SLOTS,
    MONTHLY,
    MONTHLY_EVENTS,
    NEWS,
    PEOPLE,
    REMOVALS,
    SIGNUP_KEYS,
    SIGNUPS,
    TALLIES,
    CompositeIndex,
    Document,
    MailStatus,
    OverviewInputs,
    Signup,
    SignupRow,
    SignupStatus,
    Tally,
    as_int,
    month_key,
    tally_fields,
)
from .tallies import (
    HouseholdMove,
    Move,
    SlotCount,
    day_start,
    read_slot,
    share,
    share_of,
    slot_changes,
)

log = logging.getLogger(__name__)

Mails = Sequence[tuple[str, dict[str, object]]]
Snapshot = firestore.DocumentSnapshot[firestore.DocumentReference]
# What a query can be built on: a whole collection, or one narrowed by filters.
Queryable = firestore.Query | firestore.CollectionReference


@dataclass(frozen=True, slots=True)
class Seat:
    id: str
    taken: int  # places taken in the group with this one, as counted when it was claimed


@dataclass(frozen=True, slots=True)
class Household:
    """The household of a sign-up's address as a step reads it: its document (None: not
    counted as taking part) and the other active members there, whose next revisions the step
    claims so that none of them can decide at the same time from the same read (tallies.py)."""

    key: str
    document: Mapping[str, Any] | None
    others: tuple[Signup, ...]


@dataclass(frozen=True, slots=True)
class HouseholdFix:
    """A household to count in ``layout``'s ``slot`` (its members' street now): from its
    document as read (None: not counted), fenced by its active ``members``."""

    key: str
    document: Mapping[str, Any] | None
    layout: str
    slot: str
    members: tuple[Signup, ...]

    @property
    def target(self) -> dict[str, str]:
        """The household document as it is to be."""
        return {"layout": self.layout, "slot": self.slot}


@dataclass(frozen=True, slots=True)
class Removal:
    """A number a coordinator must still take out of their group: a member who left."""

    id: str
    group: str
    name: str
    phone: str  # E.164
    left_at: datetime


def _signups(query: Queryable) -> list[Signup]:
    return [Signup.from_document(s.id, s.to_dict() or {}) for s in query.stream()]


def _count(query: Queryable) -> int:
    """How many documents ``query`` matches: one aggregation (one read per 1,000), no
    documents. google-cloud-firestore's annotations of ``count().get()`` do not match what it
    returns (a list of lists of AggregationResult), hence the ignores."""
    [[result]] = query.count().get()  # type: ignore[call-arg, misc]
    return int(result.value)


class StoreError(BuurtWhatsAppError):
    """A write lost a race or found its document gone; the service that called decides again
    (these never leave the service layer: each domain raises its own)."""


class IdentityTaken(StoreError):
    """A sign-up with this phone number or e-mail address exists already."""


class SignupGone(StoreError):
    """The sign-up does not exist (any more): erased, expired, or never there."""


class Conflict(StoreError):
    """Another writer changed the sign-up (or took the step) since it was read: read again."""


class PeopleChanged(StoreError):
    """Someone else changed the coordinators or the regiegroep since they were read."""


def _seat_document(group_id: str, signup_id: str, now: datetime) -> dict[str, object]:
    """A place in a group (``group_seats/<group>.<number>``), held by a sign-up."""
    return {"group": group_id, "signup_id": signup_id, "claimed_at": now}


def _placed(slots: Mapping[str, SlotCount], group: str) -> int:
    """A group's places taken, as the counters count them: its confirmed and active members
    (each holds one; a place a crashed confirm left is freed by housekeeping within the hour)."""
    placed = (SignupStatus.CONFIRMED.value, SignupStatus.ACTIVE.value)
    return sum(
        slot.members.get(group, {}).get(status, 0) for slot in slots.values() for status in placed
    )


def _first_waiting_day(slots: Mapping[str, SlotCount], group: str) -> str | None:
    days = [day for slot in slots.values() if (day := slot.waiting_since(group)) is not None]
    return min(days) if days else None


def _household_out(document: Mapping[str, Any]) -> HouseholdMove:
    """A household no longer taking part, taken out where it was counted in."""
    return HouseholdMove(str(document.get("layout")), str(document.get("slot")), -1)


# The overview's reads in flight at once: 40 groups' places are 40 aggregations.
OVERVIEW_READERS = 8
# At most this many sign-ups are read at one address: a household, not a block of flats'
# worth of form abuse (a sign-up per phone number and e-mail address).
HOUSEHOLD_MEMBERS = 50
# Revision markers only need to outlive a race of seconds; Firestore's TTL removes them.
REVISION_TTL = timedelta(days=2)
REVISION_MARKER = "revision"
# A slot counts until its hour is over; the latest hour a slot is taken for lies a week and a
# day ahead (form_mail_quota.py).
SLOT_TTL = timedelta(days=10)


class Store:
    def __init__(self, client: firestore.Client, layout: Layout | None = None) -> None:
        """``layout``: the deployment's streets, under which every step keeps the overview's
        counters (tallies.py); None keeps none (a test of something else: the overview then
        counts every sign-up, as it does whenever the counters are incomplete)."""
        self._db = client
        self._layout = layout

    def _get_all(self, refs: Sequence[firestore.DocumentReference]) -> list[Snapshot]:
        """The documents ``refs`` name (absent ones as snapshots that do not exist); no round
        trip for none, which is the usual case on the hourly and per-erasure paths."""
        return list(self._db.get_all(list(refs))) if refs else []

    def create_signup(self, signup: Signup, form_mail: Mails, slots: Sequence[str] = ()) -> None:
        """Store a sign-up, claim its phone and e-mail, and queue its first mail: all or nothing.

        The key documents are created, never overwritten, so that two simultaneous sign-ups
        with the same phone or address cannot both succeed. They go first, with the day's
        form-mail quota and the mail's slot: the sign-up and mail ids are new, so only those can
        make the batch fail. IdentityTaken then means a key, the quota or the slot was taken:
        the caller reads again.
        """
        batch = self._db.batch()
        self._take_slots(batch, slots, signup.created_at)
        for key in signup.keys:
            batch.create(
                self._db.collection(SIGNUP_KEYS).document(key),
                {"signup_id": signup.id, "created_at": signup.created_at},
            )
        for mail_id, mail in form_mail:
            batch.create(self._db.collection(MAIL).document(mail_id), mail)
        document = signup.to_document()
        tally = share_of(self._layout, signup) if self._layout else None
        if tally is not None:
            document.update(tally_fields(tally))
            self._write_counts(batch, [Move(None, tally, signup.address.street)])
        batch.create(self._db.collection(SIGNUPS).document(signup.id), document)
        try:
            batch.commit()
        except AlreadyExists as error:
            raise IdentityTaken from error

    def quota_taken(self, document_ids: list[str]) -> set[str]:
        """Which of these form-mail quota days are taken already."""
        refs = [self._db.collection(MAIL).document(i) for i in document_ids]
        return {snapshot.id for snapshot in self._get_all(refs) if snapshot.exists}

    def count_slots(self, window: str) -> int:
        """How many slots of an hourly allowance are taken (form_mail_quota.py): one
        aggregation, one read per 1,000 slots."""
        return _count(
            self._db.collection(MAIL_SLOTS).where(filter=FieldFilter("window", "==", window))
        )

    def quota_and_slots(self, document_ids: list[str], window: str) -> tuple[set[str], int]:
        """``quota_taken`` and ``count_slots`` at once: both requests in flight together, so a
        sign-up waits for one round trip before its commit, not two."""
        with ThreadPoolExecutor(max_workers=1) as other:
            slots = other.submit(self.count_slots, window)
            taken = self.quota_taken(document_ids)
            return taken, slots.result()

    def _take_slots(self, batch: firestore.WriteBatch, slots: Sequence[str], now: datetime) -> None:
        """Create the slot documents in ``batch``: a slot taken meanwhile makes it fail."""
        for slot in slots:
            batch.create(
                self._db.collection(MAIL_SLOTS).document(slot),
                {"window": slot.rpartition(".")[0], "expire_at": now + SLOT_TTL},
            )

    def find_signup_by_identity(self, identity_keys: Sequence[str]) -> Signup | None:
        """The sign-up that holds any of these keys, with its data; None if there is none.

        Keys are created and deleted in the same batch as their sign-up, so a key without one
        comes only from a hand edit or a store that applied half a batch. It is removed, so that
        it cannot block the address or number for good. This repair path is the one place that
        leans on an update-time precondition (only Google's Firestore enforces it): it guards a
        state that atomic batches never produce.
        """
        refs = [self._db.collection(SIGNUP_KEYS).document(key) for key in identity_keys]
        for key_snapshot in self._get_all(refs):
            if not key_snapshot.exists:
                continue
            signup_id = key_snapshot.get("signup_id")
            signup = self._db.collection(SIGNUPS).document(signup_id).get()
            if signup.exists:
                return Signup.from_document(signup_id, signup.to_dict() or {})
            with contextlib.suppress(FailedPrecondition, NotFound):
                key_snapshot.reference.delete(
                    option=self._db.write_option(last_update_time=key_snapshot.update_time)
                )
        return None

    def queue_confirmation_resend(
        self,
        signup: Signup,
        sequence: int,
        mail_id: str,
        mail: dict[str, object],
        now: datetime,
        slots: Sequence[str] = (),
    ) -> bool:
        """Queue the ``sequence``-th confirmation mail; False if another request got there first,
        the day's form-mail quota or the slot was taken, or the sign-up changed meanwhile
        (erased, confirmed)."""
        batch = self._db.batch()
        self._take_slots(batch, slots, now)
        fence = self._fence(batch, signup, now)
        # The mail's id is the day's form-mail quota (see form_mail_quota.py).
        batch.create(self._db.collection(MAIL).document(mail_id), mail)
        batch.update(
            self._signup(signup.id),
            {
                **fence,
                "confirmation_mails": sequence,
                "last_confirmation_mail_at": now,
                "updated_at": now,
            },
        )
        try:
            batch.commit()
        except (AlreadyExists, NotFound):
            return False
        return True

    def _fence(
        self, batch: firestore.WriteBatch, signup: Signup, now: datetime, mails: Mails = ()
    ) -> dict[str, object]:
        """Claim the next revision of the sign-up in ``batch``.

        The claim is the document ``mail/step-<id>-r<n>`` (``mail_ids.step_mail_id``). A step that
        queues a mail names its first mail so, and creating that mail is the claim, at no extra
        write. A step without such a mail (an expiry, a resent confirmation, whose mail is named
        for the form-mail quota) creates a bare revision marker under that name, which no
        delivery picks up (its status is not queued) and Firestore's TTL removes.
        """
        revision = signup.revision + 1
        step = step_mail_id(signup.id, revision)
        if step not in {mail_id for mail_id, _ in mails}:
            batch.create(
                self._db.collection(MAIL).document(step),
                {"status": REVISION_MARKER, "expire_at": now + REVISION_TTL},
            )
        return {"revision": revision}

    # --- the overview's counters (tallies.py) ----------------------------------------------

    def _share(
        self,
        signup: Signup,
        status: str,
        group: str | None,
        confirmed_at: datetime | None = None,
    ) -> Tally | None:
        if self._layout is None:
            return None
        address = signup.address
        return share(
            self._layout,
            address.postcode,
            address.street,
            address.house_number,
            status,
            group,
            confirmed_at,
        )

    def household(self, signup: Signup) -> Household | None:
        """The household of the sign-up's address, when a step changes whether it takes part
        (None when no counters are kept): its document and the active members there, read
        together in one round trip."""
        if self._layout is None:
            return None
        key = household_key(signup.address.postcode, signup.address.house_number)
        with ThreadPoolExecutor(max_workers=1) as other:
            found = other.submit(self.members_at, key)
            document = self.household_document(key)
            others = tuple(
                member
                for member in found.result()
                if member.id != signup.id and member.status is SignupStatus.ACTIVE
            )
        return Household(key, document, others)

    def _count_step(
        self,
        batch: firestore.WriteBatch,
        signup: Signup,
        status: str | None,
        group: str,
        now: datetime,
        household: Household | None = None,
        confirmed_at: datetime | None = None,
    ) -> tuple[dict[str, object], bool]:
        """Move the sign-up's share of the counters in ``batch``, from what it was counted as
        (``Signup.tally``) to ``status`` and ``group`` (None: erased): the fields to record on
        it, and whether other members' revisions were claimed.

        Whether its household takes part changes only when an active member is counted in or
        out: the first in creates ``households/<key>`` (a second at once fails on it), the
        last out deletes it, and either claims the next revision of every other active member
        there, so that a member leaving at the same moment decides again on a fresh read.
        """
        if self._layout is None:
            return {}, False
        old = signup.tally
        new = None if status is None else self._share(signup, status, group or None, confirmed_at)
        if old == new:
            return {}, False
        active = SignupStatus.ACTIVE.value
        was_in = old is not None and old.status == active
        is_in = new is not None and new.status == active
        households: list[HouseholdMove] = []
        neighbours = False
        if was_in != is_in:
            household = household or self.household(signup)
            assert household is not None  # counters are kept: self._layout is set
            reference = self._db.collection(HOUSEHOLDS).document(household.key)
            if is_in and household.document is None and new is not None:
                batch.create(reference, {"layout": new.layout, "slot": new.slot})
                households.append(HouseholdMove(new.layout, new.slot, 1))
            elif was_in and not household.others and household.document is not None:
                batch.delete(reference)
                households.append(_household_out(household.document))
            self._claim_revisions(batch, household.others, now)
            neighbours = bool(household.others)
        self._write_counts(batch, [Move(old, new, signup.address.street)], households)
        return tally_fields(new), neighbours

    def _claim_revisions(
        self, batch: firestore.WriteBatch, others: Sequence[Signup], now: datetime
    ) -> None:
        """Take other sign-ups' next revisions, changing nothing else: any step of theirs
        read before this batch then fails (Conflict) and decides again. The markers are
        creates, so they go before the updates (store.py's first paragraph)."""
        for other in others:
            batch.create(
                self._db.collection(MAIL).document(step_mail_id(other.id, other.revision + 1)),
                {"status": REVISION_MARKER, "expire_at": now + REVISION_TTL},
            )
        for other in others:
            batch.update(self._signup(other.id), {"revision": other.revision + 1})

    def _write_counts(
        self,
        batch: firestore.WriteBatch,
        moves: Sequence[Move],
        households: Sequence[HouseholdMove] = (),
    ) -> None:
        for document_id, fields in slot_changes(moves, households).items():
            batch.set(self._db.collection(TALLIES).document(document_id), fields, merge=True)

    def retally(self, signups: Sequence[Signup], now: datetime) -> None:
        """Count these sign-ups as the current layout places them, in one batch: each moves
        its share from what it was counted as, fenced by its next revision like a step.
        Conflict when any of them changed since it was read (count those again, one by one).
        Their households move with ``fix_households``."""
        assert self._layout is not None, "no counters without a layout"
        batch = self._db.batch()
        moves, updates = [], []
        for signup in signups:
            self._fence(batch, signup, now)
            new = share_of(self._layout, signup)
            moves.append(Move(signup.tally, new, signup.address.street))
            updates.append((signup, {"revision": signup.revision + 1, **tally_fields(new)}))
        for signup, fields in updates:
            batch.update(self._signup(signup.id), fields)
        self._write_counts(batch, moves)
        try:
            batch.commit()
        except (AlreadyExists, NotFound) as error:
            raise Conflict(",".join(s.id for s in signups)) from error

    def members_at(self, household: str) -> list[Signup]:
        """The counted sign-ups at one address (any status)."""
        query = (
            self._db.collection(SIGNUPS)
            .where(filter=FieldFilter("household", "==", household))
            .limit(HOUSEHOLD_MEMBERS)
        )
        return _signups(query)

    def household_document(self, household: str) -> Document | None:
        snapshot = self._db.collection(HOUSEHOLDS).document(household).get()
        return (snapshot.to_dict() or {}) if snapshot.exists else None

    def counted_elsewhere(self, layout: str, limit: int) -> tuple[list[Signup], list[str]]:
        """Sign-ups, and households, counted under another layout than ``layout``: those a
        step of an instance still running the deployment file before made, or a recount not
        finished. Two queries on one field each, empty on every run but those just after a
        change of streets (a sign-up from before the counters has no layout: see recount.py)."""
        signups = self._db.collection(SIGNUPS).where(filter=FieldFilter("counted_in", "!=", layout))
        households = self._db.collection(HOUSEHOLDS).where(
            filter=FieldFilter("layout", "!=", layout)
        )
        with ThreadPoolExecutor(max_workers=1) as other:
            found = other.submit(_signups, signups.limit(limit))
            keys = [snapshot.id for snapshot in households.limit(limit).stream()]
            return found.result(), keys

    def household_documents(self) -> dict[str, Document]:
        """Every household counted as taking part, by key (a maintainer's recount)."""
        return {s.id: s.to_dict() or {} for s in self._db.collection(HOUSEHOLDS).stream()}

    def fix_households(self, fixes: Sequence[HouseholdFix], now: datetime) -> None:
        """Count these households where their active members are counted now, in one batch,
        each fenced by the next revision of every active member there (tallies.py). Conflict
        when any of them changed since it was read."""
        batch = self._db.batch()
        moves: list[HouseholdMove] = []
        for fix in fixes:
            reference = self._db.collection(HOUSEHOLDS).document(fix.key)
            moves.append(HouseholdMove(fix.layout, fix.slot, 1))
            if fix.document is None:
                batch.create(reference, fix.target)
            else:
                moves.append(_household_out(fix.document))
        self._claim_revisions(batch, [member for fix in fixes for member in fix.members], now)
        for fix in fixes:
            if fix.document is not None:
                batch.update(self._db.collection(HOUSEHOLDS).document(fix.key), fix.target)
        self._write_counts(batch, (), moves)
        try:
            batch.commit()
        except (AlreadyExists, NotFound) as error:
            raise Conflict(",".join(fix.key for fix in fixes)) from error

    def tallies(self, layout: str) -> dict[str, SlotCount]:
        """The counters of ``layout``, by slot: one read per street."""
        query = self._db.collection(TALLIES).where(filter=FieldFilter("layout", "==", layout))
        return {
            str(snapshot.get("slot")): read_slot(snapshot.to_dict() or {})
            for snapshot in query.stream()
        }

    def count_all_signups(self) -> int:
        return _count(self._db.collection(SIGNUPS))

    def count_households(self) -> int:
        return _count(self._db.collection(HOUSEHOLDS))

    # --- the journey after sign-up ---------------------------------------------------------

    def _signup(self, signup_id: str) -> firestore.DocumentReference:
        return self._db.collection(SIGNUPS).document(signup_id)

    def get_signup(self, signup_id: str) -> Signup | None:
        snapshot = self._signup(signup_id).get()
        if not snapshot.exists:
            return None
        return Signup.from_document(signup_id, snapshot.to_dict() or {})

    def count_signups(self, *, status: str, group: str) -> int:
        """How many sign-ups of a group are in ``status``: one aggregation, no documents."""
        query = (
            self._db.collection(SIGNUPS)
            .where(filter=FieldFilter("status", "==", status))
            .where(filter=FieldFilter("group", "==", group))
        )
        return _count(query)

    def count_seats(self, group_id: str) -> int:
        return _count(
            self._db.collection(GROUP_SEATS).where(filter=FieldFilter("group", "==", group_id))
        )

    def claim_seat(
        self, group_id: str, capacity: int, signup_id: str, now: datetime
    ) -> Seat | None:
        """Take a free place in the group, or None when it is full.

        Places are numbered documents created, never overwritten: two residents confirming at
        once cannot both take the last place. The count is only where to start looking; a
        place freed by someone leaving is found on the way round. The seat says how many
        places are taken with it, as counted then (for the coordinator's alert).
        """
        taken = self.count_seats(group_id)
        if taken >= capacity:
            return None
        for number in [*range(taken + 1, capacity + 1), *range(1, taken + 1)]:
            seat_id = f"{group_id}.{number:04d}"
            try:
                self._db.collection(GROUP_SEATS).document(seat_id).create(
                    _seat_document(group_id, signup_id, now)
                )
            except AlreadyExists:
                continue
            return Seat(seat_id, taken + 1)
        return None

    def seat_to_take(self, group_id: str, capacity: int) -> Seat | None:
        """The place a confirm may take in its own commit (``advance_signup(seat=...)``): the
        one after those counted, or None when the group is full. Not taken yet: when another
        confirm takes it first, the commit fails and the confirm claims one with
        ``claim_seat``, which looks further."""
        taken = self.count_seats(group_id)
        return Seat(f"{group_id}.{taken + 1:04d}", taken + 1) if taken < capacity else None

    def release_seat(self, seat_id: str) -> None:
        self._db.collection(GROUP_SEATS).document(seat_id).delete()

    def advance_signup(
        self,
        signup: Signup,
        fields: dict[str, object],
        mails: Mails,
        now: datetime,
        slots: Sequence[str] = (),
        count: str | tuple[str, ...] | None = None,
        seat: Seat | None = None,
    ) -> None:
        """Record a step on the sign-up as it was read, and queue the step's mails; once.
        ``count``: the monthly event(s) the step is (model.MONTHLY_EVENTS), counted with it;
        ``seat``: a place in a group (``seat_to_take``) created in the same commit.

        Conflict when the sign-up changed since it was read, or the step's mail (whose id is
        fixed per step), a form mail's quota day or a slot exists already; SignupGone when
        there is no sign-up any more.
        """
        batch = self._db.batch()
        self._take_slots(batch, slots, now)
        if seat is not None:
            batch.create(
                self._db.collection(GROUP_SEATS).document(seat.id),
                _seat_document(seat.id.rpartition(".")[0], signup.id, now),
            )
        fence = self._fence(batch, signup, now, mails)
        for mail_id, mail in mails:
            batch.create(self._db.collection(MAIL).document(mail_id), mail)
        status = str(fields.get("status", signup.status.value))
        group = fields.get("group", signup.group)
        confirmed_at = fields.get("confirmed_at", signup.confirmed_at)
        counted, neighbours = self._count_step(
            batch,
            signup,
            status,
            str(group or ""),
            now,
            confirmed_at=confirmed_at if isinstance(confirmed_at, datetime) else None,
        )
        batch.update(self._signup(signup.id), {**fields, **fence, **counted})
        self._count(batch, count, now)
        try:
            batch.commit()
        except AlreadyExists as error:
            raise Conflict(signup.id) from error
        except NotFound as error:
            if neighbours:  # one of them left meanwhile: decide again
                raise Conflict(signup.id) from error
            raise SignupGone(signup.id) from error

    def _count(
        self, batch: firestore.WriteBatch, event: str | tuple[str, ...] | None, now: datetime
    ) -> None:
        """Count ``event`` in this month's document, in the step's own batch: the step is
        fenced, so it is counted exactly once, and two steps at once both count (Increment)."""
        events = (event,) if isinstance(event, str) else event or ()
        if not events:
            return
        month = month_key(now)
        batch.set(
            self._db.collection(MONTHLY).document(month),
            {**{name: firestore.Increment(1) for name in events}, "month": month},
            merge=True,
        )

    def monthly_counts(self, months: Sequence[str]) -> dict[str, dict[str, int]]:
        """The counts of these months ("2026-11"), by month; a month without any is empty."""
        refs = [self._db.collection(MONTHLY).document(month) for month in months]
        counts: dict[str, dict[str, int]] = {month: {} for month in months}
        for snapshot in self._get_all(refs):
            document = (snapshot.to_dict() or {}) if snapshot.exists else {}
            counts[snapshot.id] = {e: as_int(document.get(e)) for e in MONTHLY_EVENTS}
        return counts

    def mail_of_signup(
        self, signup_id: str, *, read_claims: bool = True
    ) -> dict[str, dict[str, object]]:
        """The outbox entries of a sign-up that are still there, by id; a queued one that a
        delivery has claimed (see mail/outbox.py) is marked ``in_flight``.

        ``read_claims=False`` spares the round trip that reads the claims and marks every
        queued mail not in flight, which is nearly always so: ``erase_signup`` takes the claim
        of each such mail in its batch, so if a delivery took one first the batch fails
        (Conflict) and the caller reads again, this time with the claims."""
        query = self._db.collection(MAIL).where(filter=FieldFilter("signup_id", "==", signup_id))
        mails = {snapshot.id: snapshot.to_dict() or {} for snapshot in query.stream()}
        queued = {
            f"{mail_id}.{int(mail.get('attempts', 0)) + 1}": mail_id
            for mail_id, mail in mails.items()
            if mail.get("status") == MailStatus.QUEUED
        }
        if not read_claims:
            for mail_id in queued.values():
                mails[mail_id]["in_flight"] = False
            return mails
        claims = [self._db.collection(MAIL_CLAIMS).document(claim_id) for claim_id in queued]
        for snapshot in self._get_all(claims):
            mails[queued[snapshot.id]]["in_flight"] = snapshot.exists
        return mails

    def erase_signup(
        self,
        signup: Signup,
        mails: Mapping[str, Mapping[str, object]],
        erasure: dict[str, object],
        notices: Mails,
        now: datetime,
        removal: tuple[str, dict[str, object]] | None = None,
        count: str | None = None,
        household: Household | None = None,
    ) -> None:
        """Delete every trace of a resident as read (``mails``: their outbox entries, read after
        the sign-up, and ``household``, read with them or else here), and queue the notices.

        Mail that still holds personal data (queued or failed) is deleted; sent mail holds
        none (see mail/outbox.py) and is left to its TTL. A queued mail is deleted unsent, and
        so that no delivery can be sending it at that moment, the batch also takes the claim of
        its next attempt: if a delivery took it first, the batch fails and the caller reads
        again, now seeing the mail in flight. So what the caller decided from ``mails`` (was the
        coordinator told?) holds. Conflict when the sign-up changed since it was read (read
        again: there may be a new place or new mail to delete) or was erased by another request.

        ``removal``: the task for the coordinator to take the number out of the group, when the
        member was in it; named for the step, so a retried erasure cannot make two.
        """
        signup_id = signup.id
        batch = self._db.batch()
        self._fence(batch, signup, now, notices)
        for mail_id, mail in notices:  # the first is the step's fence: creates go first
            batch.create(self._db.collection(MAIL).document(mail_id), mail)
        for mail_id, held in mails.items():
            if held.get("status") == MailStatus.QUEUED and not held.get("in_flight"):
                attempt = as_int(held.get("attempts")) + 1
                batch.create(
                    self._db.collection(MAIL_CLAIMS).document(f"{mail_id}.{attempt}"),
                    {"erased_at": now, "expire_at": now + REVISION_TTL},
                )
        batch.create(self._db.collection(ERASURES).document(signup_id), erasure)
        if removal is not None:
            batch.create(self._db.collection(REMOVALS).document(removal[0]), removal[1])
        _, neighbours = self._count_step(batch, signup, None, "", now, household)
        batch.delete(self._signup(signup_id))
        for key in signup.keys:
            batch.delete(self._db.collection(SIGNUP_KEYS).document(key))
        if signup.seat:
            batch.delete(self._db.collection(GROUP_SEATS).document(signup.seat))
        for mail_id, held in mails.items():
            if held.get("status") != MailStatus.SENT:
                batch.delete(self._db.collection(MAIL).document(mail_id))
        self._count(batch, count, now)
        try:
            batch.commit()
        except AlreadyExists as error:
            raise Conflict(signup_id) from error
        except NotFound as error:  # a member at the address left meanwhile
            if not neighbours:
                raise
            raise Conflict(signup_id) from error

    def erase_mail_about(self, subject_key: str) -> int:
        """Delete the mail about a person whose sign-up is gone (erasure notices still being
        sent or failed), found by their hashed e-mail or phone key; how many there were."""
        return self._erase_about(MAIL, subject_key)

    def _erase_about(self, collection: str, subject_key: str) -> int:
        """Delete the documents of ``collection`` that name a person by their key."""
        query = self._db.collection(collection).where(
            filter=FieldFilter("subject_keys", "array_contains", subject_key)
        )
        snapshots = list(query.stream())
        for snapshot in snapshots:
            snapshot.reference.delete()
        return len(snapshots)

    def erase_mail_to(self, addresses: Sequence[str]) -> int:
        """Delete the unsent mail addressed to any of ``addresses`` (an erasure request of a
        coordinator or regiegroep member: alerts, digests, a handover); how many there were.
        Sent mail holds no address any more (mail/outbox.py), so it is never matched."""
        erased = 0
        for start in range(0, len(addresses), 30):  # Firestore's "in" takes 30 values at most
            query = self._db.collection(MAIL).where(
                filter=FieldFilter("to", "in", list(addresses[start : start + 30]))
            )
            for snapshot in query.stream():
                snapshot.reference.delete()
                erased += 1
        return erased

    def erase_sent_form_mail(self, mail_ids: Sequence[str]) -> int:
        """Delete the form mails of these ids that were sent (their id and claims name the
        mailbox; their contents are gone already), with their claims; how many there were.
        Unsent ones stay: they belong to a sign-up or an application, erased with it."""
        erased = 0
        snapshots = self._get_all([self._db.collection(MAIL).document(i) for i in mail_ids])
        for snapshot in snapshots:
            if not snapshot.exists:
                continue
            mail = snapshot.to_dict() or {}
            if mail.get("to") is not None:
                continue
            batch = self._db.batch()
            for attempt in range(1, int(mail.get("attempts") or 0) + 1):
                for suffix in ("", ".closed"):
                    claim = f"{snapshot.id}.{attempt}{suffix}"
                    batch.delete(self._db.collection(MAIL_CLAIMS).document(claim))
            batch.delete(snapshot.reference)
            batch.commit()
            erased += 1
        return erased

    def release_orphan_seats(self, claimed_before: datetime, limit: int) -> int:
        """Free places whose sign-up does not hold them: left by a confirm that crashed between
        taking the place and recording it. Only old places, so a confirm in flight is safe."""
        seats = list(
            self._db.collection(GROUP_SEATS)
            .where(filter=FieldFilter("claimed_at", "<=", claimed_before))
            .limit(limit)
            .stream()
        )
        holders = {
            snapshot.id: snapshot
            for snapshot in self._get_all(
                [self._signup(str(seat.get("signup_id"))) for seat in seats]
            )
        }
        released = 0
        for seat in seats:
            holder = holders.get(str(seat.get("signup_id")))
            if holder is None or (holder.to_dict() or {}).get("seat") != seat.id:
                seat.reference.delete()
                released += 1
        return released

    # What signups_waiting asks, so what it needs: each reminder's flag, and expiry's status
    # and age alone.
    COMPOSITE_INDEXES = (
        CompositeIndex(SIGNUPS, ("status", "check_due_at")),
        CompositeIndex(SIGNUPS, ("status", "rules_offered")),
        CompositeIndex(SIGNUPS, ("status", "confirm_reminder_sent", "created_at")),
        CompositeIndex(SIGNUPS, ("status", "coordinator_reminder_sent", "confirmed_at")),
        CompositeIndex(SIGNUPS, ("status", "created_at")),
    )

    def signups_waiting(
        self,
        status: str,
        since_field: str,
        cutoff: datetime,
        limit: int,
        *,
        unflagged: str | None = None,
    ) -> list[Signup]:
        """Sign-ups in ``status`` since ``cutoff`` or longer (optionally with a flag still off)."""
        query = self._db.collection(SIGNUPS).where(filter=FieldFilter("status", "==", status))
        if unflagged is not None:
            query = query.where(filter=FieldFilter(unflagged, "==", False))
        query = (
            query.where(filter=FieldFilter(since_field, "<=", cutoff))
            .order_by(since_field)
            .limit(limit)
        )
        return _signups(query)

    def signups_due_for_check(self, now: datetime, limit: int) -> list[Signup]:
        """Members whose yearly check has a step due (residents/yearly_check.py), the longest
        due first: one indexed query that reads only what is due, never every member."""
        query = (
            self._db.collection(SIGNUPS)
            .where(filter=FieldFilter("status", "==", SignupStatus.ACTIVE.value))
            .where(filter=FieldFilter("check_due_at", "<=", now))
            .order_by("check_due_at")
            .limit(limit)
        )
        return _signups(query)

    def members_without_rules(self, version: str, limit: int) -> list[Signup]:
        """Active members not yet sent the group rules of ``version`` (residents/group_rules.py):
        one indexed query, empty on every run but those after the version changed."""
        query = (
            self._db.collection(SIGNUPS)
            .where(filter=FieldFilter("status", "==", SignupStatus.ACTIVE.value))
            .where(filter=FieldFilter("rules_offered", "!=", version))
            .limit(limit)
        )
        return _signups(query)

    def signups(
        self, *, status: str | None = None, group: str | None = None, area: str | None = None
    ) -> list[Signup]:
        """Every sign-up, or those in one status, group or area (a maintainer's export, the
        members news goes to)."""
        query: Queryable = self._db.collection(SIGNUPS)
        for name, value in (("status", status), ("group", group), ("area", area)):
            if value is not None:
                query = query.where(filter=FieldFilter(name, "==", value))
        return _signups(query)

    # --- news to members ---------------------------------------------------------------------

    def news_item(self, news_id: str) -> dict[str, Any] | None:
        snapshot = self._db.collection(NEWS).document(news_id).get()
        return (snapshot.to_dict() or {}) if snapshot.exists else None

    def start_news(self, news_id: str, item: dict[str, object]) -> bool:
        """Record a news item before its first mail; False if it was recorded already."""
        try:
            self._db.collection(NEWS).document(news_id).create(item)
        except AlreadyExists:
            return False
        return True

    def finish_news(self, news_id: str, fields: dict[str, object]) -> None:
        self._db.collection(NEWS).document(news_id).update(fields)

    def queue_mail(self, mail_id: str, mail: dict[str, object]) -> None:
        """Queue one mail of no step (a preview): its trigger sends it."""
        self._db.collection(MAIL).document(mail_id).create(mail)

    # --- each group's way in, and the numbers to take out of it --------------------------------

    def group_invite(self, group_id: str) -> str | None:
        """The group's WhatsApp invite link now (invite mode), or None (add mode); one read."""
        return self.group_invites([group_id]).get(group_id)

    def group_invites(self, group_ids: Sequence[str]) -> dict[str, str]:
        """The invite links of those of ``group_ids`` that have one; one round trip."""
        refs = [self._db.collection(GROUP_INVITES).document(group_id) for group_id in group_ids]
        links = {}
        for snapshot in self._get_all(refs):
            link = (snapshot.to_dict() or {}).get("link") if snapshot.exists else None
            if isinstance(link, str) and link:
                links[snapshot.id] = link
        return links

    def set_group_invite(self, group_id: str, link: str | None, now: datetime) -> None:
        """Set or replace (``link``) or clear (None) the group's invite link. Last writer wins:
        the link is one value, and whoever set it last has the link WhatsApp shows now. The old
        one is overwritten, not kept: a leaked link must not outlive its reset."""
        document = self._db.collection(GROUP_INVITES).document(group_id)
        if link is None:
            document.delete()
        else:
            document.set({"link": link, "updated_at": now})

    def removals(self, group_id: str) -> list[Removal]:
        """The numbers still to take out of the group, the oldest leave first."""
        query = self._db.collection(REMOVALS).where(filter=FieldFilter("group", "==", group_id))
        found = [
            Removal(
                id=snapshot.id,
                group=group_id,
                name=str(document.get("name") or ""),
                phone=str(document.get("phone") or ""),
                left_at=document["left_at"],
            )
            for snapshot in query.stream()
            if (document := snapshot.to_dict() or {}).get("left_at") is not None
        ]
        return sorted(found, key=lambda removal: removal.left_at)

    def clear_removal(self, group_id: str, removal_id: str) -> bool:
        """The coordinator took the number out: forget it. False when there was no such task for
        this group (cleared by an earlier click, another device, or its TTL). Two clicks at once
        both delete the same document: the outcome is the same, and nothing else is written."""
        document = self._db.collection(REMOVALS).document(removal_id)
        snapshot = document.get()
        if not snapshot.exists or (snapshot.to_dict() or {}).get("group") != group_id:
            return False
        document.delete()
        return True

    def erase_removals_about(self, subject_key: str) -> int:
        """Delete the removal tasks that name a person (an erasure request), found by their
        hashed e-mail or phone key; how many there were."""
        return self._erase_about(REMOVALS, subject_key)

    # --- coordinator applications ------------------------------------------------------------

    def create_application(
        self,
        application_id: str,
        application: dict[str, object],
        identity_keys: Sequence[str],
        mails: Mails,
        now: datetime,
        slots: Sequence[str] = (),
    ) -> None:
        """Store an application, claim its e-mail and phone, queue its mail: all or nothing.

        IdentityTaken when a key, the form-mail quota or a slot was taken (they go first, as in
        create_signup); the caller reads again and decides again.
        """
        batch = self._db.batch()
        self._take_slots(batch, slots, now)
        for key in identity_keys:
            batch.create(
                self._db.collection(APPLICATION_KEYS).document(key),
                {"application_id": application_id, "expire_at": application["expire_at"]},
            )
        for mail_id, mail in mails:  # the acknowledgement's id is the form-mail quota
            batch.create(self._db.collection(MAIL).document(mail_id), mail)
        batch.create(self._db.collection(APPLICATIONS).document(application_id), application)
        try:
            batch.commit()
        except AlreadyExists as error:
            raise IdentityTaken from error

    def find_application_by_identity(self, identity_keys: Sequence[str]) -> str | None:
        """The application that holds any of these keys; stale keys (their application erased
        or expired by TTL before them) are removed, as in find_signup_by_identity."""
        refs = [self._db.collection(APPLICATION_KEYS).document(key) for key in identity_keys]
        for key_snapshot in self._get_all(refs):
            if not key_snapshot.exists:
                continue
            application_id = str(key_snapshot.get("application_id"))
            if self._db.collection(APPLICATIONS).document(application_id).get().exists:
                return application_id
            with contextlib.suppress(FailedPrecondition, NotFound):
                key_snapshot.reference.delete(
                    option=self._db.write_option(last_update_time=key_snapshot.update_time)
                )
        return None

    def pending_applications(self, limit: int) -> list[tuple[str, Document]]:
        """Applications the regiegroep has not been told of yet (coordinators.py), by id."""
        query = (
            self._db.collection(APPLICATIONS)
            .where(filter=FieldFilter("alert_pending", "==", True))
            .limit(limit)
        )
        return [(snapshot.id, snapshot.to_dict() or {}) for snapshot in query.stream()]

    def record_application_digest(
        self, application_ids: Sequence[str], mails: Mails, now: datetime
    ) -> bool:
        """Queue the digest that names these applications and mark each told: all or nothing.

        Each application's alert marker (the id its own alert would have had) is created first:
        of two runs naming the same application exactly one commits. False when another run
        was first, or an application was erased meanwhile (the next run reads again).
        """
        batch = self._db.batch()
        for application_id in application_ids:
            [marker] = application_alert_ids(application_id, 1)
            batch.create(
                self._db.collection(MAIL).document(marker),
                {"status": REVISION_MARKER, "expire_at": now + REVISION_TTL},
            )
        for mail_id, mail in mails:
            batch.create(self._db.collection(MAIL).document(mail_id), mail)
        for application_id in application_ids:
            batch.update(
                self._db.collection(APPLICATIONS).document(application_id),
                {"alert_pending": False, "alerted_at": now},
            )
        try:
            batch.commit()
        except (AlreadyExists, NotFound):
            return False
        return True

    def applications_by_identity(self, identity_keys: Sequence[str]) -> list[tuple[str, Document]]:
        """Every application holding one of these keys (one per key at most), by id."""
        refs = [self._db.collection(APPLICATION_KEYS).document(key) for key in identity_keys]
        ids = {
            str(snapshot.get("application_id"))
            for snapshot in self._get_all(refs)
            if snapshot.exists
        }
        applications = self._get_all(
            [self._db.collection(APPLICATIONS).document(i) for i in sorted(ids)]
        )
        return [(a.id, a.to_dict() or {}) for a in applications if a.exists]

    def erase_application(self, application_id: str) -> bool:
        """Delete an application, its keys and its unsent mail; False if there was none."""
        reference = self._db.collection(APPLICATIONS).document(application_id)
        snapshot = reference.get()
        if not snapshot.exists:
            return False
        application = snapshot.to_dict() or {}
        batch = self._db.batch()
        batch.delete(reference)
        for key in application.get("keys") or ():
            batch.delete(self._db.collection(APPLICATION_KEYS).document(str(key)))
        mail = self._db.collection(MAIL).where(
            filter=FieldFilter("application_id", "==", application_id)
        )
        for mail_snapshot in mail.stream():
            if mail_snapshot.get("status") != MailStatus.SENT:  # sent mail holds no personal data
                batch.delete(mail_snapshot.reference)
        batch.commit()
        return True

    def applications(self) -> list[tuple[str, Document]]:
        """Every application, by id (for a maintainer's key migration)."""
        return [(a.id, a.to_dict() or {}) for a in self._db.collection(APPLICATIONS).stream()]

    # --- moving keys to another pepper (key_migration.py) ------------------------------------

    def rekey_signup(self, signup_id: str, old: Sequence[str], new: Sequence[str]) -> bool:
        """Move a sign-up from its ``old`` keys to ``new``: False if another holds a new one."""
        return self._rekey(SIGNUPS, SIGNUP_KEYS, "signup_id", signup_id, old, new)

    def rekey_application(
        self, application_id: str, old: Sequence[str], new: Sequence[str]
    ) -> bool:
        return self._rekey(
            APPLICATIONS, APPLICATION_KEYS, "application_id", application_id, old, new
        )

    def _rekey(
        self,
        collection: str,
        key_collection: str,
        holder_field: str,
        holder: str,
        old: Sequence[str],
        new: Sequence[str],
    ) -> bool:
        """One batch: the new key documents (a copy of the old ones, created, never
        overwritten), the old ones deleted, the holder's ``keys`` set. A new key that exists
        already is fine if it is the holder's (a run interrupted after its commit), else False."""
        keys = self._db.collection(key_collection)
        found = {s.id: s for s in self._get_all([keys.document(k) for k in (*old, *new)])}
        batch = self._db.batch()
        for old_key, new_key in zip(old, new, strict=True):
            taken = found.get(new_key)
            if taken is not None and taken.exists:
                if taken.get(holder_field) != holder:
                    return False
                continue
            before = found.get(old_key)
            copied = before.to_dict() if before is not None and before.exists else None
            batch.create(keys.document(new_key), copied or {holder_field: holder})
        for old_key in set(old) - set(new):
            batch.delete(keys.document(old_key))
        batch.update(self._db.collection(collection).document(holder), {"keys": list(new)})
        try:
            batch.commit()
        except (AlreadyExists, NotFound):
            return False  # taken or erased meanwhile: the next run sees it as it is
        return True

    def rekey_mail_subjects(
        self, moved: Mapping[str, str], *, dry_run: bool = False, collection: str = MAIL
    ) -> int:
        """Replace each old subject key in the outbox (or the removal tasks, ``collection``
        REMOVALS) by its new key; how many documents held one."""
        old_keys = sorted(moved)
        changed: dict[str, Snapshot] = {}
        for start in range(0, len(old_keys), 30):  # array_contains_any takes 30 values at most
            query = self._db.collection(collection).where(
                filter=FieldFilter(
                    "subject_keys", "array_contains_any", old_keys[start : start + 30]
                )
            )
            changed.update({snapshot.id: snapshot for snapshot in query.stream()})
        if not dry_run:
            for snapshot in changed.values():
                subjects = [moved.get(key, key) for key in snapshot.get("subject_keys") or ()]
                with contextlib.suppress(NotFound):  # sent or erased meanwhile
                    snapshot.reference.update({"subject_keys": subjects})
        return len(changed)

    # --- coordinators and the regiegroep -----------------------------------------------------

    def read_people(self) -> People | None:
        """The current coordinators and regiegroep; None before the first were stored."""
        snapshot = self._db.collection(PEOPLE).document(CURRENT).get()
        return People.from_document(snapshot.to_dict() or {}) if snapshot.exists else None

    def current_people(self, deployment: Deployment) -> People:
        """What is stored, read now (not an instance's cache); before anything was, what the
        deployment file names (older files did)."""
        return self.read_people() or People.from_deployment(deployment)

    def replace_people(
        self, new: People, change: dict[str, object], mails: Mails, now: datetime
    ) -> None:
        """Store ``new`` (one version after the one read) and queue the handover's mail; once.

        The version is fenced like a sign-up's revision: the batch creates the document
        ``version-<n>`` (what changed and when, no personal data), so of two maintainers who
        read the same version exactly one commits; the other gets PeopleChanged and reads again.
        """
        batch = self._db.batch()
        batch.create(
            self._db.collection(PEOPLE).document(f"version-{new.version}"),
            {**change, "changed_at": now},
        )
        for mail_id, mail in mails:
            batch.create(self._db.collection(MAIL).document(mail_id), mail)
        batch.set(self._db.collection(PEOPLE).document(CURRENT), new.to_document(now))
        try:
            batch.commit()
        except AlreadyExists as error:
            raise PeopleChanged(new.version) from error

    # --- the overview's counts ---------------------------------------------------------------

    def overview_inputs(
        self, group_ids: Sequence[str], months: Sequence[str] = ()
    ) -> OverviewInputs:
        """What the regiegroep's overview counts (overview/counts.py), requests in flight
        together. From the counters of the current layout when they are complete (one read per
        street; tallies.py): each group's places taken are its confirmed and active members,
        and its longest waiting member's day is counted there too. Else from every sign-up (one
        read each), with each group's places as ``count_seats`` counts them, the figure a
        confirm checks against the capacity. Either way one aggregation each for the open
        coordinator applications and the failed mail, the invite links, the monthly counts."""
        failed = self._db.collection(MAIL).where(
            filter=FieldFilter("status", "==", MailStatus.FAILED.value)
        )
        with ThreadPoolExecutor(max_workers=OVERVIEW_READERS) as pool:
            applications = pool.submit(_count, self._db.collection(APPLICATIONS))
            failed_mail = pool.submit(_count, failed)
            invites = pool.submit(self.group_invites, group_ids)
            monthly = pool.submit(self.monthly_counts, months)
            slots = self._complete_tallies(pool)
            if slots is None:
                counted = {
                    group_id: pool.submit(self.count_seats, group_id) for group_id in group_ids
                }
                query = self._db.collection(SIGNUPS).select(list(SignupRow.FIELDS))
                signups = tuple(SignupRow.from_document(s.to_dict() or {}) for s in query.stream())
                seats = {group_id: future.result() for group_id, future in counted.items()}
                oldest: dict[str, datetime] = {}
            else:
                signups = ()
                seats = {group_id: _placed(slots, group_id) for group_id in group_ids}
                oldest = {
                    group_id: day_start(day)
                    for group_id in group_ids
                    if (day := _first_waiting_day(slots, group_id)) is not None
                }
            return OverviewInputs(
                signups=signups,
                seats=seats,
                open_applications=applications.result(),
                failed_mail=failed_mail.result(),
                invite_groups=frozenset(invites.result()),
                monthly=monthly.result() if months else {},
                slots=slots,
                oldest_waiting=oldest,
            )

    def _complete_tallies(self, pool: ThreadPoolExecutor) -> dict[str, SlotCount] | None:
        """The counters of the current layout if they count every sign-up and household there
        is, else None (no layout; a deployment whose streets changed, or sign-ups from before
        the counters, until ``infra/maintain tallies`` has counted them; or a step that
        committed between the reads, rarely). Two aggregations check it: one read per 1,000."""
        if self._layout is None:
            return None
        signups = pool.submit(self.count_all_signups)
        households = pool.submit(self.count_households)
        slots = self.tallies(self._layout.key)
        counted = sum(slot.total for slot in slots.values())
        counted_households = sum(slot.households for slot in slots.values())
        if (counted, counted_households) == (signups.result(), households.result()):
            return slots
        log.warning(
            "overview counted from every sign-up: the counters are incomplete",
            extra={
                "counted": counted,
                "signups": signups.result(),
                "households_counted": counted_households,
                "households": households.result(),
            },
        )
        return None

    def latest_digest(self) -> tuple[str, Document] | None:
        """The newest monthly digest sent (its month, ``YYYY-MM``, and document); one read."""
        query = (
            self._db.collection(DIGESTS)
            .order_by("month", direction=firestore.Query.DESCENDING)
            .limit(1)
        )
        for snapshot in query.stream():
            return snapshot.id, snapshot.to_dict() or {}
        return None

    def create_digest(self, month: str, digest: dict[str, object], mails: Mails) -> bool:
        """Record the month's digest and queue its mails: all or nothing, once a month.

        The document ``digests/<month>`` is created first in the batch: of any number of
        housekeeping runs in a month (two instances at once, or a retried run) exactly one
        commits; False for the others. The mails' ids are fixed per month as well.
        """
        batch = self._db.batch()
        batch.create(self._db.collection(DIGESTS).document(month), digest)
        for mail_id, mail in mails:
            batch.create(self._db.collection(MAIL).document(mail_id), mail)
        try:
            batch.commit()
        except AlreadyExists:
            return False
        return True
